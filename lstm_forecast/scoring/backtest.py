"""A backtest's result: per fold, series and model, the scores at each origin, and their
mean over folds (pandas, numpy)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ..data.timeindex import show_time
from .evaluation import BOTH_NAIVES, Evaluation


@dataclass(frozen=True)
class Backtest:
    folds: tuple[Evaluation, ...]  # fold k: one origin per series
    refit: bool
    seconds: float  # training time in all

    def table(self) -> pd.DataFrame:
        """One row per fold, series and model, plus the mean over folds (fold "mean").
        ``origin`` is the series' own first forecast step: series that end at different
        times have different origins in the same fold."""
        rows = []
        for k, fold in enumerate(self.folds, 1):
            for series in fold.series:
                (origin,) = series.origins
                written = show_time(series.index[origin], fold.time_format)
                for model, scores in series.mean_scores().items():
                    rows.append(
                        {
                            "fold": str(k),
                            "origin": written,
                            "series": series.id,
                            "model": model,
                            **scores,
                        }
                    )
        frame = pd.DataFrame(rows)
        metrics = [c for c in frame.columns if c not in ("fold", "origin", "series", "model")]
        mean = frame.groupby(["series", "model"], dropna=False, sort=False)[metrics].mean()
        mean = mean.reset_index().assign(fold="mean", origin="")
        return pd.concat([frame, mean], ignore_index=True)

    def share_beating(self, baselines: Sequence[str] = BOTH_NAIVES) -> tuple[int, int]:
        """On how many series the model's MASE, averaged over folds, is below every one of
        ``baselines``', and how many series have them all."""
        table = self.table()
        mean = table[table["fold"] == "mean"].pivot_table(
            index="series", columns="model", values="mase", dropna=False
        )
        both = mean[["model", *baselines]].dropna()
        best = both[list(baselines)].min(axis=1)
        return int((both["model"] < best).sum()), len(both)
