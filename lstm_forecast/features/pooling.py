"""The preprocessing of workers that each fit a share of the series, pooled into the one a
bundle holds: every series' scaler, times and ranges, skipped series and smoothing
models, in worker order; what they decided together is the same on each (numpy)."""

from __future__ import annotations

from typing import Any

from ..data.share import Workers, gathered_json, share_of
from .pipeline import Preprocessing

__all__ = ["pooled_preprocessing", "pooled_skipped"]


def pooled_preprocessing(preprocessing: Preprocessing, workers: Workers) -> Preprocessing:
    """The chief's: every worker's ``preprocessing`` as one (the one it writes): its
    settings (every worker's are the same), each worker's series after the last's. A warm
    start's workers each carry every series of the parent, in its order (its embedding
    rows): each series' entry is then the one of the worker whose share it is. Another
    worker's: its own (it writes nothing, and is sent none of the others')."""
    if workers.share.count == 1:
        return preprocessing
    chief = workers.share.index == 0
    # The chief sends nothing: what every worker receives is what the others send.
    sent = gathered_json(workers, None if chief else preprocessing.to_json())
    if not chief:
        return preprocessing
    records = [preprocessing.to_json(), *sent[1:]]
    merged: dict[str, Any] = dict(records[0])
    merged["series"] = _joined([record["series"] for record in records], workers)
    merged["skipped_series"] = sorted({s for record in records for s in record["skipped_series"]})
    models = _joined([record["served"]["models"] for record in records], workers)
    merged["served"] = {**merged["served"], "models": models}
    return Preprocessing.from_json(merged)


def _joined(parts: list[list[dict[str, Any]]], workers: Workers) -> list[dict[str, Any]]:
    """Each worker's entries (each with an ``id``) after the last's; where every worker
    has the same ids in the same order, each id's entry from the worker it belongs to."""
    ids = [[entry["id"] for entry in part] for part in parts]
    if any(names != ids[0] for names in ids):
        return [entry for part in parts for entry in part]
    count = workers.share.count
    return [parts[share_of(str(sid), count)][k] for k, sid in enumerate(ids[0])]


def pooled_skipped(skipped: dict[str, str], workers: Workers) -> dict[str, str]:
    """Every worker's series left out as too short, and why."""
    if workers.share.count == 1:
        return skipped
    return {sid: why for part in gathered_json(workers, skipped) for sid, why in part.items()}
