"""Frequencies and timestamps: infer the step of a series, its season, continue it, and
write it back the way the input wrote it (pandas; no TensorFlow)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from ..errors import DataError

# Output formats tried, in order, to write forecast timestamps the way the input wrote them.
_TIME_FORMATS = (
    "%Y-%m",
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y",
)
# A grid this many times longer than the rows observed means the spacing was misread.
MAX_GRID_GROWTH = 10
# Seasonal period by the kind of step (evaluation.season_length: auto).
_SEASONS = {"MS": 12, "ME": 12, "QS": 4, "QE": 4, "D": 7, "h": 24, "W": 52}


# The series of a long file mostly end together: their future timestamps are made once.
@functools.lru_cache(maxsize=256)
def future_index(last: pd.Timestamp, freq: str, steps: int) -> pd.DatetimeIndex:
    """The ``steps`` timestamps after ``last`` on the grid of ``freq`` (shared: an index
    cannot be changed in place)."""
    return pd.date_range(last, periods=steps + 1, freq=to_offset(freq))[1:]


def strftime_times(index: pd.DatetimeIndex, time_format: str) -> list[str]:
    """``index`` written with ``time_format``, where ``%q`` is the quarter (1 to 4)."""
    if "%q" not in time_format:
        return list(index.strftime(time_format))
    return [t.strftime(time_format.replace("%q", str(t.quarter))) for t in index]


def format_times(index: pd.DatetimeIndex, time_format: str | None) -> list[str]:
    if time_format is not None:
        return strftime_times(index, time_format)
    return [t.isoformat() for t in index]


def with_formatted_times(
    table: pd.DataFrame, columns: Sequence[str], time_format: str | None
) -> pd.DataFrame:
    """``table`` with its time ``columns`` written as the data writes its times."""
    shown = {c: format_times(pd.DatetimeIndex(table[c]), time_format) for c in columns}
    return table.assign(**shown)


def common_freq(indexes: Iterable[pd.DatetimeIndex], given: str | None, path: Path) -> str:
    """``given`` as pandas spells it, or the one frequency every series' times infer
    (``indexes`` are read only then: a generator costs nothing when it is given)."""
    if given is not None:
        return to_offset(given).freqstr
    found = {f for f in map(_infer_freq, indexes) if f is not None}
    if len(found) > 1:
        raise DataError(
            f"series have different frequencies ({', '.join(sorted(found))}); set data.freq",
            where=path,
            key="data.freq",
        )
    if not found:
        raise DataError(
            "cannot infer the frequency of the time column (irregular spacing "
            "or too few rows); set data.freq (e.g. D, h, MS)",
            where=path,
            key="data.freq",
        )
    return found.pop()


def _infer_freq(index: pd.DatetimeIndex) -> str | None:
    if len(index) < 2 or not index.is_monotonic_increasing or index.has_duplicates:
        return None  # reported with line numbers when the series is built
    if len(index) >= 3:
        inferred = pd.DatetimeIndex(index, freq="infer").freq
        if inferred is not None:
            return str(inferred.freqstr)
    # Gaps defeat pandas' inference: guess from the smallest step, keep the guess that
    # puts every timestamp on its grid.
    step = pd.Timedelta(np.diff(index.asi8).min(), unit=index.unit)
    for candidate in _candidate_freqs(step, index[0]):
        grid = pd.date_range(index[0], index[-1], freq=candidate)
        if len(grid) <= MAX_GRID_GROWTH * len(index) and index.isin(grid).all():
            return to_offset(candidate).freqstr
    return None


def _candidate_freqs(step: pd.Timedelta, first: pd.Timestamp) -> list[str]:
    days = step / pd.Timedelta(days=1)
    month = first.strftime("%b").upper()
    if 28 <= days <= 31:
        return ["MS", "ME"]
    if 89 <= days <= 92:
        return [f"QS-{month}", f"QE-{month}"]
    if 365 <= days <= 366:
        return [f"YS-{month}", f"YE-{month}"]
    if days == 7:
        return [f"W-{first.strftime('%a').upper()}"]
    if days >= 1 and days == int(days):
        return ["D" if days == 1 else f"{int(days)}D"]  # not "24h", which has no season
    return [to_offset(step).freqstr]


def show_time(stamp: pd.Timestamp, time_format: str | None = None) -> str:
    """A timestamp as users write it: in the data file's ``time_format`` when it has one
    (``1905``, ``1958-05``), else the date alone at midnight."""
    if time_format:
        return strftime_times(pd.DatetimeIndex([stamp]), time_format)[0]
    return str(stamp.date()) if stamp == stamp.normalize() and stamp.tz is None else str(stamp)


def detect_time_format(column: pd.Series, times: pd.DatetimeIndex) -> str | None:
    sample = column.astype("string").str.strip().iloc[:50].tolist()
    for fmt in _TIME_FORMATS:
        if list(times[: len(sample)].strftime(fmt)) == sample:
            return fmt
    return None


def season_length_for(freq: str) -> int:
    """12 monthly, 4 quarterly, 7 daily, 24 hourly, 48 half-hourly, 52 weekly, else 1."""
    offset = to_offset(freq)
    if offset.n == 30 and offset.name == "min":
        return 48
    if offset.n != 1:
        return 1
    return _SEASONS.get(offset.name.split("-")[0], 1)


def rows_per(freq: str, cycle: pd.DateOffset) -> float:
    """How many rows at ``freq`` one ``cycle`` (a day, a week, a year) spans: 24 hourly
    rows a day, 12 monthly rows a year; less than 1 when the rows are further apart."""
    offset = to_offset(freq)
    start = pd.Timestamp("2001-01-01")  # a Monday in a year of 365 days
    if isinstance(offset, pd.offsets.Tick):  # a fixed step: divide, however fine it is
        return (start + cycle - start) / pd.Timedelta(offset)
    return float(len(pd.date_range(start, start + cycle, freq=offset, inclusive="left")))
