"""The one path from a dataset to a trained forecaster: fit the preprocessing, cut the
windows, train the network. ``train``, ``backtest`` and ``tune`` all go through it."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..config import Config
from ..data import Dataset
from ..data.share import ALONE, Workers, pooled_median, pooled_sum
from ..data.windows import WindowSet
from ..errors import ConfigError, DataError
from ..features import Prepared, Preprocessing
from ..features.baselines import words
from ..features.forecasts import Forecaster
from ..nn.hooks import SILENT, TrainingHooks
from ..scoring.serving import MARGIN, SMOOTHING_ROWS, ServedChoice, choose_served, served_validation
from .warm_start import warm_start

if TYPE_CHECKING:
    from ..nn.training import TrainedNetwork

_log = logging.getLogger(__name__)

# model.baseline auto: series whose train part is this long or shorter (the median one)
# get a network on the smoothing forecast too (benchmarks/README.md).
SHORT_ROWS = 500
# Validation chooses between the two networks on this many origins or more (fewer: the
# smoothing forecast's), by ``MARGIN`` as ``model.serve`` does.
MIN_ORIGINS = 2
# Windows a trained forecaster keeps to check its exported graph on.
CHECK_WINDOWS = 512


@dataclass(frozen=True)
class TrainedForecaster:
    """A trained network behind its preprocessing, and what it was trained on."""

    preprocessing: Preprocessing  # with the coding training ended with (calibrated)
    prepared: Prepared
    # At most ``CHECK_WINDOWS`` windows to compare ONNX Runtime with Keras on: the last
    # validation windows, else training windows. The training windows are not kept (a
    # start a window, the largest array after the rows).
    check_windows: WindowSet
    validation_windows: WindowSet
    network: TrainedNetwork
    forecaster: Forecaster  # scaled windows -> scaled forecasts, in inference mode
    served: ServedChoice  # what the bundle serves (``prepared.served``) and why
    parent: dict[str, str] | None = None  # the bundle a warm start began from
    # Seconds spent training a network that was not kept (``model.baseline: auto`` on
    # short series trains two).
    seconds_discarded: float = 0.0

    @property
    def seconds(self) -> float:
        """Seconds of training in all, the network not kept included."""
        return self.network.seconds + self.seconds_discarded


def train_forecaster(
    config: Config,
    dataset: Dataset,
    *,
    hooks: TrainingHooks = SILENT,
    warn_skipped: bool = True,
    without_validation: str | None = None,
    workers: Workers = ALONE,
) -> TrainedForecaster:
    """Fit the preprocessing on ``dataset``'s train parts, then train the network of
    ``config`` on the training windows with early stopping on the validation windows.
    With ``workers``, ``dataset`` is one worker's share of the series, and what is decided
    across series is decided on every worker's.

    Under ``model.baseline: auto``, short series (``SHORT_ROWS``) get a second network,
    correcting the whole-history smoothing forecast, and keep the better (``_better``).

    ``without_validation``: if given, the message of the ``ConfigError`` raised before any
    training when there are no validation windows (``tune`` needs them).
    """
    naive = _train_one(config, dataset, hooks, warn_skipped, without_validation, workers)
    if not _weighs_smoothing(config, naive.prepared):
        return naive
    model = config.model.model_copy(update={"baseline": "smoothing"})
    training = config.training
    if training.tensorboard is not None:  # its own logs, beside the first network's
        logs = training.tensorboard / "baseline_smoothing"
        training = training.model_copy(update={"tensorboard": logs})
    alternative = config.model_copy(update={"model": model, "training": training})
    second = dataclasses.replace(
        hooks, label="a second network (model.baseline auto, short series): "
    )
    smoothing = _train_one(alternative, dataset, second, False, without_validation, workers)
    return _better(naive, smoothing)


def _weighs_smoothing(config: Config, prepared: Prepared) -> bool:
    """Whether ``model.baseline: auto`` trains a network on the smoothing forecast too:
    series whose median train part is ``SHORT_ROWS`` rows or fewer, and no more than
    ``SMOOTHING_ROWS`` training rows in all; not on a warm start (which keeps its
    parent's baseline), nor for quantiles: ``detect`` reads them, and the smoothing
    forecast's state carries an anomaly on into later forecasts (tests/test_detect.py's
    injected spikes: flags with a precision of 0.67 under it, 0.8 or more without)."""
    if not (
        config.model.baseline == "auto"
        and config.training.init_from is None
        and not config.model.quantiles
    ):
        return False
    rows = np.array([b.train_end for b in prepared.bounds], dtype=np.float64)
    workers = prepared.workers
    median, total = pooled_median(workers, rows), float(pooled_sum(workers, rows.sum()))
    return median <= SHORT_ROWS and total <= SMOOTHING_ROWS


def _better(naive: TrainedForecaster, smoothing: TrainedForecaster) -> TrainedForecaster:
    """On ``MIN_ORIGINS`` validation origins or more, the smoothing forecast's network only
    when its served forecast's validation MASE is at least ``MARGIN`` lower than the
    other's (its own validation error is as optimistic: each chose its epoch there); on
    fewer, which are one stretch of the series, it (the better bet on a short series:
    benchmarks/README.md)."""
    naive_mase, origins = served_validation(naive.prepared, naive.forecaster, naive.served.served)
    smoothing_mase, _ = served_validation(
        smoothing.prepared, smoothing.forecaster, smoothing.served.served
    )
    naive_words = words(naive.network.coding.baseline)
    decided = origins >= MIN_ORIGINS
    if decided and not smoothing_mase < (1 - MARGIN) * naive_mase:
        _log.info(
            "model.baseline auto: the %s forecast, whose network scored a validation MASE of "
            "%.3f against %.3f for the one correcting the whole-history smoothing forecast "
            "(%d origins; that one is kept when %d %% lower or more)",
            naive_words,
            naive_mase,
            smoothing_mase,
            origins,
            round(100 * MARGIN),
        )
        return dataclasses.replace(naive, seconds_discarded=smoothing.seconds)
    why = (
        f"{round(100 * MARGIN)} % lower or more"
        if decided
        else f"on fewer than {MIN_ORIGINS}, validation does not choose"
    )
    _log.info(
        "model.baseline auto: the whole-history exponential smoothing forecast, whose network "
        "scored a validation MASE of %.3f against %.3f for the one correcting the %s forecast "
        "(%d origins: %s)",
        smoothing_mase,
        naive_mase,
        naive_words,
        origins,
        why,
    )
    return dataclasses.replace(smoothing, seconds_discarded=naive.seconds)


def _train_one(
    config: Config,
    dataset: Dataset,
    hooks: TrainingHooks,
    warn_skipped: bool,
    without_validation: str | None,
    workers: Workers,
) -> TrainedForecaster:
    """``train_forecaster`` for the baseline ``config`` says."""
    start = None
    if config.training.init_from is not None:
        start = warm_start(config, dataset)
        preprocessing = start.preprocessing
        prepared = dataclasses.replace(start.prepared, workers=workers)
    else:
        preprocessing, prepared = Preprocessing.fit_transform(
            config, dataset, warn_skipped=warn_skipped, workers=workers
        )
        if config.data.calendar_features == "auto" and preprocessing.calendar_features:
            _log.info(
                "calendar inputs: %s, the place in a cycle longer than the window "
                "(data.calendar_features)",
                ", ".join(preprocessing.calendar_features),
            )
    validation = prepared.windows("validation")
    if without_validation is not None and not pooled_sum(workers, len(validation)):
        raise ConfigError(without_validation)
    train_windows = training_windows(config, prepared)
    # TensorFlow loads here, not when this module is imported: validate and a locked
    # train never pay for it.
    from ..nn.keras_file import as_forecaster
    from ..nn.training import train_network

    network = train_network(
        config,
        prepared,
        train_windows,
        validation,
        hooks=hooks,
        start_from=None if start is None else start.model,
    )
    forecaster = as_forecaster(network.model, network.coding)
    choice = choose_served(prepared, forecaster, config.model.serve)
    if choice.served.uses_smoothing:
        _log.info("serving %s (%s)", choice.served.words(), choice.why)
    return TrainedForecaster(
        preprocessing=preprocessing.with_coding(network.coding).with_served(choice.served),
        prepared=dataclasses.replace(prepared, served=choice.served),
        check_windows=_last(validation if len(validation) else train_windows, CHECK_WINDOWS),
        validation_windows=validation,
        network=network,
        forecaster=forecaster,
        served=choice,
        parent=None if start is None else start.parent,
    )


def _last(windows: WindowSet, most: int) -> WindowSet:
    """The last ``most`` of ``windows``, their starts a copy (not a view that would keep
    every start)."""
    return dataclasses.replace(windows, starts=windows.starts[-most:].copy())


def training_windows(config: Config, prepared: Prepared) -> WindowSet:
    """The training windows (every ``window.stride`` steps); refuses a dataset that has none
    (of workers that each hold a share of the series, a share that has none)."""
    windows = prepared.windows("train", config.window.stride)
    workers = prepared.workers
    held = int(pooled_sum(workers, float(len(windows) > 0)))
    if held == 0:
        raise DataError(
            "no training window without missing values (data.missing: drop drops every "
            "window that touches a missing row); try ffill or interpolate",
            where=prepared.dataset.path,
        )
    if held < workers.share.count:
        raise DataError(
            f"{workers.share.count - held} of the {workers.share.count} workers' shares of "
            "the series hold no training window without missing values: run fewer workers",
            where=prepared.dataset.path,
        )
    return windows
