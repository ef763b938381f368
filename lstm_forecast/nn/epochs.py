"""What a training looks at between checks: the size of a batch and of an epoch
(``training.batch_size``, ``training.steps_per_epoch``) and the validation windows early
stopping watches (TensorFlow)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import tensorflow as tf

from ..config import TrainingConfig
from ..data.windows import WindowSet
from ..features.coding import WindowCoding
from .batches import batches_per_pass, host_tensor, window_dataset, without_rewrite_copy

__all__ = [
    "AUTO_BATCH",
    "AUTO_BATCH_MANY",
    "AUTO_EPOCH_WINDOWS",
    "Watched",
    "batch_size_for",
    "epoch_steps",
    "training_batches",
    "watched_batches",
]

# training.steps_per_epoch auto: the most windows in an epoch.
AUTO_EPOCH_WINDOWS = 10_000
# training.batch_size auto: AUTO_BATCH windows per batch, or AUTO_BATCH_MANY when the
# training windows are more than an auto epoch holds. Why these: benchmarks/README.md.
AUTO_BATCH = 32
AUTO_BATCH_MANY = 128

_log = logging.getLogger(__name__)


def batch_size_for(training: TrainingConfig, n_windows: int) -> int:
    """Windows per batch for ``n_windows`` training windows.

    ``auto`` is ``AUTO_BATCH``, or ``AUTO_BATCH_MANY`` when the windows are more than an
    auto epoch holds: there an epoch is a sample of the windows anyway, and one model
    over many series learns from steadier gradients in fewer, cheaper steps.
    """
    if training.batch_size != "auto":
        return training.batch_size
    if n_windows <= AUTO_EPOCH_WINDOWS:
        return AUTO_BATCH
    _log.info(
        f"batches of {AUTO_BATCH_MANY} windows, as there are more than "
        f"{AUTO_EPOCH_WINDOWS:,} training windows (training.batch_size: auto)"
    )
    return AUTO_BATCH_MANY


def epoch_steps(training: TrainingConfig, n_windows: int, batch_size: int) -> int | None:
    """Batches of ``batch_size`` per epoch (None: one pass over the ``n_windows`` training
    windows).

    ``auto`` caps an epoch at ``AUTO_EPOCH_WINDOWS`` windows, so that early stopping and
    progress come at least that often however many windows the data holds, and a
    training lasts as long as it keeps improving rather than as long as the data is.
    """
    if training.steps_per_epoch != "auto":
        return training.steps_per_epoch
    if n_windows <= AUTO_EPOCH_WINDOWS:
        return None
    steps = math.ceil(AUTO_EPOCH_WINDOWS / batch_size)
    _log.info(
        f"an epoch is {steps:,} batches of {batch_size} drawn at random from the "
        f"{n_windows:,} training windows (training.steps_per_epoch: auto; null makes it "
        "one pass over all of them)"
    )
    return steps


@dataclass(frozen=True)
class Watched:
    """The validation windows early stopping watches: their batches, repeated without
    end, and how many of them make one pass over every window."""

    batches: tf.data.Dataset
    steps: int

    def one_pass(self) -> tf.data.Dataset:
        return without_rewrite_copy(self.batches.take(self.steps))


def watched_batches(
    windows: WindowSet | None,
    coding: WindowCoding,
    batch_size: int,
    steps_per_epoch: int | None,
    rows: tf.Tensor | None = None,
) -> Watched | None:
    """The batches of validation windows early stopping watches (None: none, so it
    watches the training loss); ``rows`` as ``window_dataset`` takes them."""
    if windows is None or not len(windows):
        return None
    if steps_per_epoch is not None:
        # A long series' validation part would otherwise cost far more than the capped
        # epoch; an even spread still spans all of it.
        windows = windows.spread(steps_per_epoch * batch_size)
    batches = window_dataset(windows, coding, batch_size, repeat=True, rows=rows)
    return Watched(batches, batches_per_pass(len(windows), batch_size))


def training_batches(
    train_windows: WindowSet,
    validation_windows: WindowSet | None,
    coding: WindowCoding,
    batch_size: int,
    steps_per_epoch: int | None,
    seed: int | None,
) -> tuple[tf.data.Dataset, Watched | None]:
    """The training batches (endless, reshuffled each pass by ``seed``) and the validation
    batches early stopping watches, over one tensor of the series' rows (``host_tensor``):
    both sets of windows are cut from the same rows."""
    rows = host_tensor(train_windows.values)
    shares = validation_windows is not None and validation_windows.values is train_windows.values
    validation = watched_batches(
        validation_windows, coding, batch_size, steps_per_epoch, rows if shares else None
    )
    batches = window_dataset(
        train_windows, coding, batch_size, shuffle_seed=seed, repeat=True, rows=rows
    )
    return batches, validation
