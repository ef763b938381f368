"""Calendar input columns: the sin and cos of a timestamp's place in its day, week, month
or year, known for future timestamps too (numpy, pandas)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

# Each calendar feature: its position within its cycle, in [0, 1).
_CYCLES = {
    "hour": lambda t: (t.hour + t.minute / 60) / 24,
    "weekday": lambda t: t.dayofweek / 7,
    "day_of_month": lambda t: (t.day - 1) / t.days_in_month,
    "month": lambda t: (t.month - 1) / 12,
    "day_of_year": lambda t: (t.dayofyear - 1) / np.where(t.is_leap_year, 366, 365),
}


def calendar_columns(index: pd.DatetimeIndex, features: Sequence[str]) -> np.ndarray:
    """Sin and cos of each feature's position in its cycle: ``(len(index), 2 * n)``.

    Known for any timestamp, so the network can tell where in the year (week, day) the
    window ends, and so where its forecast falls.
    """
    angles = [2 * np.pi * np.asarray(_CYCLES[name](index), dtype=np.float64) for name in features]
    columns = [f(a) for a in angles for f in (np.sin, np.cos)]
    return np.column_stack(columns) if columns else np.empty((len(index), 0))


CALENDAR_FEATURES = tuple(_CYCLES)
