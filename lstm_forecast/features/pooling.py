"""The preprocessing of workers that each fit a share of the series, pooled into the one a
bundle holds: every series' scaler, times and ranges, skipped series and smoothing
models, in worker order; what they decided together is the same on each (numpy)."""

from __future__ import annotations

from typing import Any

from ..data.share import Workers, gathered_json
from .pipeline import Preprocessing

__all__ = ["pooled_preprocessing", "pooled_skipped"]


def pooled_preprocessing(preprocessing: Preprocessing, workers: Workers) -> Preprocessing:
    """Every worker's ``preprocessing`` as one: the chief's settings (every worker's are
    the same), each worker's series after the last's."""
    if workers.share.count == 1:
        return preprocessing
    records = gathered_json(workers, preprocessing.to_json())
    merged: dict[str, Any] = dict(records[workers.share.index])
    merged["series"] = [entry for record in records for entry in record["series"]]
    merged["skipped_series"] = sorted({s for record in records for s in record["skipped_series"]})
    merged["served"] = {
        **merged["served"],
        "models": [model for record in records for model in record["served"]["models"]],
    }
    return Preprocessing.from_json(merged)


def pooled_skipped(skipped: dict[str, str], workers: Workers) -> dict[str, str]:
    """Every worker's series left out as too short, and why."""
    if workers.share.count == 1:
        return skipped
    return {sid: why for part in gathered_json(workers, skipped) for sid, why in part.items()}
