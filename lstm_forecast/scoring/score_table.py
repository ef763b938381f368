"""An evaluation's figures without its forecasts: per series, its origins and scores, as
columns (numpy): what validation pools across workers and reduces to its overall means."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .metrics import finite_mean

__all__ = ["UNSCORED", "ScoreTable", "SeriesScores", "score_names"]


def score_names(scores: Mapping[str, Mapping[str, Any]]) -> tuple[tuple[str, str], ...]:
    """Each (model, metric) of a series' ``scores`` (model -> metric -> score), in order."""
    return tuple((model, metric) for model, metrics in scores.items() for metric in metrics)


# Each distinct tuple of (model, metric) names, held once: every series has the same.
_NAMES: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = {}


@dataclass(frozen=True)
class SeriesScores:
    """One series' scores as one array: per (model, metric) of ``names``, in order, its
    score per target (a dictionary of arrays per series would take ten times the memory:
    about 2 KB a series, 0.2 GB at 100,000)."""

    names: tuple[tuple[str, str], ...]
    values: np.ndarray  # (names, targets) float64

    @classmethod
    def of(cls, scores: Mapping[str, Mapping[str, Any]]) -> SeriesScores:
        """Of model -> metric -> score per target (every score of as many targets)."""
        names = score_names(scores)
        rows = [np.asarray(scores[model][metric], dtype=np.float64) for model, metric in names]
        return cls.from_rows(names, np.stack(rows) if rows else np.zeros((0, 0)))

    @classmethod
    def from_rows(cls, names: Sequence[Sequence[str]], values: np.ndarray) -> SeriesScores:
        """Of ``names`` (model, metric) and their rows of scores per target."""
        named = tuple((str(model), str(metric)) for model, metric in names)
        return cls(_NAMES.setdefault(named, named), values)

    def __bool__(self) -> bool:
        return bool(self.names)

    def means(self) -> dict[str, dict[str, float]]:
        """Model -> metric -> the mean over targets."""
        means: dict[str, dict[str, float]] = {}
        for (model, metric), row in zip(self.names, self.values, strict=True):
            means.setdefault(model, {})[metric] = float(np.mean(row))
        return means


# A series without scored origins.
UNSCORED = SeriesScores((), np.zeros((0, 0)))


@dataclass(frozen=True)
class ScoreTable:
    """An evaluation's figures without its forecasts, as columns: per series its number of
    scored origins (``counts``); of the series with origins, in order, each (model,
    metric) of ``names``: the mean over targets (``values``, a column per name)."""

    counts: np.ndarray  # (series,) int64
    names: tuple[tuple[str, str], ...]
    values: np.ndarray  # (series with origins, names) float64

    @classmethod
    def of(cls, series: Iterable[tuple[int, SeriesScores]]) -> ScoreTable:
        """Of each series, its number of origins and its scores (none without origins):
        every series with origins has the same models and metrics."""
        counts: list[int] = []
        rows: list[list[float]] = []
        names: tuple[tuple[str, str], ...] = ()
        for count, scores in series:
            counts.append(count)
            if count:
                names = names or scores.names
                rows.append([float(np.mean(row)) for row in scores.values])
        values = np.array(rows, dtype=np.float64).reshape(len(rows), len(names))
        return cls(np.array(counts, dtype=np.int64), names, values)

    @property
    def n_origins(self) -> int:
        return int(self.counts.sum())

    def overall(self) -> dict[str, dict[str, float]]:
        """Per model and metric: the mean over the series with origins."""
        overall: dict[str, dict[str, float]] = {}
        if len(self.values):
            for column, (model, metric) in enumerate(self.names):
                overall.setdefault(model, {})[metric] = finite_mean(self.values[:, column].tolist())
        return overall
