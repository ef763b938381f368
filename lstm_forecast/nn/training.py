"""Train networks: build each ensemble member, train it with Keras' ``fit`` on windows
gathered by tf.data with early stopping, average the members, calibrate the intervals
(Keras, TensorFlow).

Training returns a result; it never prints or plots. Progress reaches the caller through
Keras' ``verbose`` (the caller decides where stdout goes) or the callbacks of its
``TrainingHooks``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from ..config import Config, TrainingConfig
from ..data.share import ALONE, Workers, pooled, pooled_sum
from ..data.windows import WindowSet
from ..errors import TrainingDiverged
from ..features import Prepared
from ..features.coding import WindowCoding
from .callbacks import EpochLines, SignalsBetweenBatches, StopOnNonFiniteLoss
from .epochs import Watched, training_batches
from .exchange import strategy_for
from .hooks import SILENT, TrainingHooks
from .keras_file import as_forecaster
from .multiworker import fit_across_workers
from .network import average, describe, network_for, uncompiled

_OPTIMIZERS = {
    "adam": keras.optimizers.Adam,
    "adamw": keras.optimizers.AdamW,
    "rmsprop": keras.optimizers.RMSprop,
    "sgd": keras.optimizers.SGD,
}


_LOSSES = {
    "mse": keras.losses.MeanSquaredError,
    "mae": keras.losses.MeanAbsoluteError,
    "huber": keras.losses.Huber,
}


_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainedNetwork:
    """A trained network: the (ensemble average) model and each member's training."""

    model: keras.Model
    members: tuple[MemberTraining, ...]
    coding: WindowCoding  # the data's coding, with intervals calibrated when there are any

    @property
    def seconds(self) -> float:
        return sum(m.seconds for m in self.members)


@dataclass(frozen=True)
class MemberTraining:
    """One ensemble member's training: its network and losses per epoch."""

    model: keras.Model
    history: dict[str, list[float]]  # per epoch: loss, val_loss (if validated)
    best_epoch: int  # 1-based epoch whose weights the model holds
    seconds: float
    # The validation loss before training: its baseline's own, since the network's output
    # starts at zero (None without validation windows).
    start_val_loss: float | None = None

    @property
    def epochs_run(self) -> int:
        return len(self.history["loss"])


def train_network(
    config: Config,
    prepared: Prepared,
    train_windows: WindowSet,
    validation_windows: WindowSet | None,
    *,
    hooks: TrainingHooks = SILENT,
    start_from: keras.Model | None = None,
) -> TrainedNetwork:
    """Build and train ``training.ensemble`` networks (seeds ``seed``, ``seed + 1``...) and
    average them into one model; ``start_from``: a network (of one member) whose copy
    training goes on from."""
    callbacks = list(hooks.callbacks)
    if hooks.progress is not None:
        callbacks.append(EpochLines(hooks.progress, config.training.epochs))
    # First: a multi-worker strategy must exist before TensorFlow runs anything.
    strategy = strategy_for(config.training.distribute)
    workers = prepared.workers
    n_windows = int(pooled_sum(workers, len(train_windows)))
    if start_from is None:
        logged = any(scaler.n_logged for scaler in prepared.scalers)
        _log.info(hooks.label + describe(config.model, prepared.coding, n_windows, logged))
    members = []
    for member in range(config.training.ensemble):
        training = config.training.model_copy(
            update={
                "seed": config.training.seed + member,
                "tensorboard": _member_logs(config.training, member),
            }
        )
        seed_everything(training.seed, deterministic=training.deterministic)
        with strategy.scope():  # variables made here are mirrored on every replica
            if start_from is None:
                network = network_for(config, prepared, n_windows)
            else:
                network = uncompiled(start_from)  # its weights, not its compile state
            members.append(
                train_member(
                    network,
                    training,
                    train_windows,
                    validation_windows,
                    prepared.coding,
                    quantiles=config.model.quantiles,
                    verbose=hooks.verbose,
                    callbacks=callbacks,
                    workers=workers,
                )
            )
    model = average([m.model for m in members])
    coding = prepared.coding
    if len(config.model.quantiles) > 1:
        held_out = validation_windows if validation_windows else train_windows
        coding = _calibrated(model, coding, held_out, workers)
    return TrainedNetwork(model=model, members=tuple(members), coding=coding)


def _member_logs(training: TrainingConfig, member: int) -> Path | None:
    """Each ensemble member logs to its own run folder, which TensorBoard shows as a run."""
    if training.tensorboard is None or training.ensemble == 1:
        return training.tensorboard
    return training.tensorboard / f"member_{member + 1}"


def _calibrated(
    model: keras.Model, coding: WindowCoding, windows: WindowSet, workers: Workers
) -> WindowCoding:
    """Calibrate the intervals on windows the network was not fit to (the validation
    part; the training windows, optimistically, when there is none); every worker's."""
    inputs, targets = windows.gather()
    forecasts = as_forecaster(model, coding)(inputs)
    return coding.calibrate(pooled(workers, forecasts), pooled(workers, targets))


def seed_everything(seed: int, *, deterministic: bool = True) -> None:
    """Seed Python, NumPy and TensorFlow; with ``deterministic``, make TensorFlow's kernels
    deterministic too (it cannot be switched off again in this process)."""
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def train_member(
    model: keras.Model,
    training: TrainingConfig,
    train_windows: WindowSet,
    validation_windows: WindowSet | None,
    coding: WindowCoding,
    *,
    quantiles: Sequence[float] = (),
    verbose: int = 0,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    workers: Workers = ALONE,
) -> MemberTraining:
    """Compile ``model`` and train it with Keras' ``fit``; early stopping keeps the best
    epoch's weights.

    Args:
        quantiles: train with the pinball loss for these quantiles instead of
            ``training.loss`` (the model must output one value per quantile).
        verbose: Keras' verbosity (0 silent, 1 progress bar, 2 a line per epoch).
        callbacks: extra callbacks, e.g. ``EpochLines`` for progress.
        workers: every worker, where each holds a share of the series (the windows
            here are this one's): batch and epoch follow every worker's windows.

    Raises:
        TrainingDiverged: the loss became NaN or infinite.
    """
    loss = pinball_loss(quantiles) if quantiles else _LOSSES[training.loss]()
    optimizer = _OPTIMIZERS[training.optimizer](learning_rate=training.learning_rate)
    model.compile(optimizer=optimizer, loss=loss)
    if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
        fit_across_workers(model)
    batches, validation, steps = training_batches(
        training, train_windows, validation_windows, coding, workers
    )
    monitor = "loss" if validation is None else "val_loss"
    start_val_loss = None
    if validation is not None:
        start_val_loss = _baseline_loss(model, loss, validation, workers)
    started = time.perf_counter()
    signals = SignalsBetweenBatches()
    with signals.holding():
        # Endless datasets with a count of batches per epoch: Keras then keeps one
        # iterator for the whole training, where a finite dataset costs two new ones per
        # epoch, each taking longer than a small series' whole epoch of batches.
        keras_history = model.fit(
            batches,
            steps_per_epoch=steps,
            validation_data=None if validation is None else validation.to_fit(),
            validation_steps=None if validation is None else validation.steps,
            epochs=training.epochs,
            verbose=verbose,
            shuffle=False,  # the dataset shuffles
            callbacks=[*_schedule(training, monitor), *callbacks, signals],
        )
    history = _finite_history(keras_history.history)
    best = int(np.argmin(history[monitor])) + 1
    return MemberTraining(model, history, best, time.perf_counter() - started, start_val_loss)


def _baseline_loss(
    model: keras.Model, loss: Callable[..., Any], validation: Watched, workers: Workers
) -> float:
    """The mean loss over the validation windows (every worker's) of an output of zeros:
    the baseline's, which the network starts as. Computed here rather than by
    ``model.evaluate``, which under a multi-worker strategy is a collective every worker
    would have to join."""
    total = count = 0.0
    for _, targets in validation.one_pass():
        zeros = tf.zeros((tf.shape(targets)[0], *model.output_shape[1:]), dtype=targets.dtype)
        if isinstance(loss, keras.losses.Loss):
            # Reduced, a Keras loss is divided by the replicas under a strategy of several
            # (each replica's share of a sum); ``call`` gives each window's, unreduced.
            mean = tf.reduce_mean(loss.call(targets, zeros))
        else:
            mean = loss(targets, zeros)
        total += float(mean) * len(targets)
        count += len(targets)
    total, count = pooled_sum(workers, np.array([total, count]))
    return float(total / count)


def pinball_loss(quantiles: Sequence[float]) -> Callable[[tf.Tensor, tf.Tensor], tf.Tensor]:
    """Mean pinball (quantile) loss of predictions ``(batch, horizon, n_targets, n_q)``
    against targets ``(batch, horizon, n_targets)``."""
    levels = tf.constant(quantiles, dtype=tf.float32)

    def loss(targets: tf.Tensor, predictions: tf.Tensor) -> tf.Tensor:
        error = tf.expand_dims(targets, -1) - predictions
        return tf.reduce_mean(tf.maximum(levels * error, (levels - 1.0) * error))

    return loss


def _schedule(training: TrainingConfig, monitor: str) -> list[keras.callbacks.Callback]:
    """The callbacks every training runs: stop on a non-finite loss, early stopping that
    keeps the best weights, and those the config asks for."""
    schedule: list[keras.callbacks.Callback] = [
        StopOnNonFiniteLoss(),
        keras.callbacks.EarlyStopping(
            monitor=monitor, patience=training.early_stopping_patience, restore_best_weights=True
        ),
    ]
    if training.tensorboard is not None:
        schedule.append(
            keras.callbacks.TensorBoard(log_dir=str(training.tensorboard), write_graph=False)
        )
    if training.reduce_lr_patience:
        schedule.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor=monitor, factor=0.5, patience=training.reduce_lr_patience
            )
        )
    return schedule


def _finite_history(raw: dict[str, list[float]]) -> dict[str, list[float]]:
    """The losses per epoch; raises ``TrainingDiverged`` if the training loss was not finite."""
    history = {
        k: [float(v) for v in values] for k, values in raw.items() if k in ("loss", "val_loss")
    }
    if not all(math.isfinite(v) for v in history["loss"]):
        raise TrainingDiverged(
            f"the training loss became {history['loss'][-1]} at epoch {len(history['loss'])}; "
            "lower training.learning_rate, or scale the data (preprocessing.scaler: standard)"
        )
    return history
