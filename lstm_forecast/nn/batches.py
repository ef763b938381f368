"""Training batches made by tf.data from window starts: the series live in memory once,
each batch's windows are gathered and encoded when the batch is made (TensorFlow)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import tensorflow as tf

# Private modules: the one switch (op determinism off) that is not public, and the base
# of a dataset that changes only how its iterators are made (``_IteratedWithoutRewrite``).
from tensorflow.python.data.ops import dataset_ops
from tensorflow.python.framework import config as tf_config

from ..data.row_files import ALIGNMENT
from ..data.windows import WindowSet
from ..features.coding import WindowCoding

__all__ = [
    "batches_per_pass",
    "host_tensor",
    "start_batches",
    "window_dataset",
    "without_rewrite_copy",
]


def window_dataset(
    windows: WindowSet,
    coding: WindowCoding,
    batch_size: int,
    shuffle_seed: int | None = None,
    *,
    repeat: bool = False,
    rows: tf.Tensor | None = None,
) -> tf.data.Dataset:
    """Batches of ``(network inputs, targets relative to the baseline)``; endless with
    ``repeat`` (for ``steps_per_epoch``: each epoch continues where the last one stopped,
    reshuffled after every full pass).

    Only the series and the window starts live in memory; each batch's windows are gathered
    and encoded when the batch is made (by the same ``WindowCoding`` that inference uses),
    so memory grows with the series, not with series x lookback. ``rows``: ``windows.values``
    already as a tensor (``host_tensor``), for windows that share their rows (the training
    and the validation windows) to share one tensor.
    """
    values = host_tensor(windows.values) if rows is None else rows
    input_rows = tf.range(windows.input_rows or windows.lookback, dtype=tf.int64)
    target_rows = windows.lookback + tf.range(windows.horizon, dtype=tf.int64)

    def batch(starts: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        # Pure TensorFlow ops, so batches are made in parallel outside Python's lock.
        raw_inputs = tf.gather(values, starts[:, None] + input_rows)
        targets = tf.gather(values, starts[:, None] + target_rows)[:, :, : windows.n_targets]
        inputs, offset, scale = coding.encode(raw_inputs, einsum=tf.einsum)
        return inputs, coding.targets(targets, offset, scale)

    dataset = start_batches(windows.starts, batch_size, shuffle_seed, repeat=repeat)
    batches = dataset.map(batch, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    # Under a multi-worker strategy each worker keeps its share of every batch (DATA
    # sharding: there are no files to shard by); the order is the same on every worker,
    # which has the same seed. (Workers that each feed their own windows give theirs to
    # the strategy as they are: ``epochs.per_worker``, which shards nothing.)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    # tf.data's default graph rewrites serialise the pipeline, the rows it reads with it:
    # a copy of every row (12 bytes a row at three columns) for rewrites that change
    # nothing here (the maps are parallel and prefetched already).
    options.experimental_optimization.apply_default_optimizations = False
    return without_rewrite_copy(batches.prefetch(tf.data.AUTOTUNE).with_options(options))


def without_rewrite_copy(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """``dataset``, whose iterators are made without tf.data's op-determinism rewrite
    (``_IteratedWithoutRewrite``)."""
    return _IteratedWithoutRewrite(dataset)


class _IteratedWithoutRewrite(dataset_ops.UnaryUnchangedStructureDataset):
    """A dataset whose iterators are made with op determinism off for that instant.

    Under op determinism (``training.deterministic``), making an iterator rewrites the
    pipeline (tf.data's make_deterministic), and a rewrite serialises it with the rows
    its batches read: a copy of every model row for as long as the iterator lives (12
    bytes a row at three columns; benchmarks/README.md). The rewrite would change
    nothing here: every map is stateless and already deterministic, so the batches, and
    the training, are the same. The ops run with determinism on as before; a multi-worker
    strategy that shards a dataset by a rewrite of its own (a single series' batches)
    still makes the copy; a worker's own batches (``distributed_without_rewrite_copy``)
    do not."""

    def __init__(self, dataset: tf.data.Dataset) -> None:
        super().__init__(dataset, dataset._variant_tensor)

    def __iter__(self) -> tf.data.Iterator:
        with _determinism_off():
            return super().__iter__()


def distributed_without_rewrite_copy(distributed: Any) -> Any:
    """``distributed`` (the strategy's ``distribute_datasets_from_function``), whose
    iterators are made as ``without_rewrite_copy``'s: the strategy makes each worker's
    iterator itself (a multi-device iterator), so the rewrite there, and the copy of the
    rows it would make, are left out the same way."""
    base = type(distributed)
    if base not in _WITHOUT_REWRITE:
        _WITHOUT_REWRITE[base] = _distributed_class(base)
    distributed.__class__ = _WITHOUT_REWRITE[base]
    return distributed


# Each distributed dataset class, and its subclass that makes iterators without the rewrite.
_WITHOUT_REWRITE: dict[type, type] = {}


def _distributed_class(base: type) -> type:
    made = base.__iter__  # type: ignore[attr-defined]

    def __iter__(self: Any) -> Any:
        with _determinism_off():
            return made(self)

    return type(f"{base.__name__}WithoutRewrite", (base,), {"__iter__": __iter__})


@contextlib.contextmanager
def _determinism_off() -> Iterator[None]:
    """Op determinism off for the instant an iterator is made (where it is on)."""
    if not tf_config.is_op_determinism_enabled():
        yield
        return
    tf_config.disable_op_determinism()
    try:
        yield
    finally:
        tf_config.enable_op_determinism()


def host_tensor(rows: np.ndarray) -> tf.Tensor:
    """``rows`` (float32) as a tensor: read in place where TensorFlow can (C order, on an
    ``ALIGNMENT`` boundary, as ``stack_series`` makes them), where ``tf.constant`` costs
    twice the array (a copy, and a transient one its allocator keeps); else a copy. A
    dataset that reads it holds one copy of its own."""
    aligned = rows.ctypes.data % ALIGNMENT == 0
    if rows.dtype == np.float32 and rows.flags.c_contiguous and aligned:
        return tf.experimental.dlpack.from_dlpack(rows.__dlpack__())
    return tf.constant(rows, dtype=tf.float32)


def batches_per_pass(n_windows: int, batch_size: int) -> int:
    """Batches in one pass over ``n_windows`` windows (the last one may be short)."""
    return -(-n_windows // batch_size)


def start_batches(
    starts: np.ndarray, batch_size: int, shuffle_seed: int | None, *, repeat: bool
) -> tf.data.Dataset:
    """Batches of window starts, in a new random order each pass when ``shuffle_seed`` is
    given (the same orders for the same seed).

    A pass shuffles one tensor of starts (4 or 8 bytes a window), where
    ``Dataset.shuffle`` over them would buffer each start as its own element, many times
    the memory (benchmarks/memory.py).
    """
    n = len(starts)
    # int32 where every start fits: half the memory of int64 (a start a window, tens of
    # millions), and the same shuffled order (tests/test_batches.py); read in place
    # where the starts are int32 already (``Prepared.windows`` makes them so).
    aligned = starts.ctypes.data % ALIGNMENT == 0 and starts.flags.c_contiguous
    if starts.dtype == np.int32 and aligned and n:
        all_starts = tf.experimental.dlpack.from_dlpack(starts.__dlpack__())
    else:
        small = n == 0 or int(np.max(starts)) < 2**31
        all_starts = tf.constant(starts, dtype=tf.int32 if small else tf.int64)
    n_batches = batches_per_pass(n, batch_size)

    def one_pass(key: tf.Tensor) -> tf.data.Dataset:
        order = all_starts
        if shuffle_seed is not None:
            seed = tf.stack([tf.constant(shuffle_seed, tf.int64), key])
            order = tf.random.experimental.stateless_shuffle(all_starts, seed=seed)
        return tf.data.Dataset.range(n_batches).map(
            lambda b: tf.cast(order[b * batch_size : (b + 1) * batch_size], tf.int64)
        )

    # One key per pass; a new iterator (Keras starts one per epoch) draws new keys.
    keys = tf.data.Dataset.random(seed=shuffle_seed or 0, rerandomize_each_iteration=True)
    passes = keys if repeat else keys.take(1)
    batches = passes.flat_map(one_pass)
    return batches if repeat else batches.apply(tf.data.experimental.assert_cardinality(n_batches))
