"""The record of how a bundle turns rows into network inputs and back: ``preprocessing.json``,
plain numbers and names only (no TensorFlow)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .config import Config
from .data import Series
from .encoding import WindowCoding
from .prepare import Prepared, model_rows
from .scaling import Scaler
from .timeindex import CALENDAR_FEATURES


@dataclass(frozen=True)
class Preprocessing:
    columns: tuple[str, ...]  # CSV columns: targets, then features
    n_targets: int
    freq: str
    time_format: str | None
    calendar_features: tuple[str, ...]
    coding: WindowCoding
    scalers: dict[str | None, Scaler]  # by series id (None: a single series)
    last_timestamps: dict[str | None, str]
    # Lowest and highest value of each column in each series' train part (predict warns
    # when its inputs are far outside them).
    train_ranges: dict[str | None, tuple[np.ndarray, np.ndarray]]
    # data.static_features and how they are standardised (across the training series).
    static_features: tuple[str, ...] = ()
    static_scaler: Scaler = field(default_factory=lambda: Scaler("none", np.zeros(0), np.ones(0)))
    # Series of the training file left out as too short (no forecast for them).
    skipped: frozenset[str] = frozenset()
    # model.series_embedding: each series' row in it is its place in ``scalers``.
    series_embedding: int = 0

    @property
    def lookback(self) -> int:
        return self.coding.lookback

    @property
    def horizon(self) -> int:
        return self.coding.horizon

    def rows(self, series: Series, scaler: Scaler) -> np.ndarray:
        return model_rows(
            series, scaler, self.calendar_features, self.static_scaler, self.series_index(series.id)
        )

    def series_index(self, sid: str | None) -> int | None:
        """The series' row in the model's series embedding (None without one)."""
        return self._positions[sid] if self.series_embedding else None

    @functools.cached_property
    def _positions(self) -> dict[str | None, int]:
        return {sid: k for k, sid in enumerate(self.scalers)}

    @classmethod
    def of(cls, config: Config, prepared: Prepared, coding: WindowCoding) -> Preprocessing:
        """The record of a trained model: ``coding`` is the trained one (calibrated)."""
        dataset = prepared.dataset
        ids = [s.id for s in dataset.series]
        return cls(
            columns=dataset.columns,
            n_targets=dataset.n_targets,
            freq=dataset.freq,
            time_format=dataset.time_format,
            calendar_features=tuple(config.data.calendar_features),
            coding=coding,
            scalers=dict(zip(ids, prepared.scalers, strict=True)),
            last_timestamps={s.id: s.index[-1].isoformat() for s in dataset.series},
            train_ranges={
                s.id: (
                    np.nanmin(s.values[: b.train_end], axis=0),
                    np.nanmax(s.values[: b.train_end], axis=0),
                )
                for s, b in zip(dataset.series, prepared.bounds, strict=True)
            },
            static_features=tuple(config.data.static_features),
            static_scaler=prepared.static_scaler,
            skipped=frozenset(prepared.skipped),
            series_embedding=config.model.series_embedding,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": list(self.columns),
            "n_targets": self.n_targets,
            "freq": self.freq,
            "time_format": self.time_format,
            "calendar_features": list(self.calendar_features),
            "lookback": self.lookback,
            "horizon": self.horizon,
            "window_norm": self.coding.window_norm,
            "window_scale": self.coding.window_scale,
            "typical_spread": self.coding.typical_spread,
            "baseline": self.coding.baseline,
            "season_length": self.coding.season_length,
            "quantiles": list(self.coding.quantile_levels),
            "interval_stretch": (
                None
                if self.coding.interval_stretch is None
                else self.coding.interval_stretch.tolist()
            ),
            "series": [
                {
                    "id": sid,
                    "last_timestamp": self.last_timestamps[sid],
                    "scaler": scaler.to_json(),
                    "train_min": self.train_ranges[sid][0].tolist(),
                    "train_max": self.train_ranges[sid][1].tolist(),
                }
                for sid, scaler in self.scalers.items()
            ],
            "static_features": list(self.static_features),
            "static_scaler": self.static_scaler.to_json(),
            "skipped_series": sorted(self.skipped),
            "series_embedding": self.series_embedding,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Preprocessing:
        """Raises ``KeyError``, ``TypeError`` or ``ValueError`` on a malformed record."""
        series = data["series"]
        columns = tuple(str(c) for c in data["columns"])
        scalers = {_id(s["id"]): Scaler.from_json(s["scaler"]) for s in series}
        if any(len(s.center) != len(columns) for s in scalers.values()):
            raise ValueError("a scaler does not have one number per column")
        n_targets = _positive(data["n_targets"])
        coding = WindowCoding(
            window_norm=_choice(data["window_norm"], ("none", "last", "mean")),
            # Absent from bundles written before window scaling, which had none.
            window_scale=_choice(data.get("window_scale", "none"), ("none", "std")),
            typical_spread=_positive_number(data.get("typical_spread", 1.0)),
            baseline=_choice(data["baseline"], ("none", "naive", "seasonal_naive")),
            season_length=_positive(data["season_length"]),
            lookback=_positive(data["lookback"]),
            horizon=_positive(data["horizon"]),
            n_targets=n_targets,
            n_levelled=len(columns),
            quantile_levels=tuple(float(q) for q in data["quantiles"]),
            interval_stretch=_stretch(data["interval_stretch"], n_targets),
        )
        time_format = data["time_format"]
        if time_format is not None and not isinstance(time_format, str):
            raise ValueError(f"time_format must be text or null, got {time_format!r}")
        return cls(
            columns=columns,
            n_targets=n_targets,
            freq=str(data["freq"]),
            time_format=time_format,
            calendar_features=_calendar(data["calendar_features"]),
            coding=coding,
            scalers=scalers,
            last_timestamps={_id(s["id"]): str(s["last_timestamp"]) for s in series},
            train_ranges={
                _id(s["id"]): (_row(s["train_min"], columns), _row(s["train_max"], columns))
                for s in series
            },
            # Absent from bundles written before static features and skipped series.
            **_static(data),
            skipped=frozenset(str(s) for s in data.get("skipped_series", [])),
            series_embedding=_non_negative(data.get("series_embedding", 0)),
        )


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
