"""The statistical forecasts a network corrects, and the choice among them.

Every baseline here but one is a linear map from a window's target rows to the horizon: naive,
seasonal naive, simple exponential smoothing (``ses``), the theta method (``theta``: SES
plus half the window's linear trend, Hyndman and Billah's form of Assimakopoulos and
Nikolopoulos' method), and both of the last on the window with its seasonal profile taken
out and put back (``seasonal_ses``, ``seasonal_theta``). With the smoothing weight fixed,
each is a ``(horizon, lookback)`` matrix: the coding applies it with one ``einsum``, in
numpy at inference and in TensorFlow while training, so predict needs no statistics
library and no fitting per series. Each map's rows sum to one (a flat window forecasts
its own value), so it commutes with the window's level.

The one that is not, ``smoothing``, is the exponential smoothing forecast of the series'
whole history (``features/smoothing.py``, one model per series fit on its train part),
made after each row and carried to the window in columns of its own
(``Served.forecast_columns``): on a short series, where the network learns little beyond
what it corrects, it then ends at a forecast of the whole history rather than at a naive
one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import get_args

import numpy as np

from ..config import Config
from ..config.schema import Baseline
from ..data.share import ALONE, Workers, pooled, pooled_sum
from ..data.split import SplitBounds
from ..errors import DataError

BASELINES: tuple[Baseline, ...] = get_args(Baseline)
SMOOTHED: tuple[Baseline, ...] = ("ses", "theta", "seasonal_ses", "seasonal_theta")
# What ``model.baseline: auto`` chooses among (seasonal naive when the season fits). The
# smoothed baselines are not among them: the accuracy benchmark measured them no better
# as what the network corrects (benchmarks/README.md), though alone they often are.
AUTO: tuple[Baseline, ...] = ("naive", "seasonal_naive")
# The smoothing weights tried for each smoothed baseline (fit on the training windows).
SMOOTHING_GRID = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)
# At most this many windows (evenly spaced over the origins) fit and choose a baseline:
# plenty for one to three numbers, and bounded in memory for any number of series.
CHOICE_WINDOWS = 20_000


def is_seasonal(baseline: Baseline) -> bool:
    """Whether the baseline repeats the season (so a window is best seen season by season)."""
    return baseline in ("seasonal_naive", "seasonal_ses", "seasonal_theta")


def seasons_needed(baseline: Baseline) -> int:
    """How many whole seasons the lookback must hold for ``baseline`` (0: none)."""
    if baseline == "seasonal_naive":
        return 1
    return 2 if is_seasonal(baseline) else 0


def words(baseline: Baseline) -> str:
    """The baseline's name in words: ``seasonal exponential smoothing``."""
    if baseline == "smoothing":
        return "whole-history exponential smoothing"
    return baseline.replace("_", " ").replace("ses", "exponential smoothing")


def describe(baseline: Baseline, alpha: float | None) -> str:
    """What the network corrects, in words for the log."""
    weight = "" if alpha is None else f", smoothing weight {alpha:g}"
    return f"the {words(baseline)} forecast (model.baseline{weight})"


def baseline_rows(
    baseline: Baseline, alpha: float | None, lookback: int, horizon: int, season: int
) -> np.ndarray:
    """``(horizon, lookback)``: each forecast step as weights over the window's rows
    (zeros for ``none``). The map is linear, so forecasting the identity's rows gives it."""
    if baseline in ("none", "smoothing"):  # the smoothing forecast comes in its own columns
        return np.zeros((horizon, lookback))
    forecast = _forecaster(baseline, alpha, horizon, season)
    return forecast(np.eye(lookback)).T


def _forecaster(
    baseline: Baseline, alpha: float | None, horizon: int, season: int
) -> Callable[[np.ndarray], np.ndarray]:
    """The baseline as a function from windows ``(n, lookback)`` to ``(n, horizon)``."""
    steps = np.arange(horizon)
    if baseline == "naive":
        return lambda w: np.repeat(w[:, -1:], horizon, axis=1)
    if baseline == "seasonal_naive":
        return lambda w: w[:, w.shape[1] - season + steps % season]
    if alpha is None:
        raise ValueError(f"baseline {baseline} needs a smoothing weight")
    drift = baseline in ("theta", "seasonal_theta")

    def smoothed(w: np.ndarray) -> np.ndarray:
        return _smoothed(w, alpha, horizon, drift)

    if not is_seasonal(baseline):
        return smoothed
    return lambda w: _deseasonalised(w, smoothed, season, horizon)


def _smoothed(windows: np.ndarray, alpha: float, horizon: int, drift: bool) -> np.ndarray:
    """The window's exponentially weighted mean (row ``k`` from the end weighs
    ``(1 - alpha) ** k``), held flat: SES whose start weighs nothing beyond the window, so
    a small weight gives the window's mean, not its first row. With ``drift``, plus half
    the window's least-squares slope as the theta method extrapolates it."""
    weights = (1 - alpha) ** np.arange(windows.shape[1])[::-1]
    level = windows @ (weights / weights.sum())
    forecasts = np.repeat(level[:, None], horizon, axis=1)
    if not drift:
        return forecasts
    n = windows.shape[1]
    time = np.arange(n) - (n - 1) / 2
    slope = windows @ time / max(float(time @ time), 1e-12)
    reach = np.arange(horizon) + (1 - (1 - alpha) ** n) / alpha
    return forecasts + slope[:, None] / 2 * reach


def _deseasonalised(
    windows: np.ndarray,
    forecast: Callable[[np.ndarray], np.ndarray],
    season: int,
    horizon: int,
) -> np.ndarray:
    """``forecast`` of the window's whole seasons with their mean seasonal profile taken
    out, the profile put back over the horizon (older rows beyond whole seasons unused)."""
    length = windows.shape[1] // season * season
    recent = windows[:, windows.shape[1] - length :]
    by_phase = recent.reshape(len(windows), length // season, season)
    profile = by_phase.mean(axis=1) - recent.mean(axis=1, keepdims=True)
    adjusted = recent - np.tile(profile, length // season)
    return forecast(adjusted) + profile[:, np.arange(horizon) % season]


def choose_baseline(
    windows: np.ndarray, candidates: Sequence[Baseline], lookback: int, season: int
) -> tuple[Baseline, float | None]:
    """Of ``candidates``, the baseline with the lowest mean absolute error on the training
    ``windows`` ``(n, lookback + horizon)`` (one target each, scaled, complete), each
    smoothed one at its best weight of ``SMOOTHING_GRID``; a tie goes to the earlier."""
    best: tuple[float, Baseline, float | None] | None = None
    for baseline in candidates:
        alphas: Sequence[float | None] = SMOOTHING_GRID if baseline in SMOOTHED else (None,)
        for alpha in alphas:
            error = float(_errors(windows, baseline, alpha, lookback, season).mean())
            if best is None or error < best[0]:
                best = (error, baseline, alpha)
    if best is None:
        raise ValueError("choose_baseline needs at least one candidate")
    return best[1], best[2]


def _errors(
    windows: np.ndarray, baseline: Baseline, alpha: float | None, lookback: int, season: int
) -> np.ndarray:
    """``(n,)``: each window's mean absolute error of ``baseline`` over the horizon."""
    horizon = windows.shape[1] - lookback
    rows = baseline_rows(baseline, alpha, lookback, horizon, season)
    return np.abs(windows[:, lookback:] - windows[:, :lookback] @ rows.T).mean(axis=1)


def choice_windows(
    parts: Sequence[tuple[np.ndarray, int, int]],
    lookback: int,
    horizon: int,
    workers: Workers = ALONE,
) -> np.ndarray:
    """Complete windows ``(n, lookback + horizon)`` of every target column whose horizons
    start in ``[first, last]`` of their series (``parts``: rows ``(length, n_targets)``,
    first and last origin): every origin, or when there are more than ``CHOICE_WINDOWS``,
    evenly spaced origins about that many; of every worker's series (each series' the
    same as one process would take)."""
    size = lookback + horizon
    origins = int(pooled_sum(workers, sum(max(last - first + 1, 0) for _, first, last in parts)))
    stride = max(-(-origins // CHOICE_WINDOWS), 1)  # every origin, or evenly fewer
    found = [np.zeros((0, size))]
    for rows, first, last in parts:
        starts = np.arange(first, last + 1, stride) - lookback
        if not len(starts):
            continue
        view = np.lib.stride_tricks.sliding_window_view(rows, size, axis=0)  # (n, c, size)
        windows = view[starts].reshape(-1, size)
        found.append(windows[np.isfinite(windows).all(axis=1)])
    return pooled(workers, np.concatenate(found).astype(np.float64))


def baseline_for(
    config: Config,
    bounds: Sequence[SplitBounds],
    scaled: Sequence[np.ndarray],
    n_targets: int,
    season: int,
    workers: Workers = ALONE,
    *,
    auto_only: bool = False,
) -> tuple[Baseline, float | None]:
    """``model.baseline`` and its smoothing weight, fit on the training windows (every
    worker's); ``auto`` chooses there too, among ``AUTO`` (``choose_baseline``).
    ``auto_only``: the choice ``auto`` would make, whatever the config says."""
    lookback, horizon = config.window.lookback, config.window.horizon
    chosen = "auto" if auto_only else config.model.baseline
    if chosen in ("none", "smoothing"):
        return chosen, None
    if chosen == "auto":
        candidates = [
            b for b in AUTO if _fits(b, season, lookback) and (season > 1 or not seasons_needed(b))
        ]
    elif not _fits(chosen, season, lookback):
        raise DataError(
            f"model.baseline: {chosen} needs a lookback of {seasons_needed(chosen)} "
            f"season(s) of {season} rows or more; window.lookback is {lookback}: raise the "
            "lookback, set evaluation.season_length or choose another baseline"
        )
    else:
        candidates = [chosen]
    parts = [
        (rows[:, :n_targets], lookback, b.train_end - horizon)
        for rows, b in zip(scaled, bounds, strict=True)
    ]
    windows = choice_windows(parts, lookback, horizon, workers)
    if len(windows):
        return choose_baseline(windows, candidates, lookback, season)
    if chosen in SMOOTHED:
        raise DataError(
            f"model.baseline: {chosen} is fit on complete training windows and the train "
            "parts hold none; fill the missing values (data.missing) or choose naive"
        )
    return ("naive" if chosen == "auto" else chosen), None


def _fits(baseline: Baseline, season: int, lookback: int) -> bool:
    """Whether the lookback holds the seasons ``baseline`` uses."""
    return lookback >= seasons_needed(baseline) * season
