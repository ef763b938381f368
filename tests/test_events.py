"""Anomaly events (``scoring/events.py``): flags of one series with at most ``gap``
unflagged rows between them are one event; nothing flagged, no event."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lstm_forecast.scoring.events import EVENT_COLUMNS, group_events


def checked(flags: list[bool], series: str = "s") -> pd.DataFrame:
    n = len(flags)
    score = np.where(flags, np.arange(1, n + 1) % 7 + 0.5, 0.0)
    return pd.DataFrame(
        {
            "series": series,
            "time": pd.date_range("2024-01-01", periods=n, freq="h"),
            "actual": np.arange(n, dtype=float),
            "forecast": 0.0,
            "lower": -1.0,
            "upper": 1.0,
            "score": score,
            "anomaly": flags,
        }
    )


def runs_apart(flags: list[bool], gap: int) -> int:
    """Events counted the slow way: a flag starts a new one when more than ``gap``
    unflagged rows lie since the last flag."""
    count, since = 0, None
    for flag in flags:
        if flag:
            if since is None or since > gap:
                count += 1
            since = 0
        elif since is not None:
            since += 1
    return count


@given(st.lists(st.booleans(), max_size=60), st.integers(0, 5))
def test_events_are_the_runs_of_flags_at_most_gap_apart(flags: list[bool], gap: int) -> None:
    events = group_events(checked(flags), gap)
    assert len(events) == runs_apart(flags, gap)
    assert events["flagged_rows"].sum() == sum(flags)
    assert list(events.columns) == ["series", *EVENT_COLUMNS]
    assert (events["start"] <= events["peak_time"]).all()
    assert (events["peak_time"] <= events["end"]).all()


def test_an_event_reports_its_peak_and_series_are_kept_apart() -> None:
    table = pd.concat(
        [checked([False, True, True, True, False]), checked([True, False, False, True], "t")],
        ignore_index=True,
    )
    table.loc[2, "score"] = 9.0
    events = group_events(table, gap=1)
    assert events["series"].tolist() == ["s", "t", "t"]
    first = events.iloc[0]
    assert (first["flagged_rows"], first["severity"], first["peak_value"]) == (3, 9.0, 2.0)
    assert first["start"] == table.loc[1, "time"] and first["end"] == table.loc[3, "time"]


def test_nothing_flagged_is_no_event_and_a_negative_gap_is_a_bug() -> None:
    assert group_events(checked([False] * 5), gap=3).empty
    with pytest.raises(ValueError, match="gap must be 0 or more"):
        group_events(checked([True]), gap=-1)
