"""The statistical baselines the network corrects: linear maps of the window, fit and
chosen on the data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_forecast.config import load_config
from lstm_forecast.data import load_dataset
from lstm_forecast.errors import DataError
from lstm_forecast.features import Preprocessing
from lstm_forecast.features.baselines import (
    AUTO,
    BASELINES,
    baseline_rows,
    choice_windows,
    choose_baseline,
    describe,
    seasons_needed,
)

from .helpers import write_config, write_csv

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@settings(max_examples=60, deadline=None)
@given(
    baseline=st.sampled_from([b for b in BASELINES if b not in ("none", "smoothing")]),
    season=st.integers(1, 6),
    seasons=st.integers(2, 4),
    horizon=st.integers(1, 9),
    alpha=st.sampled_from([0.05, 0.3, 0.9, 1.0]),
)
def test_every_baseline_forecasts_a_flat_window_flat(
    baseline: str, season: int, seasons: int, horizon: int, alpha: float
) -> None:
    # Rows summing to one: the map commutes with the window's level (the coding relies on it).
    rows = baseline_rows(baseline, alpha, season * seasons, horizon, season)  # type: ignore[arg-type]
    assert rows.shape == (horizon, season * seasons)
    np.testing.assert_allclose(rows.sum(axis=1), 1.0, atol=1e-9)


def test_ses_and_theta_by_hand() -> None:
    window = np.array([[0.0, 2.0]])
    ses = window @ baseline_rows("ses", 0.5, 2, 2, 1).T
    # The last row weighs 1, the one before 1 - 0.5, normalised: level 2 * 2/3, held flat.
    np.testing.assert_allclose(ses, [[4 / 3, 4 / 3]])
    # Theta adds half the slope (2) times h - 1 + (1 - (1 - a)^n) / a = 1.5, 2.5.
    theta = window @ baseline_rows("theta", 0.5, 2, 2, 1).T
    np.testing.assert_allclose(theta, [[4 / 3 + 1.5, 4 / 3 + 2.5]])


def test_seasonal_smoothing_repeats_a_pure_season_at_its_level() -> None:
    profile = np.array([3.0, -1.0, 0.0, -2.0])
    window = (10 + np.tile(profile, 3))[None]
    for baseline in ("seasonal_ses", "seasonal_theta"):
        forecast = window @ baseline_rows(baseline, 0.2, 12, 6, 4).T  # type: ignore[arg-type]
        np.testing.assert_allclose(forecast[0], 10 + profile[[0, 1, 2, 3, 0, 1]])


def windows_of(values: np.ndarray, lookback: int, horizon: int) -> np.ndarray:
    return choice_windows([(values[:, None], lookback, len(values) - horizon)], lookback, horizon)


def test_auto_gets_seasonal_naive_for_a_seasonal_series_and_naive_for_a_walk() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(240.0)
    seasonal = 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, 240)
    walk = np.cumsum(rng.normal(size=240))
    for values, wanted in ((seasonal, "seasonal_naive"), (walk, "naive")):
        assert choose_baseline(windows_of(values, 24, 6), AUTO, 24, 12) == (wanted, None)


def test_a_smoothed_baseline_gets_the_weight_that_fits_the_training_windows() -> None:
    rng = np.random.default_rng(2)
    noise = rng.normal(0, 1, 300)  # noise about a level: a long average forecasts it best
    walk = np.cumsum(noise)  # a random walk: the last value does
    assert choose_baseline(windows_of(noise, 12, 3), ["ses"], 12, 1) == ("ses", 0.05)
    assert choose_baseline(windows_of(walk, 12, 3), ["ses"], 12, 1) == ("ses", 0.9)
    assert choose_baseline(windows_of(noise, 12, 3), ["naive", "ses"], 12, 1)[0] == "ses"


def test_choice_windows_skip_incomplete_windows_and_stay_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = np.arange(50.0)
    values[20] = np.nan
    windows = windows_of(values, 5, 2)
    assert np.isfinite(windows).all()
    assert len(windows) == (50 - 7 + 1) - 7  # the 7 windows holding row 20 are left out
    monkeypatch.setattr("lstm_forecast.features.baselines.CHOICE_WINDOWS", 10)
    assert 9 <= len(windows_of(np.arange(500.0), 5, 2)) <= 11


def monthly_config(tmp_path: Path, values: np.ndarray, **model: object) -> Path:
    months = pd.date_range("2000-01", periods=len(values), freq="MS").strftime("%Y-%m")
    csv = write_csv(tmp_path / "sales.csv", pd.DataFrame({"month": months, "sales": values}))
    return write_config(tmp_path, csv, window={"lookback": 12, "horizon": 6}, model=model)


def test_an_explicit_seasonal_baseline_needs_two_seasons_in_the_lookback(tmp_path: Path) -> None:
    values = 100 + np.sin(np.arange(96) / 2)
    config = load_config(monthly_config(tmp_path, values, baseline="seasonal_theta"))
    assert seasons_needed("seasonal_theta") == 2
    with pytest.raises(DataError, match="seasonal_theta needs a lookback of 2 season"):
        Preprocessing.fit_transform(config, load_dataset(config.data))


def test_the_bundle_records_the_smoothing_weight(tmp_path: Path) -> None:
    values = 100 + np.cumsum(np.random.default_rng(3).normal(size=96))
    config = load_config(monthly_config(tmp_path, values, baseline="theta"))
    fitted, _ = Preprocessing.fit_transform(config, load_dataset(config.data))
    assert fitted.coding.baseline == "theta" and fitted.coding.baseline_alpha is not None
    record = fitted.to_json()
    assert record["baseline_alpha"] == fitted.coding.baseline_alpha
    assert Preprocessing.from_json(record).coding == fitted.coding
    with pytest.raises(ValueError, match="baseline_alpha"):
        Preprocessing.from_json({**record, "baseline_alpha": 1.5})


def test_the_log_names_the_baseline_and_its_weight() -> None:
    assert describe("seasonal_naive", None) == "the seasonal naive forecast (model.baseline)"
    assert describe("ses", 0.3) == (
        "the exponential smoothing forecast (model.baseline, smoothing weight 0.3)"
    )
