"""What workers that each hold a share of the series scored, pooled: every series'
figures on every worker, so that each reports, and the chief writes, the whole (numpy;
no TensorFlow)."""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Iterator, Sequence
from typing import Any, overload

import numpy as np
import pandas as pd

from ..data.share import Workers, gathered_json
from .evaluation import Evaluation, SeriesForecasts
from .score_table import UNSCORED, ScoreTable, SeriesScores

__all__ = ["PooledSeries", "pooled_evaluation", "pooled_table"]


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
    blocks: list[Sequence[SeriesForecasts]] = []
    for worker, head in enumerate(heads):
        if worker == workers.share.index:
            blocks.append(evaluation.series)
            continue
        columns_of = {name: joined[worker] for name, joined in columns.items()}
        blocks.append(
            _Gathered(
                head["ids"],
                sizes[worker],
                columns_of,
                {m: f[worker] for m, f in forecasts.items()},
                None if quantiles is None else quantiles[worker],
                head["scores"],
                scores[worker],
            )
        )
    return dataclasses.replace(evaluation, series=PooledSeries(blocks))


class _MadeWhenRead(Sequence[SeriesForecasts]):
    """Series made one at a time as they are read (``_at``, of a place from 0 to the
    length); a slice of them is a list."""

    @overload
    def __getitem__(self, k: int) -> SeriesForecasts: ...

    @overload
    def __getitem__(self, k: slice) -> list[SeriesForecasts]: ...

    def __getitem__(self, k: int | slice) -> SeriesForecasts | list[SeriesForecasts]:
        if isinstance(k, slice):
            return [self._at(i) for i in range(*k.indices(len(self)))]
        return self._at(range(len(self))[k])  # a negative k from the end; IndexError past it

    @abc.abstractmethod
    def _at(self, k: int) -> SeriesForecasts: ...


class PooledSeries(_MadeWhenRead):
    """Every worker's series in worker order, read as one sequence: this worker's own,
    the others' made from the columns they came in as each is read (as objects, 50,000
    series take a quarter of a GiB beside their numbers, on every worker)."""

    def __init__(self, blocks: Sequence[Sequence[SeriesForecasts]]) -> None:
        self._blocks = tuple(blocks)
        self._ends = np.cumsum([len(block) for block in self._blocks])

    def __len__(self) -> int:
        return int(self._ends[-1]) if len(self._ends) else 0

    def _at(self, k: int) -> SeriesForecasts:
        block = int(np.searchsorted(self._ends, k, side="right"))
        return self._blocks[block][k - int(self._ends[block]) + len(self._blocks[block])]

    def __iter__(self) -> Iterator[SeriesForecasts]:
        for block in self._blocks:
            yield from block


class _Gathered(_MadeWhenRead):
    """Another worker's series, as the joined arrays they came in: each one's rows and
    origins found by its sizes (rows, origins, train end, test start) when read."""

    def __init__(
        self,
        ids: list[str | None],
        sizes: np.ndarray,
        rows: dict[str, np.ndarray],
        forecasts: dict[str, np.ndarray],
        quantiles: np.ndarray | None,
        score_names: list[list[str]],
        scores: np.ndarray,
    ) -> None:
        self._ids, self._sizes = ids, sizes
        self._rows, self._forecasts, self._quantiles = rows, forecasts, quantiles
        self._score_names, self._scores = score_names, scores
        self._row_at = np.concatenate([[0], np.cumsum(sizes[:, 0])])
        self._origin_at = np.concatenate([[0], np.cumsum(sizes[:, 1])])
        # Only a series with origins sent its scores: its place among those.
        self._scored_at = np.cumsum(sizes[:, 1] > 0) - 1

    def __len__(self) -> int:
        return len(self._ids)

    def _at(self, k: int) -> SeriesForecasts:
        rows = slice(int(self._row_at[k]), int(self._row_at[k + 1]))
        origins = slice(int(self._origin_at[k]), int(self._origin_at[k + 1]))
        _, n_origins, train_end, test_start = (int(v) for v in self._sizes[k])
        scores = UNSCORED
        if n_origins:
            scores = SeriesScores.from_rows(self._score_names, self._scores[self._scored_at[k]])
        return SeriesForecasts(
            id=self._ids[k],
            index=pd.DatetimeIndex(self._rows["index"][rows].astype("datetime64[ns]")),
            actual=self._rows["actual"][rows],
            train_end=train_end,
            test_start=test_start,
            origins=self._rows["origins"][origins],
            forecasts={m: f[origins] for m, f in self._forecasts.items()},
            quantiles=None if self._quantiles is None else self._quantiles[origins],
            scores=scores,
        )


# The per-row and per-origin arrays a series' forecasts travel as.
_ROWS = ("index", "actual", "origins")


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
