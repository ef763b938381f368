"""Network inputs and targets from scaled windows, and forecasts back (numpy only).

A network forecasts a series better when it sees shapes rather than levels, and when it
only has to learn what a simple forecast gets wrong. So each input window is shifted by
its own level (``window_norm``), and the network predicts a correction to a baseline
forecast made from the same window (``baseline``). Training and inference both go
through ``WindowCoding``, so the two can never disagree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

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
    # With quantiles: how far to move each quantile below the median down and each one
    # above it up, per step and target (scaled units), so intervals cover as promised on
    # data the network was not fit to (see ``calibrate``). None: no calibration.
    quantile_levels: tuple[float, ...] = ()
    widening: np.ndarray | None = field(default=None, compare=False)

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
        if outputs.ndim == 3:
            return outputs + offset
        forecasts = outputs + offset[..., None]
        if self.widening is not None:
            levels = np.asarray(self.quantile_levels)
            side = np.sign(levels - 0.5)  # -1 below the median, +1 above, 0 for it
            forecasts = forecasts + self.widening[..., None] * side
            # A narrowing never lets a quantile cross the median.
            median = forecasts[..., levels == 0.5]
            forecasts = np.where(side < 0, np.minimum(forecasts, median), forecasts)
            forecasts = np.where(side > 0, np.maximum(forecasts, median), forecasts)
        return forecasts

    def calibrate(self, forecasts: np.ndarray, targets: np.ndarray) -> WindowCoding:
        """This coding with intervals calibrated on held-out windows (conformalised
        quantile regression, per step and target).

        ``forecasts``: ``(n, horizon, n_targets, n_quantiles)`` decoded without widening;
        ``targets``: ``(n, horizon, n_targets)``, both scaled.
        """
        levels = np.asarray(self.quantile_levels)
        lower, upper = forecasts[..., 0], forecasts[..., -1]
        miss = 1.0 - (levels[-1] - levels[0])  # the share the outer pair may miss
        scores = np.maximum(lower - targets, targets - upper)  # > 0: outside the interval
        n = len(scores)
        level = min(1.0, (1.0 - miss) * (n + 1) / n)
        return dataclasses.replace(self, widening=np.quantile(scores, level, axis=0))


def choose_baseline(
    train_parts: Sequence[np.ndarray], lookback: int, horizon: int, season_length: int
) -> Baseline:
    """The more accurate of naive and seasonal naive over every training origin.

    ``train_parts``: each series' train rows, target columns only. Errors are pooled over
    series, steps and targets; NaN rows (``missing: drop``) are skipped.
    """
    if lookback < season_length or season_length == 1:
        return "naive"
    steps = np.arange(horizon)
    errors: dict[Baseline, list[np.ndarray]] = {"naive": [], "seasonal_naive": []}
    for values in train_parts:
        origins = np.arange(lookback, len(values) - horizon + 1)
        if not len(origins):
            continue
        actual = values[origins[:, None] + steps]
        naive = values[origins - 1][:, None]
        seasonal = values[origins[:, None] + steps - season_length * (steps // season_length + 1)]
        errors["naive"].append(np.abs(actual - naive).ravel())
        errors["seasonal_naive"].append(np.abs(actual - seasonal).ravel())
    if not errors["naive"]:
        return "naive"
    naive_error = np.nanmean(np.concatenate(errors["naive"]))
    seasonal_error = np.nanmean(np.concatenate(errors["seasonal_naive"]))
    return "seasonal_naive" if seasonal_error < naive_error else "naive"
