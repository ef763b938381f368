"""Calendar input columns: the sin and cos of a timestamp's place in its day, week, month
or year, known for future timestamps too (numpy, pandas)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ..data.timeindex import rows_per

# Each calendar feature: its position within its cycle, in [0, 1).
_CYCLES = {
    "hour": lambda t: (t.hour + t.minute / 60) / 24,
    "weekday": lambda t: t.dayofweek / 7,
    "day_of_month": lambda t: (t.day - 1) / t.days_in_month,
    "month": lambda t: (t.month - 1) / 12,
    "day_of_year": lambda t: (t.dayofyear - 1) / np.where(t.is_leap_year, 366, 365),
}


def calendar_columns(index: pd.DatetimeIndex, features: Sequence[str]) -> np.ndarray:
    """Sin and cos of each feature's position in its cycle: ``(len(index), 2 * n)``
    (read-only).

    Known for any timestamp, so the network can tell where in the year (week, day) the
    window ends, and so where its forecast falls. The series of a long file mostly share
    their timestamps: each set is computed once (pandas' calendar fields cost far more
    than the lookup).
    """
    key = (index.asi8.tobytes(), str(index.dtype), tuple(features))
    return _MADE.get(key, lambda: _calendar_columns(index, features))


class _Made:
    """Arrays made so far, by key, read-only, up to ``most`` bytes in all (then all are
    forgotten at once)."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.arrays: dict[tuple[bytes, str, tuple[str, ...]], np.ndarray] = {}
        self.bytes = 0

    def get(
        self, key: tuple[bytes, str, tuple[str, ...]], make: Callable[[], np.ndarray]
    ) -> np.ndarray:
        made = self.arrays.get(key)
        if made is None:
            made = make()
            made.flags.writeable = False
            if self.bytes + made.nbytes > self.most:
                self.arrays.clear()
                self.bytes = 0
            self.arrays[key] = made
            self.bytes += made.nbytes
        return made


_MADE = _Made(32 << 20)


def _calendar_columns(index: pd.DatetimeIndex, features: Sequence[str]) -> np.ndarray:
    angles = [2 * np.pi * np.asarray(_CYCLES[name](index), dtype=np.float64) for name in features]
    columns = [f(a) for a in angles for f in (np.sin, np.cos)]
    return np.column_stack(columns) if columns else np.empty((len(index), 0))


CALENDAR_FEATURES = tuple(_CYCLES)

# The cycles ``auto`` considers, with the feature that places a row in each.
_AUTO_CYCLES = (
    (pd.DateOffset(days=1), "hour"),
    (pd.DateOffset(weeks=1), "weekday"),
    (pd.DateOffset(years=1), "day_of_year"),
)


def automatic_calendar(freq: str, lookback: int, shortest_train_rows: int) -> tuple[str, ...]:
    """``data.calendar_features: auto``: the place in each daily, weekly or yearly cycle
    that a window cannot show and the training data can teach.

    A window of ``lookback`` rows shows where it stands in any cycle it spans, which the
    network (and the seasonal baselines) read from the rows themselves; a longer cycle,
    such as the year behind a daily series read 28 days at a time, it cannot see. Its
    position is added when the cycle is longer than the window, holds at least two rows,
    and every series' train part spans two whole cycles or more (each place in the cycle
    seen twice). A yearly cycle of 12 or fewer rows is placed by ``month``.
    """
    chosen = []
    for cycle, feature in _AUTO_CYCLES:
        rows = rows_per(freq, cycle)
        if rows < 2 or rows <= lookback or shortest_train_rows < 2 * rows:
            continue
        chosen.append("month" if feature == "day_of_year" and rows <= 12 else feature)
    return tuple(chosen)
