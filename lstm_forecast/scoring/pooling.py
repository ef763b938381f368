"""What workers that each hold a share of the series scored, pooled: every series'
figures on every worker, so that each reports, and the chief writes, the whole (numpy;
no TensorFlow)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..data.share import Workers, gathered_json
from .evaluation import Evaluation, ScoreTable, SeriesForecasts

__all__ = ["pooled_evaluation", "pooled_table"]


def pooled_table(table: ScoreTable, workers: Workers) -> ScoreTable:
    """Every worker's series of ``table``, in worker order."""
    if workers.share.count == 1:
        return table
    every = gathered_json(workers, [[count, scores] for count, scores in table.series])
    return ScoreTable(tuple((int(c), s) for part in every for c, s in part))


def pooled_evaluation(evaluation: Evaluation, workers: Workers) -> Evaluation:
    """``evaluation`` with every worker's series, in worker order: this worker's whole,
    the others' from a little before their test part on (what the test plot shows); each
    series' scores as its worker computed them."""
    count = workers.share.count
    if count == 1:
        return evaluation
    cut = [_recent(s, 4 * evaluation.horizon) for s in evaluation.series]
    heads = gathered_json(workers, [_head(s) for s in cut])
    columns = {name: _gathered(workers, [getattr(s, name) for s in cut]) for name in _ROWS}
    forecasts = {
        model: _gathered(workers, [s.forecasts[model] for s in cut])
        for model in ("model", "naive", "seasonal_naive")
    }
    # Decided alike on every worker (each gather is a collective all of them join).
    levels = len(evaluation.quantile_levels)
    quantiles: list[np.ndarray] | None = None
    if levels > 1:
        shape = (evaluation.horizon, len(evaluation.targets), levels)
        bands = [
            np.full((len(s.origins), *shape), np.nan) if s.quantiles is None else s.quantiles
            for s in cut
        ]
        quantiles = _gathered(workers, bands)
    series: list[SeriesForecasts] = []
    for worker, head in enumerate(heads):
        if worker == workers.share.index:
            series.extend(evaluation.series)
            continue
        rows = [h["rows"] for h in head]
        origins = [h["origins"] for h in head]
        index = np.split(columns["index"][worker], np.cumsum(rows)[:-1])
        actual = np.split(columns["actual"][worker], np.cumsum(rows)[:-1])
        starts = np.split(columns["origins"][worker], np.cumsum(origins)[:-1])
        by_model = {m: np.split(f[worker], np.cumsum(origins)[:-1]) for m, f in forecasts.items()}
        split = None if quantiles is None else np.split(quantiles[worker], np.cumsum(origins)[:-1])
        for k, h in enumerate(head):
            series.append(
                SeriesForecasts(
                    id=h["id"],
                    index=pd.DatetimeIndex(index[k].astype("datetime64[ns]")),
                    actual=actual[k],
                    train_end=h["train_end"],
                    test_start=h["test_start"],
                    origins=starts[k],
                    forecasts={m: parts[k] for m, parts in by_model.items()},
                    quantiles=None if split is None else split[k],
                    scores={
                        m: {name: np.asarray(v) for name, v in metrics.items()}
                        for m, metrics in h["scores"].items()
                    },
                )
            )
    return dataclasses.replace(evaluation, series=tuple(series))


# The per-row and per-origin arrays a series' forecasts travel as.
_ROWS = ("index", "actual", "origins")


def _recent(series: SeriesForecasts, rows: int) -> SeriesForecasts:
    """``series`` from ``rows`` rows before its test part on, its positions shifted."""
    start = max(0, series.test_start - rows)
    return dataclasses.replace(
        series,
        index=series.index[start:].as_unit("ns"),
        actual=series.actual[start:],
        train_end=max(0, series.train_end - start),
        test_start=series.test_start - start,
        origins=series.origins - start,
    )


def _head(series: SeriesForecasts) -> dict[str, Any]:
    return {
        "id": series.id,
        "rows": len(series.index),
        "origins": len(series.origins),
        "train_end": series.train_end,
        "test_start": series.test_start,
        "scores": {
            m: {name: np.asarray(v).tolist() for name, v in metrics.items()}
            for m, metrics in series.scores.items()
        },
    }


def _gathered(workers: Workers, arrays: Sequence[Any]) -> list[np.ndarray]:
    """Each worker's ``arrays`` (one per series; an index as its int64 nanoseconds)
    joined along their first axis."""
    values = [np.asarray(a.asi8 if isinstance(a, pd.DatetimeIndex) else a) for a in arrays]
    joined = np.concatenate(values) if values else np.zeros(0)
    return workers.gather(joined)
