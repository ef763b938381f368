from __future__ import annotations

import numpy as np
import pytest

from lstm_forecast.data.timeindex import season_length_for
from lstm_forecast.scoring.metrics import (
    mase_scale,
    naive_forecasts,
    score,
    seasonal_naive_forecasts,
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
