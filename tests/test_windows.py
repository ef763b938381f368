from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_forecast.data.windows import WindowSet, gather_windows, stack_series, window_starts


def test_windows_on_arange_are_computed_by_hand() -> None:
    values = np.arange(10.0)[:, None]
    starts = window_starts(10, 3, 2, targets_from=0, targets_to=10)
    x, y = gather_windows(values, starts, 3, 2, 1)
    assert x[0, :, 0].tolist() == [0, 1, 2] and y[0, :, 0].tolist() == [3, 4]
    assert len(x) == 10 - 3 - 2 + 1
    assert x[-1, :, 0].tolist() == [5, 6, 7] and y[-1, :, 0].tolist() == [8, 9]


def test_targets_stay_in_their_part_but_inputs_reach_back() -> None:
    starts = window_starts(20, 4, 2, targets_from=14, targets_to=20)
    assert (starts + 4).min() == 14  # first target row is the first row of the part
    assert (starts + 4 + 2).max() == 20
    assert starts.min() == 10  # its inputs come from the part before


def test_stride_keeps_the_most_recent_window() -> None:
    starts = window_starts(20, 4, 2, targets_from=0, targets_to=20, stride=5)
    assert starts.tolist() == [4, 9, 14]


def test_incomplete_rows_drop_the_windows_that_touch_them() -> None:
    complete = np.ones(12, dtype=bool)
    complete[5] = False
    starts = window_starts(12, 2, 1, targets_from=0, targets_to=12, complete=complete)
    assert all(not (s <= 5 < s + 3) for s in starts)
    assert starts.tolist() == [0, 1, 2, 6, 7, 8, 9]


def test_targets_are_only_the_target_columns() -> None:
    values = np.column_stack([np.arange(8.0), 100 + np.arange(8.0)])
    x, y = gather_windows(values, np.array([0]), 3, 2, 1)
    assert x.shape == (1, 3, 2) and y.shape == (1, 2, 1)
    assert x[0, :, 1].tolist() == [100, 101, 102] and y[0, :, 0].tolist() == [3, 4]


@settings(max_examples=200, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 60), min_size=1, max_size=5),
    lookback=st.integers(1, 12),
    horizon=st.integers(1, 6),
    stride=st.integers(1, 4),
    validation=st.integers(0, 10),
    test=st.integers(0, 10),
)
def test_windows_never_cross_series_or_reach_a_later_part(
    lengths: list[int], lookback: int, horizon: int, stride: int, validation: int, test: int
) -> None:
    # Each row holds (series number, position in series): a window's rows show where they are.
    series = [
        np.column_stack([np.full(n, i), np.arange(n)]).astype(float) for i, n in enumerate(lengths)
    ]
    stacked, offsets = stack_series(iter(series), lengths)
    for i, n in enumerate(lengths):
        train_end = max(n - test - validation, 0)
        validation_end = max(n - test, 0)
        parts = {
            "train": (0, train_end),
            "validation": (train_end, validation_end),
            "test": (validation_end, n),
        }
        for lo, hi in parts.values():
            starts = (
                window_starts(n, lookback, horizon, targets_from=lo, targets_to=hi, stride=stride)
                + offsets[i]
            )
            x, y = gather_windows(stacked, starts, lookback, horizon, 2)
            # one series per window
            assert (x[:, :, 0] == i).all() and (y[:, :, 0] == i).all()
            positions_in, positions_out = x[:, :, 1], y[:, :, 1]
            # targets follow the inputs with no gap
            assert (
                np.diff(np.concatenate([positions_in, positions_out], axis=1), axis=1) == 1
            ).all()
            # targets inside the part, inputs never from a later part
            assert ((positions_out >= lo) & (positions_out < hi)).all()
            assert (positions_in < hi).all()
            # every eligible origin is present when stride is 1
            expected = max(0, (hi - max(lo, lookback)) - horizon + 1)
            if stride == 1:
                assert len(starts) == expected


@given(n=st.integers(0, 300), most=st.integers(1, 50))
def test_spread_keeps_at_most_most_windows_evenly_from_first_to_last(n: int, most: int) -> None:
    windows = WindowSet(np.zeros((400, 1), np.float32), np.arange(n) + 7, 4, 2, 1)
    spread = windows.spread(most)
    assert len(spread) == min(n, most)
    assert set(spread.starts) <= set(windows.starts)
    assert (np.diff(spread.starts) > 0).all()
    if n and most > 1:
        assert spread.starts[0] == 7 and spread.starts[-1] == n + 6
