"""The one path from a dataset to a trained forecaster: fit the preprocessing, cut the
windows, train the network. ``train``, ``backtest`` and ``tune`` all go through it."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config import Config
from ..data import Dataset
from ..data.windows import WindowSet
from ..errors import ConfigError, DataError
from ..features import Prepared, Preprocessing
from ..features.forecasts import Forecaster
from ..nn.hooks import SILENT, TrainingHooks
from ..scoring.serving import ServedChoice, choose_served
from .warm_start import warm_start

if TYPE_CHECKING:
    from ..nn.training import TrainedNetwork

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainedForecaster:
    """A trained network behind its preprocessing, and what it was trained on."""

    preprocessing: Preprocessing  # with the coding training ended with (calibrated)
    prepared: Prepared
    train_windows: WindowSet
    validation_windows: WindowSet
    network: TrainedNetwork
    forecaster: Forecaster  # scaled windows -> scaled forecasts, in inference mode
    served: ServedChoice  # what the bundle serves (``prepared.served``) and why
    parent: dict[str, str] | None = None  # the bundle a warm start began from


def train_forecaster(
    config: Config,
    dataset: Dataset,
    *,
    hooks: TrainingHooks = SILENT,
    warn_skipped: bool = True,
    without_validation: str | None = None,
) -> TrainedForecaster:
    """Fit the preprocessing on ``dataset``'s train parts, then train the network of
    ``config`` on the training windows with early stopping on the validation windows.

    ``without_validation``: if given, the message of the ``ConfigError`` raised before any
    training when there are no validation windows (``tune`` needs them).
    """
    start = None
    if config.training.init_from is not None:
        start = warm_start(config, dataset)
        preprocessing, prepared = start.preprocessing, start.prepared
    else:
        preprocessing, prepared = Preprocessing.fit_transform(
            config, dataset, warn_skipped=warn_skipped
        )
        if config.data.calendar_features == "auto" and preprocessing.calendar_features:
            _log.info(
                "calendar inputs: %s, the place in a cycle longer than the window "
                "(data.calendar_features)",
                ", ".join(preprocessing.calendar_features),
            )
    validation = prepared.windows("validation")
    if without_validation is not None and not len(validation):
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
        train_windows=train_windows,
        validation_windows=validation,
        network=network,
        forecaster=forecaster,
        served=choice,
        parent=None if start is None else start.parent,
    )


def training_windows(config: Config, prepared: Prepared) -> WindowSet:
    """The training windows (every ``window.stride`` steps); refuses a dataset that has none."""
    windows = prepared.windows("train", config.window.stride)
    if len(windows) == 0:
        raise DataError(
            "no training window without missing values (data.missing: drop drops every "
            "window that touches a missing row); try ffill or interpolate",
            where=prepared.dataset.path,
        )
    return windows
