"""From a loaded dataset to what training and evaluation consume (numpy; no TensorFlow).

Split each series by time, fit its scaler on its train part only, scale it, and describe
the windows of each part by their starts. Test statistics never reach a scaler or a
training target: the leakage test poisons the test part to prove it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import Config
from .data import Dataset
from .scaling import Scaler
from .split import SplitBounds, check_split, split_bounds
from .windows import WindowSet, stack_series, window_starts


@dataclass(frozen=True)
class Prepared:
    """Every series split and scaled, stacked along time in one float32 array."""

    dataset: Dataset
    bounds: tuple[SplitBounds, ...]
    scalers: tuple[Scaler, ...]
    stacked: np.ndarray  # (total rows, n_columns), scaled; series i starts at offsets[i]
    offsets: np.ndarray

    @property
    def scaled(self) -> tuple[np.ndarray, ...]:
        """Each series' scaled rows (views into ``stacked``)."""
        return tuple(
            self.stacked[offset : offset + len(series)]
            for series, offset in zip(self.dataset.series, self.offsets, strict=True)
        )


def prepare(
    config: Config, dataset: Dataset, scalers: tuple[Scaler, ...] | None = None
) -> Prepared:
    """Split and scale every series; refuses a series too short for the split.

    ``scalers`` (one per series, from a bundle) are used as given; otherwise each series'
    scaler is fit on its own train part.
    """
    bounds = []
    for series in dataset.series:
        part = split_bounds(len(series), config.split)
        check_split(series, part, config.window, config.split, dataset.path)
        bounds.append(part)
    if scalers is None:
        scalers = tuple(
            Scaler.fit(config.preprocessing.scaler, s.values[: b.train_end])
            for s, b in zip(dataset.series, bounds, strict=True)
        )
    stacked, offsets = stack_series(
        [
            sc.transform(s.values).astype(np.float32)
            for s, sc in zip(dataset.series, scalers, strict=True)
        ]
    )
    return Prepared(
        dataset=dataset, bounds=tuple(bounds), scalers=scalers, stacked=stacked, offsets=offsets
    )


def part_windows(config: Config, prepared: Prepared, part: str) -> WindowSet:
    """Windows whose targets lie in ``part`` (train, validation or test) of every series.

    Inputs may come from earlier parts; targets never leave their part. Training windows
    step by ``window.stride``; validation and test take every origin.
    """
    lookback, horizon = config.window.lookback, config.window.horizon
    starts = []
    for series, bounds, offset in zip(
        prepared.dataset.series, prepared.bounds, prepared.offsets, strict=True
    ):
        lo, hi = _part_rows(bounds, part)
        local = window_starts(
            len(series),
            lookback,
            horizon,
            targets_from=lo,
            targets_to=hi,
            stride=config.window.stride if part == "train" else 1,
            complete=series.complete,
        )
        starts.append(local + offset)
    return WindowSet(
        values=prepared.stacked,
        starts=np.concatenate(starts),
        lookback=lookback,
        horizon=horizon,
        n_targets=prepared.dataset.n_targets,
    )


def _part_rows(bounds: SplitBounds, part: str) -> tuple[int, int]:
    if part == "train":
        return 0, bounds.train_end
    if part == "validation":
        return bounds.train_end, bounds.validation_end
    if part == "test":
        return bounds.validation_end, bounds.length
    raise ValueError(f"unknown part {part!r}")


@dataclass(frozen=True)
class Preprocessing:
    """What predict needs to turn new rows into model inputs and back: saved as
    ``preprocessing.json``, plain numbers and names only."""

    columns: tuple[str, ...]
    n_targets: int
    freq: str
    time_format: str | None
    lookback: int
    horizon: int
    scalers: dict[str | None, Scaler]  # by series id (None: a single series)
    last_timestamps: dict[str | None, str]

    @classmethod
    def of(cls, config: Config, prepared: Prepared) -> Preprocessing:
        dataset = prepared.dataset
        ids = [s.id for s in dataset.series]
        return cls(
            columns=dataset.columns,
            n_targets=dataset.n_targets,
            freq=dataset.freq,
            time_format=dataset.time_format,
            lookback=config.window.lookback,
            horizon=config.window.horizon,
            scalers=dict(zip(ids, prepared.scalers, strict=True)),
            last_timestamps={s.id: s.index[-1].isoformat() for s in dataset.series},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": list(self.columns),
            "n_targets": self.n_targets,
            "freq": self.freq,
            "time_format": self.time_format,
            "lookback": self.lookback,
            "horizon": self.horizon,
            "series": [
                {"id": sid, "last_timestamp": self.last_timestamps[sid], "scaler": scaler.to_json()}
                for sid, scaler in self.scalers.items()
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Preprocessing:
        """Raises ``KeyError``, ``TypeError`` or ``ValueError`` on a malformed record."""
        series = data["series"]
        columns = tuple(str(c) for c in data["columns"])
        scalers = {_id(s["id"]): Scaler.from_json(s["scaler"]) for s in series}
        if any(len(s.center) != len(columns) for s in scalers.values()):
            raise ValueError("a scaler does not have one number per column")
        return cls(
            columns=columns,
            n_targets=_positive(data["n_targets"]),
            freq=str(data["freq"]),
            time_format=data["time_format"],
            lookback=_positive(data["lookback"]),
            horizon=_positive(data["horizon"]),
            scalers=scalers,
            last_timestamps={_id(s["id"]): str(s["last_timestamp"]) for s in series},
        )


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def _positive(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"expected a positive integer, got {value!r}")
    return value
