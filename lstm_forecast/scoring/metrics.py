"""Point-forecast metrics and the naive baselines every model is compared with (numpy only).

Arrays of forecasts and actuals have shape ``(n_origins, horizon, n_targets)`` in original
units; metrics are computed per target over every origin and step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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


def msis(
    actual: np.ndarray, lower: np.ndarray, upper: np.ndarray, alpha: float, scale: np.ndarray
) -> np.ndarray:
    """Mean scaled interval score per target (the M4 competition's interval measure): the
    interval's width plus ``2 / alpha`` times how far each actual falls outside it,
    averaged over origins and steps and divided by ``scale`` (MASE's). ``alpha``: the
    share the interval leaves out (0.2 for a 10-90 % band)."""
    below = np.maximum(lower - actual, 0.0)
    above = np.maximum(actual - upper, 0.0)
    score = (upper - lower) + (2.0 / alpha) * (below + above)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.mean(score, axis=(0, 1)) / scale, dtype=np.float64)


def weighted_quantile_loss(
    actual: np.ndarray, quantiles: np.ndarray, levels: Sequence[float]
) -> np.ndarray:
    """CRPS estimated from the quantiles, per target: the mean over the levels of twice
    the summed pinball loss divided by the summed absolute actuals (the weighted quantile
    loss GIFT-Eval and Chronos report; scale-free, 0 for a perfect forecast). NaN when
    every actual is 0."""
    error = actual[..., None] - quantiles
    q = np.asarray(levels, dtype=np.float64)
    loss = np.maximum(q * error, (q - 1) * error).sum(axis=(0, 1))  # (n_targets, n_levels)
    total = np.abs(actual).sum(axis=(0, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.mean(2.0 * loss, axis=1) / np.where(total > 0, total, np.nan))


def seasonal_naive_band(
    values: np.ndarray,
    train_end: int,
    origins: np.ndarray,
    horizon: int,
    n_targets: int,
    season_length: int,
    levels: Sequence[float],
) -> np.ndarray:
    """Seasonal naive's quantiles ``(n_origins, horizon, n_targets, n_levels)``: its
    forecast plus each level's empirical quantile of its errors on the train part, at the
    lag each step uses (one season back for the first season's steps, two for the next).
    NaN where the train part holds no error at that lag."""
    point = seasonal_naive_forecasts(values, origins, horizon, n_targets, season_length)
    train = values[:train_end, :n_targets]
    band = np.full((len(origins), horizon, n_targets, len(levels)), np.nan)
    seasons_back = np.arange(horizon) // season_length + 1
    for back in np.unique(seasons_back):
        lag = int(back) * season_length
        steps = seasons_back == back
        if len(train) <= lag:
            continue
        errors = train[lag:] - train[:-lag]
        for t in range(n_targets):
            known = errors[np.isfinite(errors[:, t]), t]
            if len(known):
                offsets = np.quantile(known, levels)
                band[:, steps, t, :] = point[:, steps, t, None] + offsets
    return band


def interval_scores(
    actual: np.ndarray, quantiles: np.ndarray, levels: Sequence[float], scale: np.ndarray
) -> dict[str, np.ndarray]:
    """Per target, for quantile forecasts ``(n_origins, horizon, n_targets, n_levels)``
    (levels increasing): the outer band's coverage and MSIS, the mean pinball loss and
    the CRPS estimate (``weighted_quantile_loss``)."""
    lower, upper = quantiles[..., 0], quantiles[..., -1]
    return {
        "coverage": interval_coverage(actual, lower, upper),
        "pinball": pinball(actual, quantiles, levels),
        "msis": msis(actual, lower, upper, 1.0 - (levels[-1] - levels[0]), scale),
        "crps": weighted_quantile_loss(actual, quantiles, levels),
    }


def finite_mean(values: list[float]) -> float:
    """The mean of the finite values, NaN without any."""
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def finite_or_none(table: dict[str, Any]) -> dict[str, Any]:
    """JSON has no NaN: an undefined metric (MASE of a constant train part) is null."""
    return {
        k: finite_or_none(v) if isinstance(v, dict) else (v if np.isfinite(v) else None)
        for k, v in table.items()
    }
