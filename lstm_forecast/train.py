"""Fit a built network on windows gathered by tf.data (Keras, TensorFlow).

Training returns a result; it never prints or plots. Progress reaches the caller through
Keras' ``verbose`` (the caller decides where stdout goes) or a callback it passes in.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from .config import Config, TrainingConfig
from .encoding import WindowCoding
from .errors import TrainingDiverged
from .model import as_forecaster, average, build_model
from .prepare import Prepared
from .windows import WindowSet

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


@dataclass(frozen=True)
class Trained:
    """A trained forecaster: the (ensemble) network and each member's training."""

    model: keras.Model
    members: tuple[TrainResult, ...]
    coding: WindowCoding  # the data's coding, with intervals calibrated when there are any

    @property
    def seconds(self) -> float:
        return sum(m.seconds for m in self.members)


@dataclass(frozen=True)
class TrainResult:
    model: keras.Model
    history: dict[str, list[float]]  # per epoch: loss, val_loss (if validated)
    best_epoch: int  # 1-based epoch whose weights the model holds
    seconds: float

    @property
    def epochs_run(self) -> int:
        return len(self.history["loss"])


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop at the first NaN or infinite batch loss. Keras' own TerminateOnNaN prints to
    stdout, which belongs to results; ``fit`` reports the divergence instead."""

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.model.stop_training = True


class SignalsBetweenBatches(keras.callbacks.Callback):
    """Hold SIGINT and SIGTERM while TensorFlow runs and act on them before the next batch
    or at the epoch's end, from plain Python, with the handlers the caller had set.

    A handler that raises (Ctrl-C's KeyboardInterrupt, the CLI's ``Terminated``) at an
    arbitrary moment can land inside TensorFlow's own calls; about one SIGINT in a hundred
    aborted the process there (exit -6, no cleanup). Between batches the exception unwinds like any
    other, so staging directories are removed. Batches take milliseconds, so the delay is
    too short to notice.
    """

    _SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        super().__init__()
        self._previous: dict[int, Any] = {}
        self._held: list[int] = []

    @contextlib.contextmanager
    def holding(self) -> Iterator[SignalsBetweenBatches]:
        """Hold the signals in this block (main thread only: elsewhere Python delivers no
        signals); one that came after the last batch is acted on when the block ends."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        for signum in self._SIGNALS:
            previous = signal.getsignal(signum)
            if previous not in (signal.SIG_IGN, None):
                self._previous[signum] = signal.signal(signum, self._hold)
        try:
            yield self
        finally:
            self._release()

    def _hold(self, signum: int, frame: Any) -> None:
        self._held.append(signum)

    def _release(self) -> None:
        previous, self._previous = self._previous, {}
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if self._held:
            signum = self._held[0]
            self._held = []
            handler = previous.get(signum, signal.SIG_DFL)
            if callable(handler):
                handler(signum, None)
            else:
                signal.raise_signal(signum)  # the default action, e.g. exit

    def _act_on_held(self, *args: Any, **kwargs: Any) -> None:
        if self._held:
            self._release()

    # Batch beginnings, not ends: a callback on batch ends makes Keras wait for every
    # batch's loss (no asynchronous dispatch).
    on_train_batch_begin = on_test_batch_begin = on_epoch_end = _act_on_held


class EpochLines(keras.callbacks.Callback):
    """One line per epoch through ``emit`` (for logs and cron, where a bar is noise)."""

    def __init__(self, emit: Callable[[str], None], epochs: int) -> None:
        super().__init__()
        self._emit = emit
        self._epochs = epochs
        self._started = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        shown = " ".join(
            f"{k} {v:.4g}" for k, v in (logs or {}).items() if k in ("loss", "val_loss")
        )
        took = time.perf_counter() - self._started
        self._emit(f"epoch {epoch + 1}/{self._epochs} {shown} ({took:.2f}s)")


def train_forecaster(
    config: Config,
    prepared: Prepared,
    train_windows: WindowSet,
    validation_windows: WindowSet | None,
    *,
    verbose: int = 0,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    progress: Callable[[str], None] | None = None,
) -> Trained:
    """Build and fit ``training.ensemble`` networks (seeds ``seed``, ``seed + 1``...) and
    average them into one model. ``progress``, if given, receives one line per epoch."""
    if progress is not None:
        callbacks = [*callbacks, EpochLines(progress, config.training.epochs)]
    # First: a multi-worker strategy must exist before TensorFlow runs anything.
    strategy = strategy_for(config.training.distribute)
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
            network = network_for(config, prepared)
            members.append(
                fit(
                    network,
                    training,
                    train_windows,
                    validation_windows,
                    prepared.coding,
                    quantiles=config.model.quantiles,
                    verbose=verbose,
                    callbacks=callbacks,
                )
            )
    model = average([m.model for m in members])
    coding = prepared.coding
    if len(config.model.quantiles) > 1:
        held_out = validation_windows if validation_windows else train_windows
        coding = _calibrated(model, coding, held_out)
    return Trained(model=model, members=tuple(members), coding=coding)


def strategy_for(distribute: str) -> tf.distribute.Strategy:
    """TensorFlow's strategy for ``training.distribute``. Batches stay global: each step's
    batch of ``batch_size`` windows is split over the replicas."""
    if distribute == "mirrored":
        return tf.distribute.MirroredStrategy()
    if distribute == "multi_worker":
        # Reads TF_CONFIG and waits for every worker it names.
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()  # the default: one device, scope() changes nothing


def _member_logs(training: TrainingConfig, member: int) -> Path | None:
    """Each ensemble member logs to its own run folder, which TensorBoard shows as a run."""
    if training.tensorboard is None or training.ensemble == 1:
        return training.tensorboard
    return training.tensorboard / f"member_{member + 1}"


def network_for(config: Config, prepared: Prepared) -> keras.Model:
    """A fresh, untrained network of ``config.model`` shaped for ``prepared``'s windows."""
    return build_model(
        config.model,
        lookback=config.window.lookback,
        n_inputs=prepared.stacked.shape[1],
        horizon=config.window.horizon,
        n_targets=prepared.dataset.n_targets,
        n_series=len(prepared.dataset.series),
    )


def _calibrated(model: keras.Model, coding: WindowCoding, windows: WindowSet) -> WindowCoding:
    """Calibrate the intervals on windows the network was not fit to (the validation
    part; the training windows, optimistically, when there is none)."""
    inputs, targets = windows.gather()
    forecasts = as_forecaster(model, coding)(inputs)
    return coding.calibrate(forecasts, targets)


def seed_everything(seed: int, *, deterministic: bool = True) -> None:
    """Seed Python, NumPy and TensorFlow; with ``deterministic``, make TensorFlow's kernels
    deterministic too (it cannot be switched off again in this process)."""
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def fit(
    model: keras.Model,
    training: TrainingConfig,
    train_windows: WindowSet,
    validation_windows: WindowSet | None,
    coding: WindowCoding,
    *,
    quantiles: Sequence[float] = (),
    verbose: int = 0,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> TrainResult:
    """Compile and fit ``model``; early stopping keeps the best epoch's weights.

    Args:
        quantiles: train with the pinball loss for these quantiles instead of
            ``training.loss`` (the model must output one value per quantile).
        verbose: Keras' verbosity (0 silent, 1 progress bar, 2 a line per epoch).
        callbacks: extra callbacks, e.g. ``EpochLines`` for progress.

    Raises:
        TrainingDiverged: the loss became NaN or infinite.
    """
    loss = pinball_loss(quantiles) if quantiles else _LOSSES[training.loss]()
    optimizer = _OPTIMIZERS[training.optimizer](learning_rate=training.learning_rate)
    model.compile(optimizer=optimizer, loss=loss)
    if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
        _fit_across_workers(model)
    validated = validation_windows is not None and len(validation_windows) > 0
    if validation_windows is not None and training.steps_per_epoch is not None:
        # A long series' validation part would otherwise cost far more than the capped
        # epoch; an even spread still spans all of it.
        validation_windows = validation_windows.spread(
            training.steps_per_epoch * training.batch_size
        )
    monitor = "val_loss" if validated else "loss"
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
    started = time.perf_counter()
    signals = SignalsBetweenBatches()
    with signals.holding():
        fitted = model.fit(
            window_dataset(
                train_windows,
                coding,
                training.batch_size,
                shuffle_seed=training.seed,
                repeat=training.steps_per_epoch is not None,
            ),
            steps_per_epoch=training.steps_per_epoch,
            validation_data=(
                window_dataset(validation_windows, coding, training.batch_size)
                if validated and validation_windows is not None
                else None
            ),
            epochs=training.epochs,
            verbose=verbose,
            shuffle=False,  # the dataset shuffles
            callbacks=[*schedule, *callbacks, signals],
        )
    history = {
        k: [float(v) for v in values]
        for k, values in fitted.history.items()
        if k in ("loss", "val_loss")
    }
    if not all(math.isfinite(v) for v in history["loss"]):
        raise TrainingDiverged(
            f"the training loss became {history['loss'][-1]} at epoch {len(history['loss'])}; "
            "lower training.learning_rate, or scale the data (preprocessing.scaler: standard)"
        )
    best = int(np.argmin(history[monitor])) + 1
    return TrainResult(
        model=model, history=history, best_epoch=best, seconds=time.perf_counter() - started
    )


def _fit_across_workers(model: keras.Model) -> None:
    """Make ``model.fit`` work under MultiWorkerMirroredStrategy with Keras 3 (3.15), which
    fails there twice (keras-team/keras#20585; TensorFlow's multi-worker tutorial fails the
    same way). Only this model instance changes.

    - Before the first step, ``fit`` averages the first batch over the replicas to build
      the model from its shapes, a reduction that fails eagerly ("Attempt to convert a
      value (PerReplica...)"). This worker's own part of the batch has the same shapes,
      so the model builds from that.
    - It averages each step's logs over the replicas along axis 0, which a scalar loss
      lacks ("Invalid reduction dimension 0"). The steps here return each figure as a
      one-element vector, whose mean over the replicas is the scalar Keras expects, the
      same on every worker (an all-reduce), so early stopping decides the same on all.
    """

    strategy = model.distribute_strategy

    def first_local(value: Any) -> Any:
        if isinstance(value, tf.distribute.DistributedValues):
            return strategy.experimental_local_results(value)[0]
        return value

    def build(iterator: Any = None, data_batch: Any = None) -> None:
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = tf.nest.map_structure(first_local, next(batches))
                break
        with strategy.scope():
            model._symbolic_build(data_batch=data_batch)

    def as_vectors(step: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
        def vector_step(data: Any) -> dict[str, Any]:
            return {name: tf.reshape(value, [1]) for name, value in step(data).items()}

        return vector_step

    model._maybe_symbolic_build = build
    model.train_step = as_vectors(model.train_step)
    model.test_step = as_vectors(model.test_step)


def pinball_loss(quantiles: Sequence[float]) -> Callable[[tf.Tensor, tf.Tensor], tf.Tensor]:
    """Mean pinball (quantile) loss of predictions ``(batch, horizon, n_targets, n_q)``
    against targets ``(batch, horizon, n_targets)``."""
    levels = tf.constant(quantiles, dtype=tf.float32)

    def loss(targets: tf.Tensor, predictions: tf.Tensor) -> tf.Tensor:
        error = tf.expand_dims(targets, -1) - predictions
        return tf.reduce_mean(tf.maximum(levels * error, (levels - 1.0) * error))

    return loss


def _start_batches(
    starts: np.ndarray, batch_size: int, shuffle_seed: int | None, *, repeat: bool
) -> tf.data.Dataset:
    """Batches of window starts, in a new random order each pass when ``shuffle_seed`` is
    given (the same orders for the same seed).

    A pass shuffles one int64 tensor of starts: 40 MB for 5 million windows, where
    ``Dataset.shuffle`` over them would buffer each start as its own element (about
    900 MB measured).
    """
    n = len(starts)
    all_starts = tf.constant(starts, dtype=tf.int64)
    n_batches = -(-n // batch_size)

    def one_pass(key: tf.Tensor) -> tf.data.Dataset:
        order = all_starts
        if shuffle_seed is not None:
            seed = tf.stack([tf.constant(shuffle_seed, tf.int64), key])
            order = tf.random.experimental.stateless_shuffle(all_starts, seed=seed)
        return tf.data.Dataset.range(n_batches).map(
            lambda b: order[b * batch_size : (b + 1) * batch_size]
        )

    # One key per pass; a new iterator (Keras starts one per epoch) draws new keys.
    keys = tf.data.Dataset.random(seed=shuffle_seed or 0, rerandomize_each_iteration=True)
    passes = keys if repeat else keys.take(1)
    batches = passes.flat_map(one_pass)
    return batches if repeat else batches.apply(tf.data.experimental.assert_cardinality(n_batches))


def window_dataset(
    windows: WindowSet,
    coding: WindowCoding,
    batch_size: int,
    shuffle_seed: int | None = None,
    *,
    repeat: bool = False,
) -> tf.data.Dataset:
    """Batches of ``(network inputs, targets relative to the baseline)``; endless with
    ``repeat`` (for ``steps_per_epoch``: each epoch continues where the last one stopped,
    reshuffled after every full pass).

    Only the series and the window starts live in memory; each batch's windows are gathered
    and encoded when the batch is made (by the same ``WindowCoding`` that inference uses),
    so memory grows with the series, not with series x lookback.
    """
    values = tf.constant(windows.values, dtype=tf.float32)
    input_rows = tf.range(windows.lookback, dtype=tf.int64)
    target_rows = windows.lookback + tf.range(windows.horizon, dtype=tf.int64)

    def batch(starts: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        # Pure TensorFlow ops, so batches are made in parallel outside Python's lock.
        raw_inputs = tf.gather(values, starts[:, None] + input_rows)
        targets = tf.gather(values, starts[:, None] + target_rows)[:, :, : windows.n_targets]
        inputs, offset, scale = coding.encode(raw_inputs, einsum=tf.einsum)
        return inputs, coding.targets(targets, offset, scale)

    dataset = _start_batches(windows.starts, batch_size, shuffle_seed, repeat=repeat)
    batches = dataset.map(batch, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    # Under a multi-worker strategy each worker keeps its share of every batch (DATA
    # sharding: there are no files to shard by); the order is the same on every worker,
    # which has the same seed.
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return batches.prefetch(tf.data.AUTOTUNE).with_options(options)
