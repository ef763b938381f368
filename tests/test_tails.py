"""How unlikely an observation is under a band (``scoring/tails.py``): the band's edges
have the band's own tail probabilities, further out is less likely, and a threshold at
the band's tail flags exactly what falls outside it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lstm_forecast.scoring.tails import (
    MIN_CALIBRATION_ROWS,
    Flagging,
    TailCalibration,
    outside_by,
    tail_probability,
)

LEVELS = (0.01, 0.99)


@given(
    point=st.floats(-100, 100),
    below=st.floats(0.1, 50),
    above=st.floats(0.1, 50),
    steps=st.lists(st.floats(0, 10), min_size=2, max_size=8),
)
def test_the_edges_are_the_levels_and_further_out_is_less_likely(
    point: float, below: float, above: float, steps: list[float]
) -> None:
    lower, upper = np.array([point - below]), np.array([point + above])
    at = np.array([point])
    edge_low = tail_probability(lower, at, lower, upper, LEVELS)
    edge_high = tail_probability(upper, at, lower, upper, LEVELS)
    assert edge_low[0] == pytest.approx(0.01, rel=1e-6)
    assert edge_high[0] == pytest.approx(0.01, rel=1e-6)
    assert tail_probability(at, at, lower, upper, LEVELS)[0] == pytest.approx(0.5)
    distances = np.sort(np.array(steps))
    for side, width in ((1, above), (-1, below)):
        actual = point + side * distances * width
        tails = tail_probability(actual, np.full_like(actual, point), lower, upper, LEVELS)
        assert (np.diff(tails) <= 1e-15).all()


def test_a_threshold_at_the_band_tail_flags_what_falls_outside() -> None:
    rng = np.random.default_rng(0)
    point = rng.normal(size=500)
    lower, upper = point - 2.0, point + 3.0
    actual = point + rng.normal(0, 2.5, size=500)
    band = Flagging(LEVELS).flags(actual, point, lower, upper)
    assert (band == (outside_by(actual, lower, upper) > 0)).all()
    at_tail = Flagging(LEVELS, 0.01).flags(actual, point, lower, upper)
    inside_margin = np.minimum(np.abs(actual - lower), np.abs(actual - upper)) > 1e-9
    assert (at_tail == band)[inside_margin].all()
    stricter = Flagging(LEVELS, 1e-4).flags(actual, point, lower, upper)
    assert stricter.sum() < band.sum() and not (stricter & ~band).any()


def test_the_flag_rule_says_what_it_flags() -> None:
    assert Flagging(LEVELS).describe() == "outside the 1-99 % band"
    assert Flagging((0.1, 0.9), 0.001).describe() == (
        "with a tail probability under 0.001 (10-90 % band)"
    )


def _calibrated(distances: np.ndarray) -> TailCalibration:
    calibration = TailCalibration.fit(distances)
    assert calibration is not None
    return calibration


@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(MIN_CALIBRATION_ROWS, 2000),
    horizon=st.integers(1, 4),
    probes=st.lists(st.floats(0, 30), min_size=2, max_size=20),
)
def test_the_calibrated_tail_is_the_held_out_share_and_falls_further_out(
    seed: int, rows: int, horizon: int, probes: list[float]
) -> None:
    """Within the held-out distances the probability is the share at least as far out
    (to a step of the kept quantiles); it never rises further out, stays in (0, 1], and
    joins the exponential tail without a jump."""
    distances = np.abs(np.random.default_rng(seed).standard_t(4, size=(rows, horizon)))
    calibration = _calibrated(distances)
    assert calibration.rows == rows and calibration.horizon == horizon
    out = np.sort(np.array(probes))
    for step in range(1, horizon + 1):
        probability = calibration.probability(out, step)
        assert ((probability > 0) & (probability <= 1)).all()
        assert (np.diff(probability) <= 1e-12).all()
        column = distances[:, step - 1]
        for d in np.quantile(column, [0.2, 0.5, 0.8]):
            share = (column >= d).mean()
            assert abs(calibration.probability(np.array([d]), step)[0] - share) <= 0.02
        start = calibration.quantiles[step - 1, -1]
        joined = calibration.probability(np.array([start, np.nextafter(start, np.inf)]), step)
        assert joined[0] == pytest.approx(0.1) and joined[1] == pytest.approx(0.1)


def test_the_exponential_tail_reads_rare_rows_beyond_the_held_out_ones() -> None:
    """From 20,000 held-out rows, a distance whose share is one in ten thousand: read
    to within a half where the residuals' tail is exponential (Laplace), and over, not
    under, where it is lighter (normal), so a threshold flags fewer rows, not more."""
    rng = np.random.default_rng(1)
    laplace = _calibrated(np.abs(rng.laplace(size=(20_000, 1))))
    assert laplace.probability(np.array([np.log(1e4)]), 1)[0] == pytest.approx(1e-4, rel=0.5)
    normal = _calibrated(np.abs(rng.normal(size=(20_000, 1))))
    assert 1e-4 <= normal.probability(np.array([3.89]), 1)[0] <= 1e-3


def test_too_few_held_out_rows_give_no_calibration() -> None:
    distances = np.ones((MIN_CALIBRATION_ROWS + 5, 2))
    distances[:10, 1] = np.nan  # a step with missing actuals counts only its known rows
    assert TailCalibration.fit(distances) is None
    assert TailCalibration.fit(np.ones((0, 3))) is None


def test_a_calibration_survives_its_json_and_a_malformed_one_is_refused() -> None:
    calibration = _calibrated(np.abs(np.random.default_rng(2).normal(size=(300, 3))))
    again = TailCalibration.from_json(json.loads(json.dumps(calibration.to_json())))
    assert np.array_equal(again.quantiles, calibration.quantiles)
    assert np.array_equal(again.scales, calibration.scales) and again.rows == 300
    good = calibration.to_json()
    for change, message in (
        ({"quantiles": good["quantiles"][0]}, "quantiles must be rows"),
        ({"scales": good["scales"][:2]}, "scales must be one number a step"),
        ({"quantiles": [row[::-1] for row in good["quantiles"]]}, "must not decrease"),
        ({"scales": [0.0, 1.0, 1.0]}, "scales must be finite and > 0"),
        ({"rows": 3}, "rows must be a whole number"),
        ({"rows": True}, "rows must be a whole number"),
    ):
        with pytest.raises(ValueError, match=message):
            TailCalibration.from_json({**good, **change})


def test_a_calibrated_rule_says_what_it_was_calibrated_on() -> None:
    calibration = _calibrated(np.abs(np.random.default_rng(3).normal(size=(1234, 1))))
    assert Flagging(LEVELS, 3e-4, calibration).describe() == (
        "with a tail probability under 0.0003 (1-99 % band, calibrated on 1,234 validation rows)"
    )
    assert Flagging(LEVELS, None, calibration).describe() == "outside the 1-99 % band"
