"""How unlikely an observation is under a forecast's calibrated band, as a probability
that compares across series and bands, and the flag a threshold on it gives (numpy; no
TensorFlow).

The band's own reading (``tail_probability``) takes each side of the band as a normal
distribution. Where training measured how far out the validation rows fell
(``TailCalibration``), the probability is instead the share of those held-out rows at
least as far out: a threshold then flags about that share of normal rows."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .evaluation import SeriesForecasts

_ERFC = np.frompyfunc(math.erfc, 1, 1)


def outside_by(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """How far each ``actual`` lies below ``lower`` or above ``upper`` (0 inside)."""
    return np.maximum(lower - actual, 0.0) + np.maximum(actual - upper, 0.0)


def tail_distance(
    actual: np.ndarray,
    point: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    levels: tuple[float, float],
) -> np.ndarray:
    """How far ``actual`` lies from ``point``, in standard deviations of a normal
    distribution on its side whose quantile at ``levels`` is the band's edge there (the
    edges of a 1-99 % band are 2.33 out)."""
    z_lower, z_upper = (NormalDist().inv_cdf(q) for q in levels)
    above = actual >= point
    spread = np.where(above, (upper - point) / z_upper, (point - lower) / -z_lower)
    return np.abs(actual - point) / np.maximum(spread, np.finfo(np.float64).tiny)


def tail_probability(
    actual: np.ndarray,
    point: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    levels: tuple[float, float],
) -> np.ndarray:
    """The probability of an observation at least as far from ``point`` on its side of
    it, under ``tail_distance``'s normal distributions: 0.5 at the point, ``levels[0]`` at
    the lower edge, ``1 - levels[1]`` at the upper edge, and less further out."""
    distance = tail_distance(actual, point, lower, upper, levels)
    return 0.5 * np.asarray(_ERFC(distance / math.sqrt(2)), dtype=np.float64)


# The held-out distances are kept at these shares (0 to 90 %); beyond the last, the share
# falls exponentially (peaks over a threshold, the tail of extreme-value theory that SPOT
# fits to anomaly scores), since a validation part seldom holds the rare rows a threshold
# of 1e-4 is about.
_SHARES = np.linspace(0.0, 0.9, 91)
_BEYOND = 1.0 - _SHARES[-1]
# Fewer held-out rows than this per step: too few to read a tail from (no calibration).
MIN_CALIBRATION_ROWS = 100


@dataclass(frozen=True)
class TailCalibration:
    """What share of held-out rows (the validation part's, as the bundle serves its
    forecasts) fell at least each ``tail_distance`` out, per step ahead: ``quantiles``
    ``(horizon, 91)``, their distances at shares 0 to 90 %, and ``scales`` ``(horizon,)``,
    the mean excess of the distances beyond the 90 % one (the exponential tail's scale);
    ``rows``: the held-out rows per step."""

    quantiles: np.ndarray
    scales: np.ndarray
    rows: int

    @classmethod
    def fit(cls, distances: np.ndarray) -> TailCalibration | None:
        """From ``distances`` ``(n, horizon)`` (``held_out_distances``, NaN where unknown);
        None when a step has fewer than ``MIN_CALIBRATION_ROWS`` known."""
        known = [column[np.isfinite(column)] for column in distances.T]
        rows = min((len(column) for column in known), default=0)
        if rows < MIN_CALIBRATION_ROWS:
            return None
        quantiles = np.stack([np.quantile(column, _SHARES) for column in known])
        scales = np.array(
            [
                _mean_excess(column, start)
                for column, start in zip(known, quantiles[:, -1], strict=True)
            ]
        )
        return cls(quantiles, scales, rows)

    @property
    def horizon(self) -> int:
        return len(self.scales)

    def probability(self, distance: np.ndarray, step: int) -> np.ndarray:
        """The share of held-out rows ``step`` ahead at least ``distance`` out (below the
        90 % distance, read off the quantiles; beyond it, the exponential tail)."""
        quantiles, scale = self.quantiles[step - 1], self.scales[step - 1]
        start = quantiles[-1]
        # The distances kept are non-decreasing; equal ones (many rows at 0) read as the
        # largest share among them, so a row on the forecast is never unusual.
        within = 1.0 - np.interp(distance, quantiles, _SHARES)
        beyond = _BEYOND * np.exp(-(distance - start) / scale)
        return np.where(distance > start, beyond, within)

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "quantiles": self.quantiles.tolist(),
            "scales": self.scales.tolist(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TailCalibration:
        """Refuses (ValueError) anything ``to_json`` could not have written."""
        quantiles = np.asarray(data["quantiles"], dtype=np.float64)
        scales = np.asarray(data["scales"], dtype=np.float64)
        rows = data["rows"]
        if quantiles.ndim != 2 or quantiles.shape[1] != len(_SHARES) or not len(quantiles):
            raise ValueError(f"quantiles must be rows of {len(_SHARES)} distances, one a step")
        if scales.shape != (len(quantiles),):
            raise ValueError("scales must be one number a step")
        if not (np.isfinite(quantiles).all() and (quantiles >= 0).all()):
            raise ValueError("quantiles must be finite distances >= 0")
        if (np.diff(quantiles, axis=1) < 0).any():
            raise ValueError("each step's quantiles must not decrease")
        if not (np.isfinite(scales).all() and (scales > 0).all()):
            raise ValueError("scales must be finite and > 0")
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < MIN_CALIBRATION_ROWS:
            raise ValueError(f"rows must be a whole number >= {MIN_CALIBRATION_ROWS}")
        return cls(quantiles, scales, rows)


def _mean_excess(distances: np.ndarray, start: float) -> float:
    """The mean of the distances beyond ``start`` over it; a floor keeps a tail when the
    rows beyond are few or tied."""
    excess = distances[distances > start] - start
    return max(float(excess.mean()) if len(excess) else 0.0, 1e-3)


def held_out_distances(series: SeriesForecasts, levels: tuple[float, float]) -> np.ndarray:
    """``tail_distance`` of each of ``series``' actuals under its forecasts' band, ``(n,
    horizon)``: a row per origin and target (NaN where the actual is missing)."""
    if series.quantiles is None:
        raise ValueError("the forecasts have no band")
    quantiles, truth = series.quantiles, series.truth
    point = series.forecasts["model"]
    with np.errstate(invalid="ignore"):
        distance = tail_distance(truth, point, quantiles[..., 0], quantiles[..., -1], levels)
    distance[~np.isfinite(truth)] = np.nan
    return distance.transpose(0, 2, 1).reshape(-1, truth.shape[1])


@dataclass(frozen=True)
class Flagging:
    """What flags an observation: falling outside the band of quantile ``levels``, or
    with a ``threshold``, a tail probability under it: the ``calibration``'s at ``step``
    where the bundle has one, else ``tail_probability``."""

    levels: tuple[float, float]
    threshold: float | None = None
    calibration: TailCalibration | None = None
    step: int = 1

    def tail(
        self, actual: np.ndarray, point: np.ndarray, lower: np.ndarray, upper: np.ndarray
    ) -> np.ndarray:
        if self.calibration is None:
            return tail_probability(actual, point, lower, upper, self.levels)
        distance = tail_distance(actual, point, lower, upper, self.levels)
        return self.calibration.probability(distance, self.step)

    def flags(
        self, actual: np.ndarray, point: np.ndarray, lower: np.ndarray, upper: np.ndarray
    ) -> np.ndarray:
        """Bool per observation."""
        if self.threshold is None:
            return (actual < lower) | (actual > upper)
        return self.tail(actual, point, lower, upper) < self.threshold

    def judge(
        self, actual: np.ndarray, point: np.ndarray, lower: np.ndarray, upper: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The flags and the tail probabilities, the latter computed once for both."""
        tail = self.tail(actual, point, lower, upper)
        if self.threshold is None:
            return (actual < lower) | (actual > upper), tail
        return tail < self.threshold, tail

    def describe(self) -> str:
        """``outside the 1-99 % band``, or ``with a tail probability under 0.001 (1-99 %
        band)``, and what the probability was calibrated on."""
        band = "-".join(f"{100 * q:g}" for q in self.levels) + " % band"
        if self.threshold is None:
            return f"outside the {band}"
        if self.calibration is not None:
            band += f", calibrated on {self.calibration.rows:,} validation rows"
        return f"with a tail probability under {self.threshold:g} ({band})"
