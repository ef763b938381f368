"""The whole-history smoothing forecast (features/smoothing.py) and what a bundle serves
(features/served.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_forecast.features.forecasts import Forecasts
from lstm_forecast.features.served import Served
from lstm_forecast.features.smoothing import fit_smoothing


def _seasonal(length: int, season: int = 12, slope: float = 0.5) -> np.ndarray:
    t = np.arange(length)
    return 100 + slope * t + 10 * np.sin(2 * np.pi * t / season)


def test_a_clean_trend_and_season_are_forecast_almost_exactly() -> None:
    values = _seasonal(120)
    model = fit_smoothing(values[:96], 12)
    assert model is not None
    assert model.form.season == 12 and model.form.trend != "none"
    forecasts = model.forecast(values, 12, np.array([96, 108]))
    assert np.abs(forecasts - values[np.array([96, 108])[:, None] + np.arange(12)]).max() < 0.5


def test_the_history_beyond_a_window_carries_the_trend() -> None:
    """Growth over the whole history, which a window measured from its own mean misses."""
    values = np.exp(0.03 * np.arange(80)) * (1 + 0.1 * np.tile([1, -1, 0.5, -0.5], 20))
    model = fit_smoothing(values[:72], 4)
    assert model is not None and model.form.log
    forecast = model.forecast(values, 8, np.array([72]))[0]
    assert np.abs(forecast / values[72:] - 1).max() < 0.05


@settings(max_examples=25, deadline=None)
@given(
    level=st.floats(-1e4, 1e4, allow_nan=False),
    length=st.integers(12, 60),
    season=st.sampled_from([1, 4, 12]),
)
def test_a_constant_series_forecasts_itself(level: float, length: int, season: int) -> None:
    values = np.full(length, level)
    model = fit_smoothing(values, season)
    assert model is not None
    forecast = model.forecast(values, 5, np.array([length]))
    np.testing.assert_allclose(forecast, level, rtol=1e-6, atol=1e-6)


def test_missing_rows_are_skipped_not_fatal() -> None:
    values = _seasonal(100)
    holed = values.copy()
    holed[[10, 11, 50]] = np.nan
    model = fit_smoothing(holed[:88], 12)
    assert model is not None
    forecast = model.forecast(holed, 12, np.array([88]))[0]
    assert np.isfinite(forecast).all()
    assert np.abs(forecast - values[88:]).max() < 1.0


def test_too_few_rows_fit_no_model() -> None:
    assert fit_smoothing(np.array([1.0, 2.0, np.nan]), 1) is None


def test_forecasts_at_later_origins_use_only_rows_before_them() -> None:
    values = _seasonal(100)
    model = fit_smoothing(values[:60], 12)
    assert model is not None
    poisoned = values.copy()
    poisoned[80:] = 1e9
    at_80 = model.forecast(values, 6, np.array([60, 80]))
    np.testing.assert_allclose(model.forecast(poisoned, 6, np.array([60, 80])), at_80)


def _network(point: np.ndarray, spread: float) -> Forecasts:
    """A network's forecasts ``(n, horizon, 1)`` with a band of +- ``spread``."""
    values = np.stack([point - spread, point, point + spread], axis=-1)[:, :, None, :]
    return Forecasts(values, (0.1, 0.5, 0.9))


def test_served_smoothing_moves_the_band_with_the_point() -> None:
    values = _seasonal(100)
    model = fit_smoothing(values[:80], 12)
    assert model is not None
    origins = np.array([80, 86])
    network = _network(np.zeros((2, 6)), 3.0)
    served = Served("smoothing", {None: (model,)}, 12).apply(
        network, [(None, values[:, None])], [origins]
    )
    expected = model.forecast(values, 6, origins)
    np.testing.assert_allclose(served.point[..., 0], expected)
    np.testing.assert_allclose(served.upper[..., 0] - served.lower[..., 0], 6.0)
    mean = Served("mean", {None: (model,)}, 12).apply(network, [(None, values[:, None])], [origins])
    np.testing.assert_allclose(mean.point[..., 0], expected / 2)


def test_served_network_is_the_network_and_the_record_round_trips() -> None:
    values = _seasonal(100)
    model = fit_smoothing(values[:80], 12)
    network = _network(np.ones((1, 6)), 1.0)
    alone = Served("network", {None: (model,)}, 12)
    assert alone.apply(network, [(None, values[:, None])], [np.array([80])]) is network
    served = Served("mean", {"a": (model, None)}, 12)
    assert Served.from_json(served.to_json()) == served


def test_a_series_unseen_at_training_gets_its_own_model() -> None:
    values = _seasonal(100)
    network = _network(np.zeros((1, 6)), 1.0)
    served = Served("smoothing", {}, 12).apply(
        network, [("new", values[:, None])], [np.array([90])]
    )
    assert np.abs(served.point[0, :, 0] - values[90:96]).max() < 0.5
