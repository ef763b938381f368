"""``backtest``: rolling-origin evaluation. K forecast origins whose horizons tile the last
K x horizon rows of every series, each scored against the naive baselines.

Without refit, one model is trained on the data before the first origin (the config's
validation part taken from that data, in time order) and forecasts every origin from the
true history. With refit, fold k trains a fresh model on the data before origin k: slower,
and closer to what a nightly retrain sees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..bundle.atomic import write_text_atomically
from ..config import Config
from ..data import Dataset, load_dataset
from ..errors import ConfigError
from ..scoring.backtest import Backtest
from ..scoring.evaluation import evaluate_at
from .checks import require_extra
from .fitting import Fitted, fit_forecaster
from .outputs import output_folder, save_figure
from .warm_start import refuse_warm_start

if TYPE_CHECKING:
    import keras

BACKTEST_CSV = "backtest.csv"
BACKTEST_PLOT = "backtest.png"


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
        raise ConfigError(f"{{folds}} must be at least 1 (got {folds})", arguments=("folds",))
    require_extra("train", "backtest")
    refuse_warm_start(config, "backtest")
    if config.training.distribute == "multi_worker":
        raise ConfigError(
            "training.distribute: multi_worker is for train; backtest runs in one process "
            "(use none or mirrored)"
        )
    if dataset is None:
        dataset = load_dataset(config.data)
    horizon = config.window.horizon
    evaluations, seconds = [], 0.0
    fitted: Fitted | None = None
    for k in range(folds):
        if refit or fitted is None:
            # Later folds hold out fewer rows, so a series they skip as too short was
            # skipped, and named, at the first: warn once, not once per fold.
            fitted = fit_forecaster(
                _with_test(config, (folds - k) * horizon),
                dataset,
                verbose=verbose,
                callbacks=callbacks,
                progress=progress,
                warn_skipped=k == 0,
            )
            seconds += fitted.trained.seconds
        prepared = fitted.prepared
        # The prepared series: those too short to train on are skipped, not scored.
        origins = [np.array([len(s) - (folds - k) * horizon]) for s in prepared.dataset.series]
        evaluations.append(evaluate_at(prepared, fitted.forecaster, origins))
    return Backtest(folds=tuple(evaluations), refit=refit, seconds=seconds)


def backtest_to_folder(
    config: Config,
    folds: int,
    *,
    refit: bool = False,
    folder: Path | None = None,
    verbose: int = 0,
    progress: Callable[[str], None] | None = None,
) -> tuple[Backtest, Path]:
    """``backtest``, then ``backtest.csv`` and ``backtest.png`` written into ``folder``
    (default ``<output.dir>-backtest``), which is checked and locked before training."""
    with output_folder(config, folder, "backtest", BACKTEST_CSV) as chosen:
        result = backtest(config, folds, refit=refit, verbose=verbose, progress=progress)
        write_text_atomically(
            chosen / BACKTEST_CSV, result.table().to_csv(index=False, float_format="%.6g")
        )
        from ..report import plots

        save_figure(plots.backtest_figure(result.folds), chosen / BACKTEST_PLOT)
    return result, chosen


def _with_test(config: Config, test_rows: int) -> Config:
    return config.model_copy(update={"split": config.split.model_copy(update={"test": test_rows})})
