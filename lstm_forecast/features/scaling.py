"""Per-column scalers fit on the train part only, stored as plain numbers (no TensorFlow),
and the check that data a log scaler will see is positive.

``transform(x) = (f(x) - center) / scale`` where ``f`` is the log for the first
``n_logged`` columns (``preprocessing.log``; a value <= 0, which only new data can hold,
is read as ``log_floor``, half the smallest training value) and the identity for the
rest. A column with no spread gets ``scale = 1``, so a constant series never divides by
zero. Fitting ignores NaN (rows ``missing: drop`` left).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..data import Dataset
from ..data.read import is_parquet
from ..data.timeindex import show_time
from ..errors import DataError

ScalerKind = Literal["standard", "minmax", "none"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scaler:
    kind: ScalerKind
    center: np.ndarray  # (n_columns,) float64
    scale: np.ndarray  # (n_columns,) float64, never 0
    n_logged: int = 0  # leading columns taken in log before centring
    # Per logged column, what a value <= 0 is read as: half the smallest training value
    # (None: refused, as bundles written before it did).
    log_floor: np.ndarray | None = None

    @classmethod
    def fit(cls, kind: ScalerKind, train_values: np.ndarray, n_logged: int = 0) -> Scaler:
        """Fit on ``train_values`` of shape ``(time, n_columns)``: the train part only.

        The first ``n_logged`` columns must be positive where the network trains (the
        caller checks); a series first seen at predict may hold a value <= 0, read as
        the floor.
        """
        floor = _log_floor(train_values, n_logged)
        values = _log_leading(train_values, n_logged, floor)
        n_columns = values.shape[1]
        if kind == "none" or len(values) == 0:
            return cls(kind, np.zeros(n_columns), np.ones(n_columns), n_logged, floor)
        if kind == "standard":
            center = np.nanmean(values, axis=0)
            spread = np.nanstd(values, axis=0)
        else:
            center = np.nanmin(values, axis=0)
            spread = np.nanmax(values, axis=0) - center
        # A spread too small to divide by safely counts as none.
        tiny = ~(spread > 1e-12 * np.maximum(np.abs(center), 1.0))
        return cls(kind, center, np.where(tiny, 1.0, spread), n_logged, floor)

    def transform(self, values: np.ndarray) -> np.ndarray:
        """Scale ``values`` whose last axis holds all columns."""
        return (_log_leading(values, self.n_logged, self.log_floor) - self.center) / self.scale

    def transform_target(self, values: np.ndarray, column: int) -> np.ndarray:
        """``values`` (any shape) of target ``column`` scaled as ``transform`` scales it."""
        if column < self.n_logged:
            floor = None if self.log_floor is None else self.log_floor[column : column + 1]
            values = _log_leading(np.asarray(values)[..., None], 1, floor)[..., 0]
        return (values - self.center[column]) / self.scale[column]

    def inverse_targets(self, scaled: np.ndarray) -> np.ndarray:
        """Original units for arrays whose last axis holds the first ``n_targets`` columns."""
        n_targets = scaled.shape[-1]
        values = scaled * self.scale[:n_targets] + self.center[:n_targets]
        if self.n_logged:
            values = values.copy()
            # float64 exp overflows past ~709: clip so a wild forecast stays finite.
            values[..., : self.n_logged] = np.exp(np.minimum(values[..., : self.n_logged], 700))
        return values

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "center": self.center.tolist(),
            "scale": self.scale.tolist(),
            "log_columns": self.n_logged,
            "log_floor": None if self.log_floor is None else self.log_floor.tolist(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scaler:
        center = np.asarray(data["center"], dtype=np.float64)
        scale = np.asarray(data["scale"], dtype=np.float64)
        n_logged = data.get("log_columns", 0)
        if data["kind"] not in ("standard", "minmax", "none"):
            raise ValueError(f"unknown scaler kind {data['kind']!r}")
        if center.shape != scale.shape or center.ndim != 1:
            raise ValueError("scaler center and scale must be lists of equal length")
        if not (np.isfinite(center).all() and np.isfinite(scale).all() and (scale != 0).all()):
            raise ValueError("scaler numbers must be finite and scale non-zero")
        if not isinstance(n_logged, int) or not 0 <= n_logged <= len(center):
            raise ValueError(f"log_columns must be a column count, got {n_logged!r}")
        # Absent from bundles written before the floor: a value <= 0 is refused there.
        floor = data.get("log_floor")
        if floor is not None:
            floor = np.asarray(floor, dtype=np.float64)
            if floor.shape != (n_logged,) or not (np.isfinite(floor) & (floor > 0)).all():
                raise ValueError("log_floor must be one positive number per logged column")
        return cls(data["kind"], center, scale, n_logged, floor)


def _log_floor(train_values: np.ndarray, n_logged: int) -> np.ndarray | None:
    """Half the smallest positive training value of each logged column (None: none)."""
    if not n_logged:
        return None
    leading = np.asarray(train_values, dtype=np.float64)[:, :n_logged]
    positive = np.where(leading > 0, leading, np.nan)
    if not np.isfinite(positive).any(axis=0).all():
        return None
    return np.nanmin(positive, axis=0) / 2


def _log_leading(values: np.ndarray, n_logged: int, floor: np.ndarray | None) -> np.ndarray:
    if not n_logged:
        return values
    logged = np.array(values, dtype=np.float64)
    leading = logged[..., :n_logged]
    if floor is not None:  # a value <= 0 is read as the floor; NaN rows stay NaN
        leading = np.where(np.isnan(leading) | (leading > 0), leading, floor)
    with np.errstate(divide="ignore", invalid="ignore"):
        logged[..., :n_logged] = np.log(leading)
    return logged


def check_positive(dataset: Dataset) -> None:
    """Refuse a target value <= 0 to train on in log units."""
    found = _first_not_positive(dataset, [dataset.n_targets] * len(dataset.series))
    if found is not None:
        raise DataError(
            f"{found.text}: preprocessing.log: true needs positive targets; set "
            "preprocessing.log: auto or false",
            where=dataset.path,
        )


def check_loggable(dataset: Dataset, scalers: Sequence[Scaler]) -> None:
    """Before forecasting in log units: a target value <= 0 is read as its scaler's
    floor, with one warning naming the first; a bundle without floors refuses it."""
    found = _first_not_positive(dataset, [s.n_logged for s in scalers])
    if found is None:
        return
    fix = "retrain with preprocessing.log: false to forecast values <= 0 as they are"
    floor = scalers[found.series].log_floor
    if floor is None:
        raise DataError(
            f"{found.text}: the bundle works in logs (preprocessing.log) and cannot take a "
            f"value <= 0; {fix}",
            where=dataset.path,
        )
    _log.warning(
        "%s: %s (%d in all): the bundle works in logs (preprocessing.log) and reads each as "
        "half the smallest training value (%s); %s",
        dataset.path,
        found.text,
        found.count,
        f"{floor[found.column]:g}",
        fix,
    )


@dataclass(frozen=True)
class _NotPositive:
    series: int  # its place in the dataset
    column: int
    text: str  # "series 'a': 'sales' is 0 at 1960-09"
    count: int  # rows with a value <= 0, in every series


def _first_not_positive(dataset: Dataset, logged: Sequence[int]) -> _NotPositive | None:
    """The first target value <= 0 among each series' first ``logged`` columns."""
    first: _NotPositive | None = None
    count = 0
    for k, (series, n_logged) in enumerate(zip(dataset.series, logged, strict=True)):
        if not n_logged:
            continue
        bad = np.flatnonzero((series.values[:, :n_logged] <= 0).any(axis=1))
        count += len(bad)
        if first is None and len(bad):
            row = int(bad[0])
            column = int(np.flatnonzero(series.values[row, :n_logged] <= 0)[0])
            shown = show_time(series.index[row], dataset.time_format)
            line = series.line_of(row)
            if line is not None:
                shown += f" ({'row' if is_parquet(dataset.path) else 'line'} {line})"
            where = "" if series.id is None else f"series '{series.id}': "
            value = series.values[row, column]
            text = f"{where}{dataset.columns[column]!r} is {value:g} at {shown}"
            first = _NotPositive(k, column, text, 0)
    return None if first is None else dataclasses.replace(first, count=count)
