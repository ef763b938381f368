"""Per-column scalers fit on the train part only, stored as plain numbers (no TensorFlow),
and the check that data a log scaler will see is positive.

``transform(x) = (f(x) - center) / scale`` where ``f`` is the log for the first
``n_logged`` columns (``preprocessing.log``) and the identity for the rest. A column with
no spread gets ``scale = 1``, so a constant series never divides by zero. Fitting
ignores NaN (rows ``missing: drop`` left).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..data import Dataset
from ..errors import DataError

ScalerKind = Literal["standard", "minmax", "none"]


@dataclass(frozen=True)
class Scaler:
    kind: ScalerKind
    center: np.ndarray  # (n_columns,) float64
    scale: np.ndarray  # (n_columns,) float64, never 0
    n_logged: int = 0  # leading columns taken in log before centring

    @classmethod
    def fit(cls, kind: ScalerKind, train_values: np.ndarray, n_logged: int = 0) -> Scaler:
        """Fit on ``train_values`` of shape ``(time, n_columns)``: the train part only.

        The first ``n_logged`` columns must be positive (the caller checks).
        """
        values = _log_leading(train_values, n_logged)
        n_columns = values.shape[1]
        if kind == "none" or len(values) == 0:
            return cls(kind, np.zeros(n_columns), np.ones(n_columns), n_logged)
        if kind == "standard":
            center = np.nanmean(values, axis=0)
            spread = np.nanstd(values, axis=0)
        else:
            center = np.nanmin(values, axis=0)
            spread = np.nanmax(values, axis=0) - center
        # A spread too small to divide by safely counts as none.
        tiny = ~(spread > 1e-12 * np.maximum(np.abs(center), 1.0))
        return cls(kind, center, np.where(tiny, 1.0, spread), n_logged)

    def transform(self, values: np.ndarray) -> np.ndarray:
        """Scale ``values`` whose last axis holds all columns."""
        return (_log_leading(values, self.n_logged) - self.center) / self.scale

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
        return cls(data["kind"], center, scale, n_logged)


def _log_leading(values: np.ndarray, n_logged: int) -> np.ndarray:
    if not n_logged:
        return values
    logged = np.array(values, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):  # NaN rows stay NaN
        logged[..., :n_logged] = np.log(logged[..., :n_logged])
    return logged


def check_positive(dataset: Dataset) -> None:
    """Refuse a target value <= 0: a model trained in log units cannot take it."""
    for series in dataset.series:
        targets = series.values[:, : dataset.n_targets]
        bad = np.flatnonzero((targets <= 0).any(axis=1))
        if len(bad):
            row = int(bad[0])
            column = dataset.columns[int(np.flatnonzero(targets[row] <= 0)[0])]
            where = "" if series.id is None else f"series '{series.id}': "
            raise DataError(
                f"{where}preprocessing.log needs positive targets, but {column!r} is "
                f"{targets[row].min():g} at {series.index[row]}",
                where=dataset.path,
            )
