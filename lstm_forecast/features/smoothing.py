"""Exponential smoothing over a series' whole history (numpy only): the additive-error
state-space models of Hyndman et al. (level; additive or damped trend; additive season),
on the values or on their logs, the model and its smoothing weights chosen by AICc.

A window-based forecast sees only ``lookback`` rows; this one carries a state through
every row before the origin, so it follows a trend or a season the window cannot measure.

With the smoothing weights fixed the model is linear: each one-step error is a linear
function of the initial state, so the initial state that minimises the squared errors is
one least-squares solve (no optimiser, no statistics library). Weights are chosen on a
coarse grid, then a finer one around the best; every candidate runs in the same numpy
pass. Forecasting with a fitted model refits only the initial state, on the history it is
given, so a file that starts later than the training data is forecast the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Literal

import numpy as np

Trend = Literal["none", "additive", "damped"]
TRENDS: tuple[Trend, ...] = ("none", "additive", "damped")
# The grid of smoothing weights: level, trend (at most the level's), season (at most one
# minus the level's) and damping.
ALPHAS = (0.02, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9, 0.99)
BETAS = (0.001, 0.02, 0.1, 0.3)
GAMMAS = (0.001, 0.05, 0.2)
PHIS = (0.9, 0.98)
# The finer grid multiplies the best weights by these factors.
REFINE = (0.6, 1.0, 1.5)
# The fewest finite rows a model is fit on, beyond its own parameter count.
SPARE_ROWS = 4


@dataclass(frozen=True)
class Weights:
    """Smoothing weights of level, trend and season, and the trend's damping."""

    alpha: float
    beta: float = 0.0
    gamma: float = 0.0
    phi: float = 1.0


@dataclass(frozen=True)
class Form:
    """Which components a model has: a trend (``none``, ``additive``, ``damped``), a
    season of ``season`` rows (1: none), on logs or on the values."""

    trend: Trend
    season: int
    log: bool

    @property
    def n_states(self) -> int:
        return 1 + (self.trend != "none") + (self.season if self.season > 1 else 0)

    @property
    def n_weights(self) -> int:
        return 1 + (self.trend != "none") + (self.season > 1) + (self.trend == "damped")


@dataclass(frozen=True)
class Smoothing:
    """A fitted model: its form, weights and AICc on the rows it was fit on."""

    form: Form
    weights: Weights
    aicc: float

    def forecast(self, history: np.ndarray, horizon: int, origins: np.ndarray) -> np.ndarray:
        """``(len(origins), horizon)``: forecasts made at each origin (row of the first
        forecast step) of ``history`` ``(length,)``, the initial state fit on the rows
        before the first origin and carried through every later one (NaN rows skipped)."""
        origins = np.asarray(origins, dtype=int)
        if not len(origins):
            return np.empty((0, horizon))
        values = _transformed(history, self.form.log)
        grid = _grid_of([self.weights])
        first = int(origins.min())
        initial, _ = _initial_states(values[:first], self.form, grid)
        _, kept = _filter(values[None, : int(origins.max())], self.form, grid, initial, keep=True)
        states = kept[0]
        # states[t]: the state after row t - 1 (states[0] the initial one).
        forecasts = _project(states[origins], self.form, self.weights, horizon)
        return np.exp(forecasts) if self.form.log else forecasts

    def after_each_row(self, history: np.ndarray, horizon: int, fit_rows: int) -> np.ndarray:
        """``(length, horizon)``: row ``t`` holds the forecast made after row ``t`` of
        ``history`` ``(length,)`` (from the rows up to it alone), the initial state fit on
        its first ``fit_rows`` rows (NaN rows skipped)."""
        form, weights = self.form, self.weights
        values = _transformed(history, form.log)
        grid = _grid_of([weights])
        initial, _ = _initial_states(values[:fit_rows], form, grid)
        _, kept = _filter(values[None, :], form, grid, initial, keep=True)
        forecasts = _project(kept[0][1:], form, weights, horizon)  # from the state after each row
        return np.exp(np.minimum(forecasts, 700)) if form.log else forecasts


def fit_smoothing(values: np.ndarray, season: int) -> Smoothing | None:
    """The model of lowest AICc on ``values`` ``(length,)`` among every form that fits
    (seasonal ones with at least two whole seasons; logs when every value is positive),
    or None when too few rows are finite for even a level."""
    finite = values[np.isfinite(values)]
    best: Smoothing | None = None
    for form in _forms(finite, season):
        if len(finite) < form.n_states + form.n_weights + SPARE_ROWS:
            continue
        fitted = _fit_form(values, form)
        if best is None or fitted.aicc < best.aicc:
            best = fitted
    return best


def _forms(finite: np.ndarray, season: int) -> list[Form]:
    seasons = [1, season] if season > 1 and len(finite) >= 2 * season else [1]
    logs = [False, True] if len(finite) and bool(np.all(finite > 0)) else [False]
    return [Form(t, s, log) for log, s, t in product(logs, seasons, TRENDS)]


def _fit_form(values: np.ndarray, form: Form) -> Smoothing:
    transformed = _transformed(values, form.log)
    count = int(np.isfinite(transformed).sum())
    candidates = _candidates(form)
    _, sse = _initial_states(transformed, form, _grid_of(candidates))
    finer = _candidates(form, around=candidates[int(np.argmin(sse))])
    _, finer_sse = _initial_states(transformed, form, _grid_of(finer))
    chosen = finer[int(np.argmin(finer_sse))]
    lowest = float(np.min(finer_sse))
    k = form.n_states + form.n_weights + 1  # and the errors' variance
    likelihood = -0.5 * count * np.log(max(lowest, 1e-300) / count)
    if form.log:  # the likelihood of the values, not of their logs
        likelihood -= float(np.nansum(transformed))
    aicc = (
        -2 * likelihood + 2 * k + (2 * k * (k + 1) / (count - k - 1) if count > k + 1 else np.inf)
    )
    return Smoothing(form, chosen, float(aicc))


def _candidates(form: Form, around: Weights | None = None) -> list[Weights]:
    """The grid of weights for ``form`` (finer, ``around`` a chosen one), constrained to
    ``beta <= alpha`` and ``gamma <= 1 - alpha``."""
    trend, seasonal = form.trend != "none", form.season > 1

    def near(value: float, grid: tuple[float, ...]) -> tuple[float, ...]:
        return grid if around is None else tuple(min(value * f, 0.999) for f in REFINE)

    alphas = near(around.alpha if around else 0.0, ALPHAS)
    betas = near(around.beta if around else 0.0, BETAS) if trend else (0.0,)
    gammas = near(around.gamma if around else 0.0, GAMMAS) if seasonal else (0.0,)
    if form.trend != "damped":
        phis: tuple[float, ...] = (1.0,)
    elif around is None:
        phis = PHIS
    else:
        phis = tuple(sorted({min(max(around.phi + d, 0.8), 0.99) for d in (-0.03, 0.0, 0.01)}))
    return [
        Weights(a, b, g, p)
        for a, b, g, p in product(alphas, betas, gammas, phis)
        if b <= a and g <= 1 - a
    ]


def _grid_of(candidates: list[Weights]) -> np.ndarray:
    return np.array([[w.alpha, w.beta, w.gamma, w.phi] for w in candidates])


def _transformed(values: np.ndarray, log: bool) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if not log:
        return values
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, np.log(np.where(values > 0, values, 1.0)), np.nan)


def _initial_states(
    values: np.ndarray, form: Form, grid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(n_candidates, n_states)``: the initial state minimising each candidate's squared
    one-step errors over ``values``, and that sum. The errors are linear in the initial
    state: the errors from a zero state plus, for each state, the errors of a unit state
    with no data; one filter pass runs all of them, one batched solve finds the state."""
    k, n_grid = form.n_states, len(grid)
    finite = np.isfinite(values)
    silent = np.where(finite, 0.0, np.nan)
    inputs = np.tile(np.vstack([values, np.broadcast_to(silent, (k, len(values)))]), (n_grid, 1))
    starts = np.tile(np.vstack([np.zeros(k), np.eye(k)]), (n_grid, 1))
    errors, _ = _filter(inputs, form, np.repeat(grid, k + 1, axis=0), starts)
    errors = errors[:, finite].reshape(n_grid, k + 1, -1)
    base, units = errors[:, 0], errors[:, 1:]  # (G, n), (G, k, n)
    gram = np.einsum("gkn,gln->gkl", units, units)
    # Level and season are collinear (a constant moves between them): a ridge this small
    # picks one of the equal fits without changing the errors.
    ridge = 1e-9 * (np.trace(gram, axis1=1, axis2=2) + 1e-12)[:, None, None] * np.eye(k)
    pull = np.einsum("gkn,gn->gk", units, base)[..., None]
    initial = -np.linalg.solve(gram + ridge, pull)[..., 0]
    residuals = base + np.einsum("gk,gkn->gn", initial, units)
    return initial, (residuals**2).sum(axis=1)


def _filter(
    inputs: np.ndarray, form: Form, grid: np.ndarray, initial: np.ndarray, keep: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Run each system (``grid`` rows: alpha, beta, gamma, phi; ``inputs`` rows: its
    values ``(S, T)``) from its ``initial`` state: one-step errors ``(S, T)`` (NaN where a
    value is missing: no update) and, with ``keep``, the states ``(S, T + 1, n_states)``
    before each row and after the last (without: ``(S, 0, n_states)``). State layout:
    level, trend (if any), then the season's rows, the one due next first."""
    alpha, beta, gamma, phi = (grid[:, i] for i in range(4))
    has_trend, seasonal = form.trend != "none", form.season > 1
    state = np.array(initial, dtype=np.float64)
    errors = np.empty(inputs.shape)
    states = np.empty((len(grid), inputs.shape[1] + 1 if keep else 0, state.shape[1]))
    first_season = 1 + has_trend
    for t in range(inputs.shape[1]):
        if keep:
            states[:, t] = state
        level = state[:, 0]
        trend = phi * state[:, 1] if has_trend else 0.0
        due = state[:, first_season] if seasonal else 0.0
        error = inputs[:, t] - (level + trend + due)
        errors[:, t] = error
        step = np.where(np.isnan(error), 0.0, error)
        state = state.copy()
        state[:, 0] = level + trend + alpha * step
        if has_trend:
            state[:, 1] = trend + beta * step
        if seasonal:
            seasons = state[:, first_season:]
            state[:, first_season:] = np.roll(seasons, -1, axis=1)
            state[:, -1] = due + gamma * step
    if keep:
        states[:, inputs.shape[1]] = state
    return errors, states


def _project(states: np.ndarray, form: Form, weights: Weights, horizon: int) -> np.ndarray:
    """``(n, horizon)``: the forecast from each of ``states`` ``(n, n_states)`` (each the
    state after a row) for the rows that follow it."""
    steps = np.arange(1, horizon + 1)
    forecasts = np.repeat(states[:, :1], horizon, axis=1)
    if form.trend != "none":
        reach = np.cumsum(weights.phi**steps)  # steps themselves when undamped
        forecasts = forecasts + reach[None, :] * states[:, 1:2]
    if form.season > 1:
        seasons = states[:, 1 + (form.trend != "none") :]
        forecasts = forecasts + seasons[:, (steps - 1) % form.season]
    return forecasts
