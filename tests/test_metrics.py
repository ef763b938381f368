from __future__ import annotations

import numpy as np
import pytest

from lstm_forecast.data.timeindex import season_length_for
from lstm_forecast.scoring.metrics import (
    interval_scores,
    mase_scale,
    msis,
    naive_forecasts,
    score,
    seasonal_naive_band,
    seasonal_naive_forecasts,
    weighted_quantile_loss,
)


@pytest.mark.parametrize(
    ("freq", "m"),
    [
        ("MS", 12),
        ("ME", 12),
        ("QS-JAN", 4),
        ("QE-DEC", 4),
        ("D", 7),
        ("h", 24),
        ("30min", 48),
        ("W-SUN", 52),
        ("YS-JAN", 1),
        ("2D", 1),
        ("min", 1),
    ],
)
def test_season_length_from_frequency(freq: str, m: int) -> None:
    assert season_length_for(freq) == m


def test_naive_repeats_the_last_value() -> None:
    values = np.arange(10.0)[:, None]
    assert naive_forecasts(values, np.array([5]), 3, 1)[0, :, 0].tolist() == [4, 4, 4]


def test_seasonal_naive_takes_the_same_step_a_season_earlier() -> None:
    values = np.arange(20.0)[:, None]
    forecast = seasonal_naive_forecasts(values, np.array([10]), 6, 1, 4)
    # steps 10..15 copy 6,7,8,9 then (past one season) 6,7 again
    assert forecast[0, :, 0].tolist() == [6, 7, 8, 9, 6, 7]


def test_scores_by_hand() -> None:
    actual = np.array([[[1.0], [3.0]]])
    forecast = np.array([[[2.0], [1.0]]])
    result = score(actual, forecast, np.array([2.0]))
    assert result["mae"][0] == pytest.approx(1.5)
    assert result["rmse"][0] == pytest.approx(np.sqrt((1 + 4) / 2))
    assert result["smape"][0] == pytest.approx(100 * (2 / 3 + 4 / 4) / 2)
    assert result["mase"][0] == pytest.approx(0.75)


def test_smape_of_zero_against_zero_is_zero() -> None:
    zeros = np.zeros((1, 2, 1))
    assert score(zeros, zeros, np.array([1.0]))["smape"][0] == 0.0


def test_mase_scale_is_in_sample_seasonal_naive_mae() -> None:
    train = np.array([1.0, 2.0, 4.0, 7.0])[:, None]
    assert mase_scale(train, 1)[0] == pytest.approx((1 + 2 + 3) / 3)
    assert mase_scale(train, 2)[0] == pytest.approx((3 + 5) / 2)


def test_mase_undefined_for_constant_or_short_train_part() -> None:
    assert np.isnan(mase_scale(np.ones((10, 1)), 1)[0])
    assert np.isnan(mase_scale(np.arange(3.0)[:, None], 12)[0])
    assert np.isnan(score(np.ones((1, 1, 1)), np.ones((1, 1, 1)), np.array([np.nan]))["mase"][0])


LEVELS = (0.1, 0.5, 0.9)
# One origin, two steps, one target: inside the band, then 2 above it.
ACTUAL = np.array([10.0, 20.0]).reshape(1, 2, 1)
BANDS = np.array([[8.0, 10.0, 12.0], [12.0, 15.0, 18.0]]).reshape(1, 2, 1, 3)


def test_msis_by_hand() -> None:
    """Widths 4 and 6; the second actual 2 above: 6 + 2 / 0.2 x 2 = 26. Mean 15, over a
    scale of 2."""
    lower, upper = BANDS[..., 0], BANDS[..., -1]
    np.testing.assert_allclose(msis(ACTUAL, lower, upper, 0.2, np.array([2.0])), [7.5])


def test_crps_as_weighted_quantile_loss_by_hand() -> None:
    """Pinball sums per level: 0.1: 0.2 + 0.8; 0.5: 0 + 2.5; 0.9: 0.2 + 1.8. Twice each
    over the 30 of the absolute actuals, averaged: (2 + 5 + 4) / 30 / 3."""
    np.testing.assert_allclose(weighted_quantile_loss(ACTUAL, BANDS, LEVELS), [11 / 90])
    scores = interval_scores(ACTUAL, BANDS, LEVELS, np.array([2.0]))
    assert scores["coverage"][0] == 0.5 and scores["msis"][0] == pytest.approx(7.5)
    perfect = np.repeat(ACTUAL[..., None], 3, axis=3)
    np.testing.assert_array_equal(weighted_quantile_loss(ACTUAL, perfect, LEVELS), [0.0])


def test_seasonal_naive_band_by_hand() -> None:
    """Season 2, train part [1, 2, 3, 5, 4, 8]: errors 2, 3, 1, 3 at lag 2 (median 2.5)
    and 3, 6 at lag 4 (median 4.5). From row 6, steps 1-2 repeat rows 4-5 (4, 8) and
    step 3 row 4 again, two seasons back."""
    values = np.array([1, 2, 3, 5, 4, 8, 6, 9, 7, 10], dtype=float)[:, None]
    band = seasonal_naive_band(values, 6, np.array([6]), 3, 1, 2, (0.5,))
    np.testing.assert_allclose(band[0, :, 0, 0], [6.5, 10.5, 8.5])
    short = seasonal_naive_band(values, 4, np.array([6]), 3, 1, 2, (0.5,))
    assert np.isnan(short[0, 2, 0, 0])  # a train part of 4 rows has no lag-4 error
