"""Fit a built network on windows gathered by tf.data (Keras, TensorFlow).

Training returns a result; it never prints or plots. Progress reaches the caller through
Keras' ``verbose`` (the caller decides where stdout goes) or a callback it passes in.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from .config import TrainingConfig
from .errors import TrainingDiverged
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
class TrainResult:
    model: keras.Model
    history: dict[str, list[float]]  # per epoch: loss, val_loss (if validated)
    best_epoch: int  # 1-based epoch whose weights the model holds
    seconds: float

    @property
    def epochs_run(self) -> int:
        return len(self.history["loss"])


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


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow, and make TensorFlow's kernels deterministic."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def fit(
    model: keras.Model,
    training: TrainingConfig,
    train_windows: WindowSet,
    validation_windows: WindowSet | None,
    *,
    verbose: int = 0,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> TrainResult:
    """Compile and fit ``model``; early stopping keeps the best epoch's weights.

    Args:
        verbose: Keras' verbosity (0 silent, 1 progress bar, 2 a line per epoch).
        callbacks: extra callbacks, e.g. ``EpochLines`` for progress.

    Raises:
        TrainingDiverged: the loss became NaN or infinite.
    """
    model.compile(
        optimizer=_OPTIMIZERS[training.optimizer](learning_rate=training.learning_rate),
        loss=_LOSSES[training.loss](),
    )
    validated = validation_windows is not None and len(validation_windows) > 0
    monitor = "val_loss" if validated else "loss"
    stopper = keras.callbacks.EarlyStopping(
        monitor=monitor, patience=training.early_stopping_patience, restore_best_weights=True
    )
    started = time.perf_counter()
    fitted = model.fit(
        window_dataset(train_windows, training.batch_size, shuffle_seed=training.seed),
        validation_data=(
            window_dataset(validation_windows, training.batch_size)
            if validated and validation_windows is not None
            else None
        ),
        epochs=training.epochs,
        verbose=verbose,
        shuffle=False,  # the dataset shuffles
        callbacks=[keras.callbacks.TerminateOnNaN(), stopper, *callbacks],
    )
    history = {k: [float(v) for v in values] for k, values in fitted.history.items()}
    if not all(math.isfinite(v) for v in history["loss"]):
        raise TrainingDiverged(
            f"the training loss became {history['loss'][-1]} at epoch {len(history['loss'])}; "
            "lower training.learning_rate, or scale the data (preprocessing.scaler: standard)"
        )
    best = int(np.argmin(history[monitor])) + 1
    return TrainResult(
        model=model, history=history, best_epoch=best, seconds=time.perf_counter() - started
    )


def window_dataset(
    windows: WindowSet, batch_size: int, shuffle_seed: int | None = None
) -> tf.data.Dataset:
    """Batches of ``(inputs, targets)`` gathered from the series by start offset.

    Only the series and the starts live in memory; each batch's windows are gathered when
    the batch is made, so memory grows with the series, not with series x lookback.
    """
    values = tf.constant(windows.values, dtype=tf.float32)
    input_rows = tf.range(windows.lookback, dtype=tf.int64)
    target_rows = tf.range(windows.lookback, windows.lookback + windows.horizon, dtype=tf.int64)
    n_targets = windows.n_targets

    def gather(starts: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        inputs = tf.gather(values, starts[:, None] + input_rows)
        targets = tf.gather(values, starts[:, None] + target_rows)[:, :, :n_targets]
        return inputs, targets

    dataset = tf.data.Dataset.from_tensor_slices(windows.starts)
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(windows), seed=shuffle_seed, reshuffle_each_iteration=True)
    return (
        dataset.batch(batch_size)
        .map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .prefetch(tf.data.AUTOTUNE)
    )
