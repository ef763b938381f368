"""How unlikely an observation is under a forecast's calibrated band, as a probability
that compares across series and bands, and the flag a threshold on it gives (numpy; no
TensorFlow)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

_ERFC = np.frompyfunc(math.erfc, 1, 1)


def outside_by(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """How far each ``actual`` lies below ``lower`` or above ``upper`` (0 inside)."""
    return np.maximum(lower - actual, 0.0) + np.maximum(actual - upper, 0.0)


def tail_probability(
    actual: np.ndarray,
    point: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    levels: tuple[float, float],
) -> np.ndarray:
    """The probability of an observation at least as far from ``point`` on its side of
    it, under a normal distribution on each side whose quantile at ``levels`` is the
    band's edge there: 0.5 at the point, ``levels[0]`` at the lower edge, ``1 -
    levels[1]`` at the upper edge, and less further out."""
    z_lower, z_upper = (NormalDist().inv_cdf(q) for q in levels)
    above = actual >= point
    spread = np.where(above, (upper - point) / z_upper, (point - lower) / -z_lower)
    distance = np.abs(actual - point) / np.maximum(spread, np.finfo(np.float64).tiny)
    return 0.5 * _ERFC(distance / math.sqrt(2)).astype(np.float64)


@dataclass(frozen=True)
class Flagging:
    """What flags an observation: falling outside the band of quantile ``levels``, or
    with a ``threshold``, a ``tail_probability`` under it."""

    levels: tuple[float, float]
    threshold: float | None = None

    def tail(
        self, actual: np.ndarray, point: np.ndarray, lower: np.ndarray, upper: np.ndarray
    ) -> np.ndarray:
        return tail_probability(actual, point, lower, upper, self.levels)

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
        band)``."""
        band = "-".join(f"{100 * q:g}" for q in self.levels) + " % band"
        if self.threshold is None:
            return f"outside the {band}"
        return f"with a tail probability under {self.threshold:g} ({band})"
