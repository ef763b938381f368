"""Window coding: network inputs and targets from scaled windows, and forecasts back
(numpy only).

A network forecasts a series better when it sees shapes rather than levels, and when it
only has to learn what a simple forecast gets wrong. So each input window is shifted by
its own level (``window_norm``), and the network predicts a correction to a baseline
forecast made from the same window (``baseline``). With ``window_scale``, a window's
targets are also divided by how widely they vary (relative to the typical training
window): a cycle twice as tall as any in the train part looks like the ones the network
learned from. Training and inference both go through ``WindowCoding``, so the two can
never disagree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ..data.row_files import row_array
from ..data.share import ALONE, Workers, pooled_median
from .baselines import Baseline, baseline_rows, seasons_needed

WindowNorm = Literal["none", "last", "mean"]
WindowScale = Literal["none", "std"]

# A window's scale is its targets' standard deviation over the typical training window's,
# but never below this: a nearly flat window is not blown up into noise.
SMALLEST_SCALE = 0.25


@dataclass(frozen=True)
class WindowCoding:
    """How scaled windows become network inputs, and network outputs forecasts.

    Columns of a window: ``n_targets`` targets, then features, then calendar columns;
    the first ``n_levelled`` (targets and features) are shifted by the window's level.
    With ``future_columns`` (the columns known ahead: future features and calendar), a
    window holds ``lookback + horizon`` rows, and in its last ``horizon`` rows only those
    columns reach the network: ``encode`` zeroes every other, the targets first of all.
    """

    window_norm: WindowNorm
    baseline: Baseline
    season_length: int
    lookback: int
    horizon: int
    n_targets: int
    n_levelled: int
    window_scale: WindowScale = "none"
    # The median standard deviation of the targets over the training windows (scaled
    # units): a window that varies this much keeps its size (see ``typical_spread``).
    typical_spread: float = 1.0
    # With quantiles: the factor, per target, by which every quantile's distance from the
    # median is multiplied, so intervals cover as promised on data the network was not
    # fit to (see ``calibrate``). None: no calibration.
    quantile_levels: tuple[float, ...] = ()
    # The smoothing weight of a smoothed baseline (``baselines.SMOOTHED``), else None.
    baseline_alpha: float | None = None
    # Columns known over the horizon too (``data.future_features``, calendar columns).
    future_columns: tuple[int, ...] = ()
    interval_stretch: np.ndarray | None = field(default=None, compare=False)
    # ``baseline: smoothing``: the first of the ``n_targets x horizon`` columns that hold,
    # on each row, the whole-history smoothing forecast made after it (target after
    # target, step after step; ``Served.forecast_columns``). The offset reads them on the
    # window's last row; the network does not see them. None for every other baseline.
    smoothing_from: int | None = None

    def __post_init__(self) -> None:
        if self.quantile_levels and 0.5 not in self.quantile_levels:
            raise ValueError("the quantiles must include 0.5 (the point forecast)")
        if (self.baseline == "smoothing") != (self.smoothing_from is not None):
            raise ValueError("the smoothing baseline needs its columns, and only it has them")
        seasons = seasons_needed(self.baseline)
        if self.lookback < seasons * self.season_length:
            raise ValueError(
                f"window.lookback {self.lookback} is shorter than the {seasons} season(s) "
                f"of {self.season_length} rows that model.baseline: {self.baseline} uses"
            )

    @property
    def output_shape(self) -> tuple[int, ...]:
        """A network's output for one window: ``(horizon, n_targets[, n_quantiles])``."""
        quantiles = (len(self.quantile_levels),) if self.quantile_levels else ()
        return (self.horizon, self.n_targets, *quantiles)

    @property
    def n_smoothing(self) -> int:
        """Columns of the rows that hold the smoothing forecast (0 for other baselines)."""
        return 0 if self.smoothing_from is None else self.n_targets * self.horizon

    def network_inputs(self, n_columns: int) -> int:
        """Columns a network input has, of rows with ``n_columns``."""
        return n_columns - self.n_smoothing

    @property
    def window_rows(self) -> int:
        """Rows of a window: the lookback, and the horizon too when columns are known ahead."""
        return self.lookback + (self.horizon if self.future_columns else 0)

    def windows_at(self, rows: np.ndarray, origins: np.ndarray) -> np.ndarray:
        """The input windows ``(n, window_rows, n_columns)`` cut from one series' model
        rows ``(time, n_columns)`` for forecasts whose first step is at each of ``origins``."""
        return rows[(np.asarray(origins) - self.lookback)[:, None] + np.arange(self.window_rows)]

    def encode(
        self, windows: np.ndarray, einsum: Callable[..., Any] = np.einsum
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Split scaled windows ``(n, window_rows, n_inputs)`` into network inputs (same
        shape), the offset ``(n, horizon, n_targets)`` and the scale ``(n, 1, 1)``: the
        network's output times the scale, plus the offset (the window level plus the
        baseline forecast), is the forecast (``decode``; ``targets`` goes the other way).

        Written with ``einsum``, slicing and arithmetic only, so the same code runs on
        numpy arrays (inference) and, with ``einsum=tf.einsum``, on tensors inside the
        training pipeline.
        """
        dtype = windows.dtype.name
        n_columns = windows.shape[2]
        columns = np.arange(n_columns)
        levelled = (columns < self.n_levelled).astype(dtype)
        level = einsum("ntc,t->nc", windows, self._level_weights.astype(dtype))[:, None, :]
        inputs = windows - level * levelled  # calendar columns keep their values
        if self.future_columns:
            # The horizon's rows keep only what is known ahead: nothing of the targets.
            inputs = inputs * self._known_ahead(n_columns).astype(dtype)
        history = inputs[:, : self.lookback, : self.n_targets]
        baseline_rows = self._baseline_rows.astype(dtype)
        baseline = einsum("ntc,ht->nhc", history, baseline_rows)
        offset = level[:, :, : self.n_targets] + baseline
        if self.smoothing_from is not None:
            # The smoothing forecast made after the window's last row, and the network's
            # inputs without its columns.
            last = windows[:, self.lookback - 1, :]
            offset = einsum("nc,hkc->nhk", last, self._smoothing_picks(n_columns).astype(dtype))
            inputs = einsum("ntc,cd->ntd", inputs, self._network_columns(n_columns).astype(dtype))
        if self.window_scale == "none":
            return inputs, offset, windows[:, :1, :1] * 0 + 1  # ones, for numpy and TensorFlow
        scale = self._scale(history, einsum)
        # Only the targets' columns are divided: features keep their own units.
        targets = (columns[: self.network_inputs(n_columns)] < self.n_targets).astype(dtype)
        return inputs * (1 + (1 / scale - 1) * targets), offset, scale

    def _scale(self, targets: Any, einsum: Callable[..., Any]) -> Any:
        """``(n, 1, 1)``: each window's targets' standard deviation over the typical
        training window's, at least ``SMALLEST_SCALE``."""
        size = targets.shape[1] * targets.shape[2]
        mean = einsum("ntc->n", targets)[:, None, None] / size
        centred = targets - mean
        spread = (einsum("ntc,ntc->n", centred, centred) / size) ** 0.5 / self.typical_spread
        # max(spread, SMALLEST_SCALE) with arithmetic only, for numpy and TensorFlow alike.
        scale = (spread + SMALLEST_SCALE + abs(spread - SMALLEST_SCALE)) / 2
        return scale[:, None, None]

    @staticmethod
    def targets(actual: np.ndarray, offset: np.ndarray, scale: np.ndarray) -> np.ndarray:
        """What the network learns to output for ``actual`` ``(n, horizon, n_targets)``
        (scaled units), the inverse of ``decode``."""
        return (actual - offset) / scale

    @property
    def _level_weights(self) -> np.ndarray:
        """``(window_rows,)``: the window's level as a weighted sum over its lookback rows."""
        weights = np.zeros(self.window_rows, dtype=np.float64)
        if self.window_norm == "last":
            weights[self.lookback - 1] = 1.0
        elif self.window_norm == "mean":
            weights[: self.lookback] = 1.0 / self.lookback
        return weights

    def _smoothing_picks(self, n_columns: int) -> np.ndarray:
        """``(horizon, n_targets, n_columns)``: where each step's smoothing forecast of
        each target sits in a row."""
        picks = np.zeros((self.horizon, self.n_targets, n_columns))
        first = self.smoothing_from or 0
        for target in range(self.n_targets):
            for step in range(self.horizon):
                picks[step, target, first + target * self.horizon + step] = 1.0
        return picks

    def _network_columns(self, n_columns: int) -> np.ndarray:
        """``(n_columns, network_inputs)``: the identity without the smoothing columns."""
        first = self.smoothing_from or 0
        kept = [c for c in range(n_columns) if not first <= c < first + self.n_smoothing]
        return np.eye(n_columns)[:, kept]

    def _known_ahead(self, n_columns: int) -> np.ndarray:
        """``(window_rows, n_columns)``: 1 where a window's value reaches the network (every
        lookback row; the future columns of the horizon's rows), else 0."""
        mask = np.zeros((self.window_rows, n_columns))
        mask[: self.lookback] = 1.0
        mask[self.lookback :, list(self.future_columns)] = 1.0
        return mask

    @property
    def _baseline_rows(self) -> np.ndarray:
        """``(horizon, lookback)``: each step's baseline forecast as weights over the rows."""
        return baseline_rows(
            self.baseline, self.baseline_alpha, self.lookback, self.horizon, self.season_length
        )

    def decode(self, outputs: np.ndarray, offset: np.ndarray, scale: np.ndarray) -> np.ndarray:
        """Forecasts in scaled units from network outputs ``(n, horizon, n_targets[, q])``."""
        if outputs.ndim == 3:
            return outputs * scale + offset
        forecasts = outputs * scale[..., None] + offset[..., None]
        if self.interval_stretch is not None:
            # A stretch is never negative, so no quantile crosses the median.
            median = forecasts[..., self._median_index, None]
            forecasts = median + (forecasts - median) * self.interval_stretch[:, None]
        return forecasts

    @property
    def _median_index(self) -> int:
        return point_index(self.quantile_levels)

    def calibrate(self, forecasts: np.ndarray, targets: np.ndarray) -> WindowCoding:
        """This coding with intervals calibrated on held-out windows.

        Conformal calibration of the outer quantile pair, pooled over windows and steps:
        each held-out value needs the interval stretched around the median by some
        factor to fall inside it; the stretch is the conformal quantile of those factors
        at the interval's nominal coverage. Pooling the steps (each keeps the width the
        network gave it) gives ``horizon`` times more scores than a per-step calibration,
        which matters when the validation part holds only a window or two.

        ``forecasts``: ``(n, horizon, n_targets, n_quantiles)`` decoded without a stretch;
        ``targets``: ``(n, horizon, n_targets)``, both scaled.
        """
        levels = np.asarray(self.quantile_levels)
        median = forecasts[..., self._median_index]
        below = np.maximum(median - forecasts[..., 0], _TINY)
        above = np.maximum(forecasts[..., -1] - median, _TINY)
        needed = np.maximum((median - targets) / below, (targets - median) / above)
        scores = needed.reshape(-1, self.n_targets)
        nominal = levels[-1] - levels[0]
        n = len(scores)
        level = min(1.0, nominal * (n + 1) / n)
        # Widen only: the held-out windows are few and also chose the early-stopping epoch,
        # so they flatter the network; narrowing on their word would make intervals too
        # tight on later data (benchmarks/README.md).
        stretch = np.maximum(np.quantile(scores, level, axis=0), 1.0)
        return dataclasses.replace(self, interval_stretch=stretch)


def point_index(levels: Sequence[float]) -> int:
    """Where the point forecast (the median) sits on the quantile axis of forecasts
    ``(..., n_quantiles)``: 0 without quantiles."""
    return list(levels).index(0.5) if len(levels) else 0


_TINY = 1e-6  # scaled units: an interval narrower than this counts as this wide


def typical_spread(
    train_parts: Sequence[np.ndarray], lookback: int, workers: Workers = ALONE
) -> float:
    """The median, over every input window of the train parts (``(rows, n_targets)``
    each, scaled; every worker's), of the window's standard deviation; 1 when there is
    none to measure (windows with missing values are left out)."""

    def window_sums(rows: np.ndarray) -> np.ndarray:
        running = np.concatenate([[0.0], np.cumsum(rows)])
        return running[lookback:] - running[:-lookback]

    # One array of every window's positive spread, filled in place and its median taken
    # in place: a long file has tens of millions of windows.
    n_windows = sum(max(len(values) - lookback + 1, 0) for values in train_parts)
    pooled = row_array((n_windows,), np.float64)
    filled = 0
    for values in train_parts:
        if len(values) < lookback:
            continue
        # Running sums give every window's variance in one pass, without the windows;
        # a running count of missing rows leaves out the windows that hold one.
        missing = ~np.isfinite(values).all(axis=1)
        known = np.where(missing[:, None], 0.0, values).astype(np.float64)
        size = lookback * values.shape[1]
        mean = window_sums(known.sum(axis=1)) / size
        variance = window_sums((known**2).sum(axis=1)) / size - mean**2
        complete = window_sums(missing.astype(np.float64)) == 0
        spread = np.sqrt(np.maximum(variance[complete], 0.0))
        spread = spread[spread > 0]
        pooled[filled : filled + len(spread)] = spread
        filled += len(spread)
    positive = pooled[:filled]
    if workers.share.count > 1:
        median = pooled_median(workers, positive, in_place=True)
        return 1.0 if np.isnan(median) else median
    return float(np.median(positive, overwrite_input=True)) if len(positive) else 1.0
