from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_forecast.encoding import WindowCoding


def coding(norm: str = "last", baseline: str = "seasonal_naive", **kw: int) -> WindowCoding:
    sizes = {"season_length": 4, "lookback": 8, "horizon": 6, "n_targets": 1, "n_levelled": 2}
    sizes.update(kw)
    return WindowCoding(norm, baseline, **sizes)  # type: ignore[arg-type]


def window() -> np.ndarray:
    # one window: target 0..7, feature 100..107, a calendar column of 5s
    return np.column_stack([np.arange(8.0), 100 + np.arange(8.0), np.full(8, 5.0)])[None]


def test_last_value_normalisation_and_seasonal_baseline_by_hand() -> None:
    inputs, offset = coding().encode(window())
    assert inputs[0, :, 0].tolist() == [-7, -6, -5, -4, -3, -2, -1, 0]
    assert inputs[0, :, 1].tolist() == [-7, -6, -5, -4, -3, -2, -1, 0]
    assert inputs[0, :, 2].tolist() == [5] * 8  # calendar columns are not levelled
    # seasonal naive of the next 6 steps repeats rows 4,5,6,7,4,5 of the window
    assert offset[0, :, 0].tolist() == [4, 5, 6, 7, 4, 5]


def test_mean_normalisation_and_naive_baseline() -> None:
    inputs, offset = coding("mean", "naive").encode(window())
    assert inputs[0, :, 0].tolist() == pytest.approx(np.arange(8.0) - 3.5)
    assert offset[0, :, 0].tolist() == [7] * 6  # level 3.5 + last value 3.5


def test_no_coding_is_the_identity() -> None:
    inputs, offset = coding("none", "none").encode(window())
    np.testing.assert_array_equal(inputs, window())
    assert (offset == 0).all()


def test_lookback_shorter_than_the_season_is_refused() -> None:
    with pytest.raises(ValueError, match="shorter than the season"):
        coding(lookback=3)


@settings(max_examples=50, deadline=None)
@given(
    norm=st.sampled_from(["none", "last", "mean"]),
    baseline=st.sampled_from(["none", "naive", "seasonal_naive"]),
    seed=st.integers(0, 1000),
)
def test_decode_inverts_the_training_target(norm: str, baseline: str, seed: int) -> None:
    """A network that outputs exactly its training target forecasts the true values."""
    rng = np.random.default_rng(seed)
    windows = rng.normal(size=(5, 8, 3)).astype(np.float32)
    targets = rng.normal(size=(5, 6, 1)).astype(np.float32)
    code = coding(norm, baseline)
    _, offset = code.encode(windows)
    np.testing.assert_allclose(code.decode(targets - offset, offset), targets, atol=1e-5)
    quantiles = np.repeat((targets - offset)[..., None], 3, axis=3)
    assert code.decode(quantiles, offset).shape == (5, 6, 1, 3)


def test_auto_baseline_picks_seasonal_naive_for_a_seasonal_series() -> None:
    from lstm_forecast.encoding import choose_baseline

    t = np.arange(120.0)
    seasonal = (10 * np.sin(2 * np.pi * t / 12))[:, None]
    assert choose_baseline([seasonal], 24, 6, 12) == "seasonal_naive"


def test_auto_baseline_picks_naive_for_a_random_walk() -> None:
    from lstm_forecast.encoding import choose_baseline

    walk = np.cumsum(np.random.default_rng(1).normal(size=(200, 1)), axis=0)
    assert choose_baseline([walk], 24, 6, 12) == "naive"
    # without a usable season there is nothing to choose
    assert choose_baseline([walk], 6, 6, 12) == "naive"
    assert choose_baseline([walk], 24, 6, 1) == "naive"


def test_calibration_stretches_intervals_until_they_cover_held_out_windows() -> None:
    rng = np.random.default_rng(3)
    code = WindowCoding("none", "none", 1, 8, 6, 1, 1, quantile_levels=(0.1, 0.5, 0.9))
    # the spread grows with the step, and the network's bands do too, but too narrow
    spread = np.linspace(1.0, 3.0, 6)[None, :, None]
    targets = rng.normal(size=(400, 6, 1)) * spread
    too_narrow = np.stack([q * spread * np.ones_like(targets) for q in (-0.3, 0.0, 0.3)], -1)
    covered = np.mean((targets >= too_narrow[..., 0]) & (targets <= too_narrow[..., -1]))
    assert covered < 0.3
    calibrated = code.calibrate(too_narrow, targets)
    assert calibrated.interval_stretch is not None and calibrated.interval_stretch.shape == (1,)
    stretched = calibrated.decode(too_narrow, np.zeros((400, 6, 1)))
    inside = (targets >= stretched[..., 0]) & (targets <= stretched[..., -1])
    assert 0.79 <= inside.mean() <= 0.82
    assert (inside.mean(axis=0) > 0.7).all()  # every step, not just on average
    np.testing.assert_array_equal(stretched[..., 1], too_narrow[..., 1])  # the median stays


def test_calibration_never_narrows() -> None:
    # Held-out windows are few and chose the early-stopping epoch: they may flatter.
    rng = np.random.default_rng(4)
    code = WindowCoding("none", "none", 1, 8, 2, 1, 1, quantile_levels=(0.1, 0.5, 0.9))
    targets = rng.normal(size=(300, 2, 1)) * 0.01
    too_wide = np.stack([np.full_like(targets, q) for q in (-5.0, 0.0, 5.0)], axis=-1)
    calibrated = code.calibrate(too_wide, targets)
    assert calibrated.interval_stretch is not None
    np.testing.assert_array_equal(calibrated.interval_stretch, [1.0])
    np.testing.assert_array_equal(calibrated.decode(too_wide, np.zeros((300, 2, 1))), too_wide)


def test_quantiles_without_a_median_are_refused() -> None:
    with pytest.raises(ValueError, match=r"must include 0\.5"):
        WindowCoding("none", "none", 1, 8, 2, 1, 1, quantile_levels=(0.1, 0.9))
