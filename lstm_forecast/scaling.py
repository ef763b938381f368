"""Per-column scalers fit on the train part only, stored as plain numbers (no TensorFlow).

``transform(x) = (x - center) / scale``. A column with no spread gets ``scale = 1``, so a
constant series never divides by zero. Fitting ignores NaN (rows ``missing: drop`` left).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

ScalerKind = Literal["standard", "minmax", "none"]


@dataclass(frozen=True)
class Scaler:
    kind: ScalerKind
    center: np.ndarray  # (n_columns,) float64
    scale: np.ndarray  # (n_columns,) float64, never 0

    @classmethod
    def fit(cls, kind: ScalerKind, train_values: np.ndarray) -> Scaler:
        """Fit on ``train_values`` of shape ``(time, n_columns)``: the train part only."""
        n_columns = train_values.shape[1]
        if kind == "none" or len(train_values) == 0:
            return cls(kind, np.zeros(n_columns), np.ones(n_columns))
        if kind == "standard":
            center = np.nanmean(train_values, axis=0)
            spread = np.nanstd(train_values, axis=0)
        else:
            center = np.nanmin(train_values, axis=0)
            spread = np.nanmax(train_values, axis=0) - center
        # A spread too small to divide by safely counts as none.
        tiny = ~(spread > 1e-12 * np.maximum(np.abs(center), 1.0))
        return cls(kind, center, np.where(tiny, 1.0, spread))

    def transform(self, values: np.ndarray) -> np.ndarray:
        """Scale ``values`` whose last axis holds all columns."""
        return (values - self.center) / self.scale

    def inverse_targets(self, scaled: np.ndarray) -> np.ndarray:
        """Original units for arrays whose last axis holds the first ``n_targets`` columns."""
        n_targets = scaled.shape[-1]
        return scaled * self.scale[:n_targets] + self.center[:n_targets]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "center": self.center.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scaler:
        center = np.asarray(data["center"], dtype=np.float64)
        scale = np.asarray(data["scale"], dtype=np.float64)
        if data["kind"] not in ("standard", "minmax", "none"):
            raise ValueError(f"unknown scaler kind {data['kind']!r}")
        if center.shape != scale.shape or center.ndim != 1:
            raise ValueError("scaler center and scale must be lists of equal length")
        if not (np.isfinite(center).all() and np.isfinite(scale).all() and (scale != 0).all()):
            raise ValueError("scaler numbers must be finite and scale non-zero")
        return cls(data["kind"], center, scale)
