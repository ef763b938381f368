"""How unlikely an observation is under a band (``scoring/tails.py``): the band's edges
have the band's own tail probabilities, further out is less likely, and a threshold at
the band's tail flags exactly what falls outside it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lstm_forecast.scoring.tails import Flagging, outside_by, tail_probability

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
