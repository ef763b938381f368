"""``nn.batches``: the training input pipeline, batches made by TensorFlow from window starts."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_forecast.data.windows import WindowSet
from lstm_forecast.features.coding import WindowCoding
from lstm_forecast.nn.batches import start_batches, window_dataset


@pytest.mark.parametrize("window_scale", ["none", "std"])
@pytest.mark.parametrize("norm", ["none", "last", "mean"])
@pytest.mark.parametrize("baseline", ["none", "naive", "seasonal_naive"])
def test_the_training_pipeline_encodes_as_inference_does(
    norm: str, baseline: str, window_scale: str
) -> None:
    """Batches made by TensorFlow in the training pipeline equal numpy's encoding of the
    same windows, so a network is fed at inference exactly what it was trained on."""
    rng = np.random.default_rng(len(norm) + len(baseline))
    values = rng.normal(size=(40, 3)).astype(np.float32)
    windows = WindowSet(values, np.arange(0, 27, 2), lookback=8, horizon=6, n_targets=1)
    code = WindowCoding(
        norm,  # type: ignore[arg-type]
        baseline,  # type: ignore[arg-type]
        season_length=4,
        lookback=8,
        horizon=6,
        n_targets=1,
        n_levelled=2,
        window_scale=window_scale,  # type: ignore[arg-type]
        typical_spread=0.8,
    )
    raw_inputs, targets = windows.gather()
    inputs, offset, scale = code.encode(raw_inputs)
    batches = list(window_dataset(windows, code, batch_size=5).as_numpy_iterator())
    np.testing.assert_allclose(np.concatenate([b[0] for b in batches]), inputs, atol=1e-6)
    np.testing.assert_allclose(
        np.concatenate([b[1] for b in batches]), code.targets(targets, offset, scale), atol=1e-5
    )


def passes(dataset: object, n: int) -> list[list[int]]:
    iterator = iter(dataset)  # type: ignore[call-overload]
    return [np.concatenate([next(iterator).numpy() for _ in range(3)]).tolist() for _ in range(n)]


def test_each_pass_is_a_new_permutation_and_the_seed_repeats_them() -> None:
    starts = np.arange(100, 110)
    shuffled = start_batches(starts, 4, shuffle_seed=3, repeat=True)
    first, second = passes(shuffled, 2)
    assert sorted(first) == sorted(second) == starts.tolist()
    assert first != second  # reshuffled every pass
    again = passes(start_batches(starts, 4, shuffle_seed=3, repeat=True), 2)
    assert again == [first, second]
    in_order = list(start_batches(starts, 4, shuffle_seed=None, repeat=False).as_numpy_iterator())
    assert [b.tolist() for b in in_order] == [
        [100, 101, 102, 103],
        [104, 105, 106, 107],
        [108, 109],
    ]


def test_a_new_iterator_starts_a_new_pass() -> None:
    """Keras iterates a finite dataset afresh each epoch: each epoch must reshuffle."""
    epochs = start_batches(np.arange(50), 8, shuffle_seed=1, repeat=False)
    orders = [np.concatenate(list(epochs.as_numpy_iterator())).tolist() for _ in range(2)]
    assert sorted(orders[0]) == sorted(orders[1]) == list(range(50))
    assert orders[0] != orders[1]


@pytest.mark.parametrize("offset", [0, 1])  # stacked as stack_series stacks; one row on
def test_rows_reach_tensorflow_unchanged_read_in_place_where_aligned(offset: int) -> None:
    import tensorflow as tf

    from lstm_forecast.data.row_files import ALIGNMENT
    from lstm_forecast.data.windows import stack_series
    from lstm_forecast.nn.batches import host_tensor

    rng = np.random.default_rng(offset)
    series = [rng.normal(size=(n, 3)).astype(np.float32) for n in (17, 40, 9)]
    stacked, _ = stack_series(iter(series), [17, 40, 9])
    assert stacked.ctypes.data % ALIGNMENT == 0
    rows = stacked[offset:]  # 12 bytes on: not aligned, so copied
    tensor = host_tensor(rows)
    np.testing.assert_array_equal(tensor.numpy(), rows)
    gathered = tf.gather(tensor, tf.constant([[0, 1], [5, 6]], tf.int64)).numpy()
    np.testing.assert_array_equal(gathered, rows[[[0, 1], [5, 6]]])


def test_starts_shuffle_alike_as_int32_and_int64() -> None:
    """``start_batches`` keeps starts as int32 where they fit: the order of each pass is
    the one int64 starts would have, so a model trains on the same batches."""
    import tensorflow as tf

    starts = np.arange(0, 30_011, 3)
    for seed in ([42, 0], [7, 123]):
        key = tf.constant(seed, tf.int64)
        wide = tf.random.experimental.stateless_shuffle(tf.constant(starts, tf.int64), seed=key)
        narrow = tf.random.experimental.stateless_shuffle(tf.constant(starts, tf.int32), seed=key)
        np.testing.assert_array_equal(wide.numpy(), narrow.numpy())
    batches = list(start_batches(starts, 64, 42, repeat=False).as_numpy_iterator())
    assert all(b.dtype == np.int64 for b in batches)
    assert sorted(np.concatenate(batches)) == list(starts)


def test_int32_starts_read_in_place_give_the_batches_of_int64_starts() -> None:
    """Starts made int32 on an aligned boundary (as ``Prepared.windows`` makes them) are
    read by TensorFlow in place, and batch as the same starts in int64 do."""
    from lstm_forecast.data.row_files import aligned_empty

    starts = aligned_empty((10_007,), np.int32)
    starts[:] = np.arange(0, 3 * 10_007, 3)
    for seed in (42, None):
        narrow = list(start_batches(starts, 64, seed, repeat=False).as_numpy_iterator())
        wide = start_batches(starts.astype(np.int64), 64, seed, repeat=False)
        for a, b in zip(narrow, wide.as_numpy_iterator(), strict=True):
            np.testing.assert_array_equal(a, b)
    assert starts.tolist() == list(range(0, 3 * 10_007, 3))  # read, never written


def test_iterators_made_without_the_determinism_rewrite_give_the_same_batches() -> None:
    """Under op determinism, ``window_dataset``'s iterators are made without tf.data's
    rewrite (which copies the rows): the batches are those of an iterator made through
    the rewrite, and determinism is on again once the iterator is made."""
    import tensorflow as tf
    from tensorflow.python.framework import config as tf_config

    tf.config.experimental.enable_op_determinism()  # as training.deterministic does
    rng = np.random.default_rng(5)
    values = rng.normal(size=(300, 2)).astype(np.float32)
    windows = WindowSet(values, np.arange(0, 280), lookback=12, horizon=4, n_targets=1)
    code = WindowCoding("last", "naive", season_length=4, lookback=12, horizon=4, n_targets=1,
                        n_levelled=1)  # fmt: skip

    def dataset() -> tf.data.Dataset:  # each new one's first iterator draws the same order
        return window_dataset(windows, code, batch_size=16, shuffle_seed=3, repeat=True)

    made = iter(dataset())
    assert tf_config.is_op_determinism_enabled()
    rewritten = iter(dataset().take(30))  # a plain dataset: made through the rewrite
    for inputs, targets in rewritten:
        again_inputs, again_targets = next(made)
        np.testing.assert_array_equal(inputs.numpy(), again_inputs.numpy())
        np.testing.assert_array_equal(targets.numpy(), again_targets.numpy())


def test_a_strategy_s_iterators_are_made_without_the_determinism_rewrite() -> None:
    """A worker's batches go to ``fit`` through the strategy, which makes their iterator
    itself: it is made with op determinism off (else tf.data's rewrite copies the rows),
    which is on again after, even where making it fails."""
    import tensorflow as tf
    from tensorflow.python.framework import config as tf_config

    from lstm_forecast.nn.batches import distributed_without_rewrite_copy

    seen: list[bool] = []

    class Distributed:  # the strategy's distributed dataset, as far as iterating goes
        def __init__(self, fails: bool) -> None:
            self.fails = fails

        def __iter__(self) -> object:
            seen.append(tf_config.is_op_determinism_enabled())
            if self.fails:
                raise RuntimeError("no iterator")
            return iter([1, 2])

    tf.config.experimental.enable_op_determinism()
    distributed = distributed_without_rewrite_copy(Distributed(fails=False))
    assert isinstance(distributed, Distributed) and list(distributed) == [1, 2]
    with pytest.raises(RuntimeError, match="no iterator"):
        iter(distributed_without_rewrite_copy(Distributed(fails=True)))
    assert seen == [False, False]
    assert tf_config.is_op_determinism_enabled()
