"""Point-forecast metrics and the naive baselines every model is compared with (numpy only).

Arrays of forecasts and actuals have shape ``(n_origins, horizon, n_targets)`` in original
units; metrics are computed per target over every origin and step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def naive_forecasts(
    values: np.ndarray, origins: np.ndarray, horizon: int, n_targets: int
) -> np.ndarray:
    """Last observed value before each origin, repeated over the horizon.

    ``values``: ``(time, n_columns)``, targets first; ``origins``: first forecast row each.
    """
    last = values[origins - 1, :n_targets]
    return np.repeat(last[:, None, :], horizon, axis=1)


def seasonal_naive_forecasts(
    values: np.ndarray, origins: np.ndarray, horizon: int, n_targets: int, season_length: int
) -> np.ndarray:
    """The value one season earlier (two for steps past the first season, and so on).

    Origins with fewer than ``season_length`` rows of history are the caller's to skip.
    """
    steps = np.arange(horizon)
    lags = season_length * (steps // season_length + 1)
    return values[origins[:, None] + steps - lags, :n_targets]


def mase_scale(train_values: np.ndarray, season_length: int) -> np.ndarray:
    """In-sample MAE of the seasonal-naive forecast on the train part, per column.

    NaN where the train part is shorter than a season or never changes (MASE undefined).
    """
    if len(train_values) <= season_length:
        return np.full(train_values.shape[1], np.nan)
    diffs = np.abs(train_values[season_length:] - train_values[:-season_length])
    known = np.isfinite(diffs)  # missing: drop leaves NaN rows
    total = np.where(known, diffs, 0.0).sum(axis=0)
    count = known.sum(axis=0)
    scale = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    return np.where(scale > 0, scale, np.nan)


def score(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray) -> dict[str, np.ndarray]:
    """MAE, RMSE, sMAPE (percent, 0-200) and MASE per target.

    ``actual`` and ``forecast``: ``(n_origins, horizon, n_targets)``; ``scale``: the
    MASE denominator per target.
    """
    error = forecast - actual
    mae = np.mean(np.abs(error), axis=(0, 1))
    denominator = np.abs(actual) + np.abs(forecast)
    ratio = np.divide(
        2.0 * np.abs(error), denominator, out=np.zeros_like(error), where=denominator > 0
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        mase = mae / scale
    return {
        "mae": mae,
        "rmse": np.sqrt(np.mean(error**2, axis=(0, 1))),
        "smape": 100.0 * np.mean(ratio, axis=(0, 1)),
        "mase": mase,
    }


def interval_coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Share of actuals inside ``[lower, upper]``, per target (0 to 1)."""
    inside = (actual >= lower) & (actual <= upper)
    return np.asarray(np.mean(inside, axis=(0, 1)), dtype=np.float64)


def pinball(actual: np.ndarray, quantiles: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """Mean pinball loss per target, in original units, averaged over the quantile levels.

    ``quantiles``: ``(n_origins, horizon, n_targets, n_levels)``.
    """
    error = actual[..., None] - quantiles
    q = np.asarray(levels, dtype=np.float64)
    return np.asarray(np.mean(np.maximum(q * error, (q - 1) * error), axis=(0, 1, 3)))
