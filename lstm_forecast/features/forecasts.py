"""The one path from input windows to forecasts in original units, point and band (numpy;
no TensorFlow): a network behind its window coding is a ``Forecaster`` (``forecaster_of``),
and ``forecast_in_units`` brings its forecasts back through each series' scaler.
Evaluate, backtest, predict, detect and explain all go through it, so a change to scaling
or to the quantile axis is made here once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import BundleError
from .coding import WindowCoding, point_index
from .scaling import Scaler

# A network in inference mode behind its window coding: float32 scaled windows
# ``(n, window_rows, n_inputs)`` -> scaled forecasts ``(n, horizon, n_targets, n_quantiles)``
# (``n_quantiles`` is 1 for a point forecast). A Keras model or an ONNX graph alike.
Forecaster = Callable[[np.ndarray], np.ndarray]
# A network alone: encoded inputs -> raw outputs, in inference mode (Keras or ONNX Runtime).
Network = Callable[[np.ndarray], np.ndarray]


def forecaster_of(network: Network, coding: WindowCoding, batch_size: int = 4096) -> Forecaster:
    """``network`` behind ``coding``: windows are encoded for it and its outputs decoded
    into scaled forecasts. Windows go through it in batches of ``batch_size``, so memory
    stays bounded for any number of series."""

    def forecast(windows: np.ndarray) -> np.ndarray:
        chunks = []
        for start in range(0, len(windows), batch_size):
            chunk = np.asarray(windows[start : start + batch_size], dtype=np.float32)
            inputs, offset, scale = coding.encode(chunk)
            outputs = np.asarray(network(inputs), dtype=np.float64)
            if outputs.shape[1:] != coding.output_shape:
                raise BundleError(
                    f"the network's outputs have shape {outputs.shape[1:]} a window where "
                    f"its preprocessing records {coding.output_shape} (horizon, targets"
                    "[, quantiles]): the network is not the one trained with it; retrain, or "
                    "restore the bundle as train wrote it"
                )
            forecasts = coding.decode(outputs, offset, scale)
            chunks.append(forecasts if forecasts.ndim == 4 else forecasts[..., None])
        return np.concatenate(chunks)

    return forecast


@dataclass(frozen=True)
class Forecasts:
    """Forecasts in original units: ``values`` ``(n, horizon, n_targets, n_quantiles)``,
    the last axis at ``levels`` (none: one point forecast)."""

    values: np.ndarray
    levels: tuple[float, ...]

    def __len__(self) -> int:
        return len(self.values)

    @property
    def point(self) -> np.ndarray:
        """``(n, horizon, n_targets)``: the point forecast, the median with quantiles."""
        return self.values[..., point_index(self.levels)]

    @property
    def has_band(self) -> bool:
        return len(self.levels) > 1

    @property
    def lower(self) -> np.ndarray:
        """``(n, horizon, n_targets)``: the band's lowest quantile."""
        return self.values[..., 0]

    @property
    def upper(self) -> np.ndarray:
        """``(n, horizon, n_targets)``: the band's highest quantile."""
        return self.values[..., -1]

    def step(self, step: int) -> Forecasts:
        """Only the forecasts ``step`` steps ahead (1-based), as a horizon of one."""
        return Forecasts(self.values[:, step - 1 : step], self.levels)

    def split(self, counts: Sequence[int]) -> list[Forecasts]:
        """Consecutive groups of ``counts`` forecasts (one group per series)."""
        ends = np.cumsum(counts)[:-1]
        return [Forecasts(part, self.levels) for part in np.split(self.values, ends)]


def forecast_in_units(
    forecaster: Forecaster,
    windows: np.ndarray,
    scalers: Sequence[Scaler],
    coding: WindowCoding,
    counts: Sequence[int] | None = None,
) -> Forecasts:
    """Forecast scaled ``windows`` ``(n, window_rows, n_inputs)`` in one call of
    ``forecaster`` and return them in original units.

    The windows come series after series: ``counts[k]`` consecutive windows are scaled by
    ``scalers[k]`` (default: one window per scaler).
    """
    counts = [1] * len(scalers) if counts is None else list(counts)
    if sum(counts) != len(windows) or len(counts) != len(scalers):
        raise ValueError(f"{len(windows)} windows for counts {counts} of {len(scalers)} scalers")
    width = max(len(coding.quantile_levels), 1)
    if len(windows):
        scaled = forecaster(windows)
    else:
        scaled = np.empty((0, coding.horizon, coding.n_targets, width))
    # A scaler reads the targets on the last axis: the quantile axis goes before it.
    by_quantile = np.moveaxis(scaled, 3, 2)
    parts, first = [], 0
    for scaler, count in zip(scalers, counts, strict=True):
        parts.append(scaler.inverse_targets(by_quantile[first : first + count]))
        first += count
    values = np.moveaxis(np.concatenate(parts), 2, 3) if parts else scaled
    return Forecasts(values, coding.quantile_levels)
