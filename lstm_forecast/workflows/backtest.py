"""``backtest``: rolling-origin evaluation. K forecast origins whose horizons tile the last
K x horizon rows of every series, each scored against the naive baselines.

Without refit, one model is trained on the data before the first origin (the config's
validation part taken from that data, in time order) and forecasts every origin from the
true history. With refit, fold k trains a fresh model on the data before origin k: slower,
and closer to what a nightly retrain sees.
"""

from __future__ import annotations

from pathlib import Path

from ..bundle.atomic import write_text_atomically
from ..config import Config
from ..data import Dataset
from ..data.chunked import loaded_within
from ..nn.hooks import SILENT, TrainingHooks
from ..scoring.backtest import Backtest
from ..scoring.evaluation import evaluate_at
from .forecaster import TrainedForecaster, train_forecaster
from .outputs import output_folder, save_figure
from .preflight import preflight

BACKTEST_CSV = "backtest.csv"
BACKTEST_PLOT = "backtest.png"


def backtest(
    config: Config,
    folds: int,
    *,
    refit: bool = False,
    hooks: TrainingHooks = SILENT,
    dataset: Dataset | None = None,
) -> Backtest:
    """Run the rolling-origin protocol on the config's data (``dataset``, when the caller
    has read it already); ``split.test`` is replaced by ``folds`` horizons."""
    preflight("backtest", config, count=folds)
    if dataset is None:
        with loaded_within(config.data, config.training.memory_budget_mb) as dataset:
            return backtest(config, folds, refit=refit, hooks=hooks, dataset=dataset)
    horizon = config.window.horizon
    evaluations, seconds = [], 0.0
    trained: TrainedForecaster | None = None
    for k in range(folds):
        rows_left = (folds - k) * horizon
        if refit or trained is None:
            # Later folds hold out fewer rows, so a series they skip as too short was
            # skipped, and named, at the first: warn once, not once per fold.
            trained = train_forecaster(
                _with_test(config, rows_left), dataset, hooks=hooks, warn_skipped=k == 0
            )
            seconds += trained.seconds
        # The prepared series: those too short to train on are skipped, not scored.
        prepared = trained.prepared
        evaluations.append(
            evaluate_at(prepared, trained.forecaster, prepared.origins_before_end(rows_left))
        )
    return Backtest(folds=tuple(evaluations), refit=refit, seconds=seconds)


def backtest_to_folder(
    config: Config,
    folds: int,
    *,
    refit: bool = False,
    folder: Path | None = None,
    hooks: TrainingHooks = SILENT,
) -> tuple[Backtest, Path]:
    """``backtest``, then ``backtest.csv`` and ``backtest.png`` written into ``folder``
    (default ``<output.dir>-backtest``), which is checked and locked before training."""
    preflight("backtest", config, count=folds)
    with output_folder(config, folder, "backtest", BACKTEST_CSV) as chosen:
        result = backtest(config, folds, refit=refit, hooks=hooks)
        write_text_atomically(
            chosen / BACKTEST_CSV, result.table().to_csv(index=False, float_format="%.6g")
        )
        from ..report import plots

        save_figure(plots.backtest_figure(result.folds), chosen / BACKTEST_PLOT)
    return result, chosen


def _with_test(config: Config, test_rows: int) -> Config:
    return config.model_copy(update={"split": config.split.model_copy(update={"test": test_rows})})
