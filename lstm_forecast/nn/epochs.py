"""What a training looks at between checks: the size of a batch and of an epoch
(``training.batch_size``, ``training.steps_per_epoch``) and the validation windows early
stopping watches (TensorFlow)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from ..config import TrainingConfig
from ..data.share import ALONE, Workers, pooled, pooled_sum
from ..data.windows import WindowSet
from ..errors import DataError
from ..features.coding import WindowCoding
from .batches import (
    batches_per_pass,
    distributed_without_rewrite_copy,
    host_tensor,
    window_dataset,
    without_rewrite_copy,
)

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
    # Of workers that each watch their own windows: the batches of one pass over this
    # one's (None: one process, ``steps``).
    own_batches: int | None = None

    def one_pass(self) -> tf.data.Dataset:
        """This process's batches of one pass over its windows."""
        own = self.steps if self.own_batches is None else self.own_batches
        return without_rewrite_copy(self.batches.take(own))

    def to_fit(self) -> Any:
        """What ``fit`` is given: of workers that each watch their own windows, those
        (``per_worker``)."""
        return self.batches if self.own_batches is None else per_worker(self.batches)


def watched_batches(
    windows: WindowSet | None,
    coding: WindowCoding,
    batch_size: int,
    steps_per_epoch: int | None,
    rows: tf.Tensor | None = None,
    workers: Workers = ALONE,
) -> Watched | None:
    """The batches of validation windows early stopping watches (None: none, so it
    watches the training loss); ``rows`` as ``window_dataset`` takes them. Of workers
    that each hold a share of the series, each watches its own windows, for as many
    steps as the worker with the most needs (the others' batches go round again)."""
    count = workers.share.count
    held = int(pooled_sum(workers, float(bool(windows is not None and len(windows)))))
    if not held:
        return None
    if windows is None or not len(windows) or held < count:
        raise DataError(
            f"{count - held} of the {count} workers' shares of the series hold no validation "
            "window, where the others do: run fewer workers, or give every series a "
            "validation part (split.validation)"
        )
    if steps_per_epoch is not None:
        # A long series' validation part would otherwise cost far more than the capped
        # epoch; an even spread still spans all of it.
        windows = windows.spread(steps_per_epoch * batch_size // count)
    if count == 1:
        batches = window_dataset(windows, coding, batch_size, repeat=True, rows=rows)
        return Watched(batches, batches_per_pass(len(windows), batch_size))
    own = _own_batch(batch_size, workers)
    batches = window_dataset(windows, coding, own, repeat=True, rows=rows)
    steps = batches_per_pass(len(windows), own)
    most = int(pooled(workers, np.array([steps])).max())
    return Watched(batches, most, steps)


def _own_batch(batch_size: int, workers: Workers) -> int:
    """This worker's part of each batch of ``batch_size`` (the first few take one more
    where it does not divide)."""
    share = workers.share
    return max(batch_size // share.count + (share.index < batch_size % share.count), 1)


def per_worker(batches: tf.data.Dataset) -> Any:
    """``batches``, this worker's own, as its replica's part of every step: given to
    ``fit`` as they are, where a dataset given to the strategy is cloned for the workers,
    its graph serialised with the rows it reads (a copy of every model row)."""
    strategy = tf.distribute.get_strategy()
    return distributed_without_rewrite_copy(
        strategy.distribute_datasets_from_function(lambda _: batches)
    )


def training_batches(
    training: TrainingConfig,
    train_windows: WindowSet,
    validation_windows: WindowSet | None,
    coding: WindowCoding,
    workers: Workers = ALONE,
) -> tuple[Any, Watched | None, int]:
    """The training batches (endless, reshuffled each pass by ``training.seed``), the
    validation batches early stopping watches, and the batches of an epoch, over one
    tensor of the series' rows (``host_tensor``): both sets of windows are cut from the
    same rows. Of workers that each hold a share of the series, each feeds its own
    windows, and the batch and epoch sizes follow every worker's."""
    n_windows = int(pooled_sum(workers, len(train_windows)))
    batch_size = batch_size_for(training, n_windows)
    steps_per_epoch = epoch_steps(training, n_windows, batch_size)
    rows = host_tensor(train_windows.values)
    shares = validation_windows is not None and validation_windows.values is train_windows.values
    validation = watched_batches(
        validation_windows, coding, batch_size, steps_per_epoch, rows if shares else None, workers
    )
    shared = workers.share.count > 1
    batches = window_dataset(
        train_windows,
        coding,
        _own_batch(batch_size, workers) if shared else batch_size,
        shuffle_seed=training.seed,
        repeat=True,
        rows=rows,
    )
    steps = steps_per_epoch or batches_per_pass(n_windows, batch_size)
    return (per_worker(batches) if shared else batches), validation, steps
