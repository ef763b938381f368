"""Network inputs and targets from scaled windows, and forecasts back (numpy only).

A network forecasts a series better when it sees shapes rather than levels, and when it
only has to learn what a simple forecast gets wrong. So each input window is shifted by
its own level (``window_norm``), and the network predicts a correction to a baseline
forecast made from the same window (``baseline``). Training and inference both go
through ``WindowCoding``, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

WindowNorm = Literal["none", "last", "mean"]
Baseline = Literal["none", "naive", "seasonal_naive"]


@dataclass(frozen=True)
class WindowCoding:
    """How scaled windows become network inputs, and network outputs forecasts.

    Columns of a window: ``n_targets`` targets, then features, then calendar columns;
    the first ``n_levelled`` (targets and features) are shifted by the window's level.
    """

    window_norm: WindowNorm
    baseline: Baseline
    season_length: int
    lookback: int
    horizon: int
    n_targets: int
    n_levelled: int

    def __post_init__(self) -> None:
        if self.baseline == "seasonal_naive" and self.lookback < self.season_length:
            raise ValueError(
                f"window.lookback {self.lookback} is shorter than the season "
                f"({self.season_length}) that model.baseline: seasonal_naive repeats"
            )

    def encode(self, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Split scaled windows ``(n, lookback, n_inputs)`` into network inputs (same
        shape, float32) and the offset ``(n, horizon, n_targets)`` that the network's
        output is added to (the window level plus the baseline forecast)."""
        level = np.zeros((len(windows), 1, windows.shape[2]), dtype=windows.dtype)
        levelled = slice(0, self.n_levelled)
        if self.window_norm == "last":
            level[:, :, levelled] = windows[:, -1:, levelled]
        elif self.window_norm == "mean":
            level[:, :, levelled] = windows[:, :, levelled].mean(axis=1, keepdims=True)
        inputs = windows - level
        offset = np.repeat(level[:, :, : self.n_targets], self.horizon, axis=1)
        if self.baseline == "naive":
            offset = offset + inputs[:, -1:, : self.n_targets]
        elif self.baseline == "seasonal_naive":
            rows = self.lookback - self.season_length + np.arange(self.horizon) % self.season_length
            offset = offset + inputs[:, rows, : self.n_targets]
        return inputs.astype(np.float32), offset.astype(np.float32)

    def decode(self, outputs: np.ndarray, offset: np.ndarray) -> np.ndarray:
        """Forecasts in scaled units from network outputs ``(n, horizon, n_targets[, q])``."""
        return outputs + (offset[..., None] if outputs.ndim == 4 else offset)

    def to_json(self) -> dict[str, Any]:
        return {
            "window_norm": self.window_norm,
            "baseline": self.baseline,
            "season_length": self.season_length,
            "n_levelled": self.n_levelled,
        }
