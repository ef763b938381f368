"""The strategy of ``training.distribute``, and what the workers of a multi-worker
training gather from each other (``Workers``): arrays, through the strategy's all-gather
over TensorFlow's collectives, the channel the training's gradients already take
(TensorFlow)."""

from __future__ import annotations

import functools
import io
from typing import Any

import numpy as np
import tensorflow as tf

from ..data.share import Share
from .compat import check_keras_for_multi_worker

__all__ = ["StrategyWorkers", "strategy_for"]

# int32 words each collective of a gather carries (4 MiB): a larger gather takes several.
GATHER_CHUNK = 1 << 20


def strategy_for(distribute: str) -> tf.distribute.Strategy:
    """TensorFlow's strategy for ``training.distribute``. Batches stay global: each step's
    batch of ``batch_size`` windows is split over the replicas."""
    if distribute == "mirrored":
        return tf.distribute.MirroredStrategy()
    if distribute == "multi_worker":
        return _multi_worker_strategy()
    return tf.distribute.get_strategy()  # the default: one device, scope() changes nothing


@functools.cache
def _multi_worker_strategy() -> tf.distribute.Strategy:
    """The process's one multi-worker strategy: made once (after a worker has read its
    share of the series, when the workers share them out), used by every training after.
    Nothing before it runs TensorFlow ops: it sets up the context they run in."""
    check_keras_for_multi_worker()  # before waiting for the other workers
    # Reads TF_CONFIG and waits for every worker it names.
    return tf.distribute.MultiWorkerMirroredStrategy()


class StrategyWorkers:
    """``Workers`` over a ``MultiWorkerMirroredStrategy`` (one replica a worker): each
    ``gather`` is a collective every worker joins, in the same order."""

    def __init__(self, strategy: tf.distribute.Strategy, share: Share) -> None:
        self.strategy = strategy
        self.share = share
        self._buffers: dict[int, tuple[tf.Variable, Any]] = {}

    @classmethod
    def joined(cls, strategy: tf.distribute.Strategy, share: Share) -> StrategyWorkers:
        """This worker's ``StrategyWorkers``, once every worker has checked that the
        strategy gathers in the order of their shares (each share's index where the
        gather puts it)."""
        workers = cls(strategy, share)
        order = [int(part[0]) for part in workers.gather(np.array([share.index]))]
        if order != list(range(share.count)) or strategy.num_replicas_in_sync != share.count:
            raise RuntimeError(
                f"the workers gather in the order {order} over "
                f"{strategy.num_replicas_in_sync} replicas, not as their shares of "
                f"{share.count}: one replica a worker, the chief first"
            )
        return workers

    def gather(self, array: np.ndarray) -> list[np.ndarray]:
        # As ``.npy`` bytes (no pickles: a worker reads only numbers and text from the
        # others), packed into int32, which the collectives carry (uint8 they refuse), a
        # chunk at a time: what a gather holds beside its result is a chunk, not a copy
        # of every worker's bytes per step.
        written = io.BytesIO()
        np.save(written, np.asarray(array), allow_pickle=False)
        data = written.getbuffer()
        lengths = self._all_gather(np.array([len(data)], dtype=np.int32))
        received = [bytearray(int(length)) for length in lengths]
        most = int(lengths.max())
        for start in range(0, most, 4 * GATHER_CHUNK):
            stop = min(start + 4 * GATHER_CHUNK, most)
            piece = np.zeros(-(-(stop - start) // 4), dtype=np.int32)
            mine = data[start : min(stop, len(data))]
            piece.view(np.uint8)[: len(mine)] = np.frombuffer(mine, dtype=np.uint8)
            rows = self._all_gather(piece).reshape(len(lengths), -1)
            for into, row, length in zip(received, rows, lengths, strict=True):
                end = min(stop, int(length))
                if end > start:
                    into[start:end] = row.view(np.uint8)[: end - start].tobytes()
        return [_npy_array(bytes_) for bytes_ in received]

    def _all_gather(self, local: np.ndarray) -> np.ndarray:
        """Every worker's ``local`` (int32, the same length on each) joined."""
        # Through a buffer of the next power of two and a function traced once for it:
        # a function over each array would be traced again every time, its graph kept.
        size = 1 << max(len(local) - 1, 0).bit_length()
        if size not in self._buffers:
            buffer = tf.Variable(tf.zeros([size], tf.int32), trainable=False)

            def gather() -> Any:
                context = tf.distribute.get_replica_context()
                return context.all_gather(buffer.read_value(), axis=0)

            self._buffers[size] = (buffer, tf.function(gather))
        buffer, gather = self._buffers[size]
        padded = np.zeros(size, dtype=np.int32)
        padded[: len(local)] = local
        buffer.assign(padded)
        gathered = self.strategy.run(gather)
        joined = np.asarray(self.strategy.experimental_local_results(gathered)[0].numpy())
        return joined.reshape(-1, size)[:, : len(local)].reshape(-1, *local.shape[1:])


def _npy_array(data: bytearray) -> np.ndarray:
    """The array ``.npy`` bytes hold, over those bytes (no copy); objects refused."""
    stream = io.BytesIO(data)
    if np.lib.format.read_magic(stream) == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    if dtype.hasobject:
        raise ValueError("a worker sent an array of Python objects; only numbers and text pass")
    flat = np.frombuffer(data, dtype=dtype, offset=stream.tell(), count=int(np.prod(shape)))
    return flat.reshape(shape, order="F" if fortran else "C")
