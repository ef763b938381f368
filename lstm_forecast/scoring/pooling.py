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
from .evaluation import Evaluation, SeriesForecasts
from .score_table import UNSCORED, ScoreTable, SeriesScores

__all__ = ["pooled_evaluation", "pooled_table"]


def pooled_table(table: ScoreTable, workers: Workers) -> ScoreTable:
    """Every worker's series of ``table``, in worker order."""
    if workers.share.count == 1:
        return table
    every_names = gathered_json(workers, table.names)
    counts = np.concatenate(workers.gather(table.counts))
    values = workers.gather(table.values)
    names = next((tuple(map(tuple, n)) for n in every_names if n), ())
    columns = np.concatenate([v.reshape(len(v), len(names)) for v in values])
    return ScoreTable(counts, names, columns)


def pooled_evaluation(evaluation: Evaluation, workers: Workers, *, drawn: int) -> Evaluation:
    """``evaluation`` with every worker's series, in worker order: this worker's whole;
    of the others', each worker's first ``drawn`` series with origins (those a figure may
    draw) from a little before their test part on, the rest from their test part on (what
    their scores and the checks of their actuals read); each series' scores as its worker
    computed them."""
    if workers.share.count == 1:
        return evaluation
    kept = _drawn_first(evaluation.series, drawn)
    recent = 4 * evaluation.horizon
    cut = [_recent(s, recent if k in kept else 0) for k, s in enumerate(evaluation.series)]
    heads = gathered_json(workers, {"ids": [s.id for s in cut], "scores": _score_names(cut)})
    sizes = workers.gather(np.array([_sizes(s) for s in cut], dtype=np.int64).reshape(-1, 4))
    scores = workers.gather(_score_values(cut, len(evaluation.targets)))
    columns = {name: _gathered(workers, [getattr(s, name) for s in cut]) for name in _ROWS}
    forecasts = {
        model: _gathered(workers, [s.forecasts[model] for s in cut])
        for model in ("model", "naive", "seasonal_naive")
    }
    # Decided alike on every worker (each gather is a collective all of them join).
    quantiles: list[np.ndarray] | None = None
    if len(evaluation.quantile_levels) > 1:
        shape = (evaluation.horizon, len(evaluation.targets), len(evaluation.quantile_levels))
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
        parts = _Parts(sizes[worker])
        named = head["scores"]
        by_model = {m: parts.per_origin(f[worker]) for m, f in forecasts.items()}
        bands_of = None if quantiles is None else parts.per_origin(quantiles[worker])
        index = parts.per_row(columns["index"][worker])
        actual = parts.per_row(columns["actual"][worker])
        starts = parts.per_origin(columns["origins"][worker])
        values = iter(scores[worker])
        for k, sid in enumerate(head["ids"]):
            _, origins, train_end, test_start = (int(v) for v in sizes[worker][k])
            series.append(
                SeriesForecasts(
                    id=sid,
                    index=pd.DatetimeIndex(index[k].astype("datetime64[ns]")),
                    actual=actual[k],
                    train_end=train_end,
                    test_start=test_start,
                    origins=starts[k],
                    forecasts={m: split[k] for m, split in by_model.items()},
                    quantiles=None if bands_of is None else bands_of[k],
                    scores=SeriesScores.from_rows(named, next(values)) if origins else UNSCORED,
                )
            )
    return dataclasses.replace(evaluation, series=tuple(series))


# The per-row and per-origin arrays a series' forecasts travel as.
_ROWS = ("index", "actual", "origins")


class _Parts:
    """Where each series' rows and origins lie in a worker's joined arrays."""

    def __init__(self, sizes: np.ndarray) -> None:
        self._rows = np.cumsum(sizes[:, 0])[:-1]
        self._origins = np.cumsum(sizes[:, 1])[:-1]

    def per_row(self, joined: np.ndarray) -> list[np.ndarray]:
        return np.split(joined, self._rows)

    def per_origin(self, joined: np.ndarray) -> list[np.ndarray]:
        return np.split(joined, self._origins)


def _drawn_first(series: Sequence[SeriesForecasts], drawn: int) -> set[int]:
    """The positions of the first ``drawn`` series with origins."""
    return set([k for k, s in enumerate(series) if len(s.origins)][:drawn])


def _sizes(series: SeriesForecasts) -> tuple[int, int, int, int]:
    return len(series.index), len(series.origins), series.train_end, series.test_start


def _score_names(series: Sequence[SeriesForecasts]) -> tuple[tuple[str, str], ...]:
    """Each (model, metric) a scored series has, in order (every one has the same)."""
    return next((s.scores.names for s in series if s.scores), ())


def _score_values(series: Sequence[SeriesForecasts], n_targets: int) -> np.ndarray:
    """``(scored series, model and metric, target)``: the scores of each scored series."""
    rows = [s.scores.values for s in series if s.scores]
    return np.stack(rows) if rows else np.zeros((0, 0, n_targets))


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


def _gathered(workers: Workers, arrays: Sequence[Any]) -> list[np.ndarray]:
    """Each worker's ``arrays`` (one per series; an index as its int64 nanoseconds)
    joined along their first axis."""
    values = [np.asarray(a.asi8 if isinstance(a, pd.DatetimeIndex) else a) for a in arrays]
    joined = np.concatenate(values) if values else np.zeros(0)
    return workers.gather(joined)
