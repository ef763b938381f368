"""Rolling-origin backtest: K forecast origins whose horizons tile the last K x horizon
rows of every series, each scored against the naive baselines (TensorFlow only inside
``backtest``, when it trains).

Without refit, one model is trained on the data before the first origin (the config's
validation part taken from that data, in time order) and forecasts every origin from the
true history. With refit, fold k trains a fresh model on the data before origin k: slower,
and closer to what a nightly retrain sees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .config import Config
from .data import Dataset, load_dataset
from .errors import ConfigError
from .evaluation import Evaluation, Forecaster, evaluate_at
from .prepare import Prepared, part_windows, prepare, training_windows

if TYPE_CHECKING:
    import keras

# The printed table's origin for a fold whose series have different origins.
BY_SERIES = "by series"


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
                for model, scores in series.mean_scores().items():
                    rows.append(
                        {
                            "fold": str(k),
                            "origin": str(series.index[origin].date()),
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

    def share_beating(self, baseline: str = "seasonal_naive") -> tuple[int, int]:
        """On how many series the model's MASE, averaged over folds, is below
        ``baseline``'s, and how many series have both."""
        table = self.table()
        mean = table[table["fold"] == "mean"].pivot_table(
            index="series", columns="model", values="mase", dropna=False
        )
        both = mean[["model", baseline]].dropna()
        return int((both["model"] < both[baseline]).sum()), len(both)


def backtest(
    config: Config,
    folds: int,
    *,
    refit: bool = False,
    verbose: int = 0,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    progress: Callable[[str], None] | None = None,
    dataset: Dataset | None = None,
) -> Backtest:
    """Run the rolling-origin protocol on the config's data (``dataset``, when the caller
    has read it already); ``split.test`` is replaced by ``folds`` horizons."""
    if folds < 1:
        raise ConfigError(f"--folds must be at least 1 (got {folds})")
    if config.training.distribute == "multi_worker":
        raise ConfigError(
            "training.distribute: multi_worker is for train; backtest runs in one process "
            "(use none or mirrored)"
        )
    if dataset is None:
        dataset = load_dataset(config.data)
    horizon = config.window.horizon
    evaluations, seconds = [], 0.0
    fitted: tuple[Prepared, Forecaster] | None = None
    for k in range(folds):
        if refit or fitted is None:
            # Later folds hold out fewer rows, so a series they skip as too short was
            # skipped, and named, at the first: warn once, not once per fold.
            prepared = prepare(
                _with_test(config, (folds - k) * horizon), dataset, warn_skipped=k == 0
            )
            forecaster, took = _fit(config, prepared, verbose, callbacks, progress)
            fitted, seconds = (prepared, forecaster), seconds + took
        prepared, forecaster = fitted
        # The prepared series: those too short to train on are skipped, not scored.
        origins = [np.array([len(s) - (folds - k) * horizon]) for s in prepared.dataset.series]
        evaluations.append(
            evaluate_at(prepared, forecaster, origins, quantile_levels=config.model.quantiles)
        )
    return Backtest(folds=tuple(evaluations), refit=refit, seconds=seconds)


def format_backtest(result: Backtest) -> str:
    """Per fold and model (the mean over series for long format), then the mean over folds."""
    table = result.table()
    metrics = [
        c for c in ("mae", "rmse", "smape", "mase", "coverage", "pinball") if c in table.columns
    ]
    # A fold's origin date, or a mark where its series' origins differ (they end at
    # different times); backtest.csv holds each series' own.
    origins = table.groupby("fold", sort=False)["origin"].agg(
        lambda dates: dates.iloc[0] if dates.nunique() == 1 else BY_SERIES
    )
    table = table.groupby(["fold", "model"], sort=False)[metrics].mean().reset_index()
    table.insert(1, "origin", table["fold"].map(origins))
    names = {
        "mae": "MAE",
        "rmse": "RMSE",
        "smape": "sMAPE%",
        "mase": "MASE",
        "coverage": "cover%",
        "pinball": "pinball",
    }
    how = "one model per fold (--refit)" if result.refit else "one model, trained before fold 1"
    lines = [
        f"backtest: {len(result.folds)} folds x {result.folds[0].horizon} steps, {how}, "
        f"season length {result.folds[0].season_length}",
        f"{'fold':6}{'origin':12}{'model':16}" + "".join(f"{names[m]:>10}" for m in metrics),
    ]
    for row in table.itertuples(index=False):
        values = "".join(
            f"{100 * getattr(row, m) if m == 'coverage' else getattr(row, m):10.4g}"
            for m in metrics
        )
        lines.append(f"{row.fold:6}{row.origin:12}{row.model:16}{values}")
    if (origins == BY_SERIES).any():
        lines.append(
            f"{BY_SERIES}: the series end at different times, so each has its own origins "
            "(backtest.csv gives them)"
        )
    wins, compared = result.share_beating()
    if len(result.folds[0].series) > 1 and compared:
        lines.append(
            f"model beats seasonal naive (MASE, mean over folds) on {wins} of {compared} "
            f"series ({100 * wins / compared:.0f} %)"
        )
    return "\n".join(lines)


def _fit(
    config: Config,
    prepared: Prepared,
    verbose: int,
    callbacks: Sequence[keras.callbacks.Callback],
    progress: Callable[[str], None] | None,
) -> tuple[Forecaster, float]:
    from .model import as_forecaster
    from .train import train_forecaster

    trained = train_forecaster(
        config,
        prepared,
        training_windows(config, prepared),
        part_windows(config, prepared, "validation"),
        verbose=verbose,
        callbacks=callbacks,
        progress=progress,
    )
    return as_forecaster(trained.model, trained.coding), trained.seconds


def _with_test(config: Config, test_rows: int) -> Config:
    return config.model_copy(update={"split": config.split.model_copy(update={"test": test_rows})})
