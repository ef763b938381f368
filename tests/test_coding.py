"""``features.coding``: windows encoded for the network and its outputs decoded back, the
same for numpy and TensorFlow; interval calibration."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_forecast.features.coding import SMALLEST_SCALE, WindowCoding


def coding(norm: str = "last", baseline: str = "seasonal_naive", **kw: object) -> WindowCoding:
    sizes: dict[str, object] = {
        "season_length": 4,
        "lookback": 8,
        "horizon": 6,
        "n_targets": 1,
        "n_levelled": 2,
    }
    sizes.update(kw)
    return WindowCoding(norm, baseline, **sizes)  # type: ignore[arg-type]


def window() -> np.ndarray:
    # one window: target 0..7, feature 100..107, a calendar column of 5s
    return np.column_stack([np.arange(8.0), 100 + np.arange(8.0), np.full(8, 5.0)])[None]


def test_last_value_normalisation_and_seasonal_baseline_by_hand() -> None:
    inputs, offset, scale = coding().encode(window())
    assert scale.tolist() == [[[1.0]]]  # window_scale: none
    assert inputs[0, :, 0].tolist() == [-7, -6, -5, -4, -3, -2, -1, 0]
    assert inputs[0, :, 1].tolist() == [-7, -6, -5, -4, -3, -2, -1, 0]
    assert inputs[0, :, 2].tolist() == [5] * 8  # calendar columns are not levelled
    # seasonal naive of the next 6 steps repeats rows 4,5,6,7,4,5 of the window
    assert offset[0, :, 0].tolist() == [4, 5, 6, 7, 4, 5]


def test_mean_normalisation_and_naive_baseline() -> None:
    inputs, offset, _ = coding("mean", "naive").encode(window())
    assert inputs[0, :, 0].tolist() == pytest.approx(np.arange(8.0) - 3.5)
    assert offset[0, :, 0].tolist() == [7] * 6  # level 3.5 + last value 3.5


def test_no_coding_is_the_identity() -> None:
    inputs, offset, _ = coding("none", "none").encode(window())
    np.testing.assert_array_equal(inputs, window())
    assert (offset == 0).all()


def test_lookback_shorter_than_the_season_is_refused() -> None:
    with pytest.raises(ValueError, match="shorter than the 1 season"):
        coding(lookback=3)


def test_window_scale_divides_the_targets_by_their_spread_over_the_typical() -> None:
    # The target 0..7 has standard deviation sqrt(5.25); the typical window's is half that.
    code = coding("last", "naive", window_scale="std", typical_spread=np.sqrt(5.25) / 2)
    inputs, offset, scale = code.encode(window())
    assert scale[0, 0, 0] == pytest.approx(2.0)
    assert inputs[0, :, 0].tolist() == pytest.approx((np.arange(8.0) - 7) / 2)
    assert inputs[0, :, 1].tolist() == [-7, -6, -5, -4, -3, -2, -1, 0]  # features keep units
    assert inputs[0, :, 2].tolist() == [5] * 8
    assert offset[0, :, 0].tolist() == [7] * 6  # level and baseline are not scaled
    assert code.decode(np.ones((1, 6, 1)), offset, scale)[0, :, 0].tolist() == [9] * 6


def test_a_flat_window_is_not_blown_up() -> None:
    flat = np.column_stack([np.full(8, 3.0), np.arange(8.0), np.zeros(8)])[None]
    _, _, scale = coding(window_scale="std").encode(flat)
    assert scale[0, 0, 0] == SMALLEST_SCALE


@settings(max_examples=50, deadline=None)
@given(
    norm=st.sampled_from(["none", "last", "mean"]),
    baseline=st.sampled_from(["none", "naive", "seasonal_naive"]),
    window_scale=st.sampled_from(["none", "std"]),
    seed=st.integers(0, 1000),
)
def test_decode_inverts_the_training_target(
    norm: str, baseline: str, window_scale: str, seed: int
) -> None:
    """A network that outputs exactly its training target forecasts the true values."""
    rng = np.random.default_rng(seed)
    windows = rng.normal(size=(5, 8, 3)).astype(np.float32)
    targets = rng.normal(size=(5, 6, 1)).astype(np.float32)
    code = coding(norm, baseline, window_scale=window_scale, typical_spread=0.7)
    _, offset, scale = code.encode(windows)
    learned = code.targets(targets, offset, scale)
    np.testing.assert_allclose(code.decode(learned, offset, scale), targets, atol=1e-5)
    quantiles = np.repeat(learned[..., None], 3, axis=3)
    assert code.decode(quantiles, offset, scale).shape == (5, 6, 1, 3)


@settings(max_examples=50, deadline=None)
@given(factor=st.floats(2.0, 50.0), seed=st.integers(0, 1000))
def test_a_taller_window_looks_the_same_to_the_network(factor: float, seed: int) -> None:
    """With window_scale, a window stretched about its level gives the network the same
    inputs, and the forecast stretches with it."""
    rng = np.random.default_rng(seed)
    window = rng.normal(size=(1, 8, 1)) + 3
    tall = 3 + factor * (window - 3)
    code = coding("last", "naive", n_levelled=1, window_scale="std", typical_spread=0.5)
    inputs, offset, scale = code.encode(window)
    tall_inputs, tall_offset, tall_scale = code.encode(tall)
    np.testing.assert_allclose(tall_inputs, inputs, atol=1e-9)
    outputs = rng.normal(size=(1, 6, 1))
    np.testing.assert_allclose(
        code.decode(outputs, tall_offset, tall_scale) - 3,
        factor * (code.decode(outputs, offset, scale) - 3),
        rtol=1e-9,
    )


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
    stretched = calibrated.decode(too_narrow, np.zeros((400, 6, 1)), np.ones((400, 1, 1)))
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
    np.testing.assert_array_equal(
        calibrated.decode(too_wide, np.zeros((300, 2, 1)), np.ones((300, 1, 1))), too_wide
    )


def test_quantiles_without_a_median_are_refused() -> None:
    with pytest.raises(ValueError, match=r"must include 0\.5"):
        WindowCoding("none", "none", 1, 8, 2, 1, 1, quantile_levels=(0.1, 0.9))


@settings(max_examples=50, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 40), min_size=1, max_size=3),
    n_targets=st.integers(1, 2),
    seed=st.integers(0, 1000),
)
def test_typical_spread_is_the_median_window_standard_deviation(
    lengths: list[int], n_targets: int, seed: int
) -> None:
    from lstm_forecast.features.coding import typical_spread

    rng = np.random.default_rng(seed)
    parts = [rng.normal(size=(n, n_targets)) * rng.uniform(0.5, 3) for n in lengths]
    if len(parts[0]) > 10:
        parts[0][5] = np.nan  # missing: drop leaves NaN rows; their windows do not count
    parts.append(np.zeros((9, n_targets)))  # a spread of 0 does not count either
    lookback = 6
    spreads = [
        window.std()
        for part in parts
        for window in (part[k : k + lookback] for k in range(len(part) - lookback + 1))
        if np.isfinite(window).all() and window.std() > 0
    ]
    expected = float(np.median(spreads)) if spreads else 1.0
    assert typical_spread(parts, lookback) == pytest.approx(expected, rel=1e-6)
