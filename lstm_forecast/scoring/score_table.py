"""An evaluation's figures without its forecasts: per series, its origins and scores, as
columns (numpy): what validation pools across workers and reduces to its overall means."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .metrics import finite_mean

__all__ = ["ScoreTable", "score_names"]


def score_names(scores: Mapping[str, Mapping[str, Any]]) -> tuple[tuple[str, str], ...]:
    """Each (model, metric) of a series' ``scores`` (model -> metric -> score), in order."""
    return tuple((model, metric) for model, metrics in scores.items() for metric in metrics)


@dataclass(frozen=True)
class ScoreTable:
    """An evaluation's figures without its forecasts, as columns: per series its number of
    scored origins (``counts``); of the series with origins, in order, each (model,
    metric) of ``names``: the mean over targets (``values``, a column per name)."""

    counts: np.ndarray  # (series,) int64
    names: tuple[tuple[str, str], ...]
    values: np.ndarray  # (series with origins, names) float64

    @classmethod
    def of(cls, series: Iterable[tuple[int, dict[str, dict[str, float]]]]) -> ScoreTable:
        """Of each series, its number of origins and its scores (model -> metric -> the
        mean over targets; empty without origins): every series with origins has the
        same models and metrics."""
        counts: list[int] = []
        rows: list[list[float]] = []
        names: tuple[tuple[str, str], ...] = ()
        for count, scores in series:
            counts.append(count)
            if count:
                names = names or score_names(scores)
                rows.append([scores[m][k] for m, k in names])
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
