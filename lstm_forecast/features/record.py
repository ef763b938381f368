"""``preprocessing.json``'s fields: a fitted ``Preprocessing`` as plain numbers and names,
and back, refusing a malformed record (``KeyError``, ``TypeError``, ``ValueError``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .baselines import BASELINES, SMOOTHED
from .calendar import CALENDAR_FEATURES
from .coding import WindowCoding
from .scaling import Scaler
from .served import Served

if TYPE_CHECKING:
    from .pipeline import Preprocessing


def encode(pre: Preprocessing) -> dict[str, Any]:
    coding = pre.coding
    return {
        "columns": list(pre.columns),
        "n_targets": pre.n_targets,
        "freq": pre.freq,
        "time_format": pre.time_format,
        "calendar_features": list(pre.calendar_features),
        "lookback": coding.lookback,
        "horizon": coding.horizon,
        "window_norm": coding.window_norm,
        "window_scale": coding.window_scale,
        "typical_spread": coding.typical_spread,
        "baseline": coding.baseline,
        "baseline_alpha": coding.baseline_alpha,
        "season_length": coding.season_length,
        "quantiles": list(coding.quantile_levels),
        "future_columns": list(coding.future_columns),
        "smoothing_from": coding.smoothing_from,
        "interval_stretch": (
            None if coding.interval_stretch is None else coding.interval_stretch.tolist()
        ),
        "series": [
            {
                "id": sid,
                "last_timestamp": pre.last_timestamps[sid],
                "scaler": scaler.to_json(),
                "train_min": pre.train_ranges[sid][0].tolist(),
                "train_max": pre.train_ranges[sid][1].tolist(),
            }
            for sid, scaler in pre.scalers.items()
        ],
        "static_features": list(pre.static_features),
        "static_scaler": pre.static_scaler.to_json(),
        "skipped_series": sorted(pre.skipped),
        "series_embedding": pre.series_embedding,
        "served": pre.served.to_json(),
    }


def decode(data: dict[str, Any]) -> dict[str, Any]:
    """The ``Preprocessing`` fields of a record, checked."""
    series = data["series"]
    columns = tuple(str(c) for c in data["columns"])
    scalers = {_id(s["id"]): Scaler.from_json(s["scaler"]) for s in series}
    if any(len(s.center) != len(columns) for s in scalers.values()):
        raise ValueError("a scaler does not have one number per column")
    calendar = _calendar(data["calendar_features"])
    coding = _coding(data, len(columns))
    if any(c >= len(columns) + 2 * len(calendar) for c in coding.future_columns):
        raise ValueError("future_columns names a column that is neither data nor calendar")
    static = _static(data)
    placed = len(columns) + 2 * len(calendar) + len(static.get("static_features", ()))
    if coding.smoothing_from is not None and coding.smoothing_from != placed:
        raise ValueError(
            f"smoothing_from must be {placed}: after the data, calendar and static columns"
        )
    time_format = data["time_format"]
    if time_format is not None and not isinstance(time_format, str):
        raise ValueError(f"time_format must be text or null, got {time_format!r}")
    return {
        "columns": columns,
        "n_targets": _positive(data["n_targets"]),
        "freq": str(data["freq"]),
        "time_format": time_format,
        "calendar_features": calendar,
        "coding": coding,
        "scalers": scalers,
        "last_timestamps": {_id(s["id"]): str(s["last_timestamp"]) for s in series},
        "train_ranges": {
            _id(s["id"]): (_row(s["train_min"], columns), _row(s["train_max"], columns))
            for s in series
        },
        # Absent from records written before static features and skipped series.
        **static,
        "skipped": frozenset(str(s) for s in data.get("skipped_series", [])),
        "series_embedding": _non_negative(data.get("series_embedding", 0)),
        # Absent from records written before the smoothing forecast: the network alone.
        "served": Served.from_json(data["served"]) if "served" in data else Served(),
    }


def _coding(data: dict[str, Any], n_columns: int) -> WindowCoding:
    n_targets = _positive(data["n_targets"])
    return WindowCoding(
        window_norm=_choice(data["window_norm"], ("none", "last", "mean")),
        # Absent from records written before window scaling, which had none.
        window_scale=_choice(data.get("window_scale", "none"), ("none", "std")),
        typical_spread=_positive_number(data.get("typical_spread", 1.0)),
        baseline=_choice(data["baseline"], BASELINES),
        # Absent from records written before the smoothed baselines.
        baseline_alpha=_alpha(data.get("baseline_alpha"), data["baseline"]),
        season_length=_positive(data["season_length"]),
        lookback=_positive(data["lookback"]),
        horizon=_positive(data["horizon"]),
        n_targets=n_targets,
        n_levelled=n_columns,
        quantile_levels=tuple(float(q) for q in data["quantiles"]),
        # Absent from records written before future-known inputs.
        future_columns=_future_columns(data.get("future_columns", [])),
        interval_stretch=_stretch(data["interval_stretch"], n_targets),
        # Absent from records written before the smoothing baseline.
        smoothing_from=_optional_index(data.get("smoothing_from")),
    )


def _optional_index(value: Any) -> int | None:
    """None, or a column index (a non-negative int)."""
    return None if value is None else _non_negative(value)


def _alpha(value: Any, baseline: Any) -> float | None:
    """A smoothed baseline's weight, in (0, 1]; None for the others."""
    if baseline not in SMOOTHED:
        if value is not None:
            raise ValueError(f"baseline {baseline} takes no baseline_alpha, got {value!r}")
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value <= 1:
        raise ValueError(f"baseline_alpha must be a number in (0, 1], got {value!r}")
    return float(value)


def _future_columns(value: Any) -> tuple[int, ...]:
    """Column indices, increasing and distinct (bounded by the network's input shape)."""
    if not isinstance(value, list):
        raise ValueError(f"future_columns must be a list, got {value!r}")
    columns = tuple(_non_negative(v) for v in value)
    if list(columns) != sorted(set(columns)):
        raise ValueError(f"future_columns must increase, got {value!r}")
    return columns


def _static(data: dict[str, Any]) -> dict[str, Any]:
    names = tuple(str(n) for n in data.get("static_features", []))
    if not names:
        return {}
    scaler = Scaler.from_json(data["static_scaler"])
    if len(scaler.center) != len(names):
        raise ValueError("static_scaler does not have one number per static feature")
    return {"static_features": names, "static_scaler": scaler}


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def _non_negative(value: Any) -> int:
    return 0 if value == 0 and not isinstance(value, bool) else _positive(value)


def _positive(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"expected a positive integer, got {value!r}")
    return value


def _positive_number(value: Any) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value < np.inf:
        raise ValueError(f"expected a positive number, got {value!r}")
    return float(value)


def _choice(value: Any, allowed: Sequence[str]) -> Any:
    if value not in allowed:
        raise ValueError(f"expected one of {', '.join(allowed)}, got {value!r}")
    return value


def _stretch(value: Any, n_targets: int) -> np.ndarray | None:
    if value is None:
        return None
    stretch = np.asarray(value, dtype=np.float64)
    if stretch.shape != (n_targets,) or not np.isfinite(stretch).all() or (stretch < 0).any():
        raise ValueError("interval_stretch must be numbers >= 0, one per target")
    return stretch


def _row(value: Any, columns: Sequence[str]) -> np.ndarray:
    row = np.asarray(value, dtype=np.float64)
    if row.shape != (len(columns),) or not np.isfinite(row).all():
        raise ValueError("train_min and train_max must be finite numbers, one per column")
    return row


def _calendar(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or any(v not in CALENDAR_FEATURES for v in value):
        raise ValueError(f"unknown calendar features {value!r}")
    return tuple(value)
