"""Anomaly events: the flagged rows of ``detect``'s table that belong together, one row
each, so an excursion of forty rows is one alert, not forty (pandas; no TensorFlow)."""

from __future__ import annotations

import numpy as np
import pandas as pd

# One event's row: where it starts and ends, its most anomalous observation (the peak:
# time, actual, the forecast and band there, its score as the severity) and how many of
# its rows were flagged.
EVENT_COLUMNS = (
    "start",
    "end",
    "peak_time",
    "peak_value",
    "forecast",
    "lower",
    "upper",
    "severity",
    "flagged_rows",
)


def group_events(checked: pd.DataFrame, gap: int) -> pd.DataFrame:
    """One row per event of ``checked`` (``detect``'s table: series, time, [target],
    actual, forecast, lower, upper, score, anomaly, in time order within each series):
    flags of one series and target with at most ``gap`` unflagged checked rows between
    them are one event. Columns: series, [target], then ``EVENT_COLUMNS``."""
    if gap < 0:
        raise ValueError(f"gap must be 0 or more, got {gap}")
    keys = ["series", "target"] if "target" in checked.columns else ["series"]
    events = []
    for key, rows in checked.groupby(keys, sort=False):
        flagged = np.flatnonzero(rows["anomaly"].to_numpy(dtype=bool))
        if not len(flagged):
            continue
        # Consecutive flags k rows apart have k - 1 unflagged rows between them.
        breaks = np.flatnonzero(np.diff(flagged) > gap + 1) + 1
        for members in np.split(flagged, breaks):
            part = rows.iloc[members]
            peak = part.iloc[int(part["score"].to_numpy().argmax())]
            events.append(
                {
                    **dict(zip(keys, key, strict=True)),
                    "start": part["time"].iloc[0],
                    "end": part["time"].iloc[-1],
                    "peak_time": peak["time"],
                    "peak_value": peak["actual"],
                    "forecast": peak["forecast"],
                    "lower": peak["lower"],
                    "upper": peak["upper"],
                    "severity": peak["score"],
                    "flagged_rows": len(members),
                }
            )
    return pd.DataFrame(events, columns=[*keys, *EVENT_COLUMNS])
