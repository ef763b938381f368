from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lstm_forecast.features.scaling import Scaler

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=100, deadline=None)
@given(
    values=arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 4)), elements=finite),
    kind=st.sampled_from(["standard", "minmax", "none"]),
)
def test_round_trip_restores_original_units(values: np.ndarray, kind: str) -> None:
    scaler = Scaler.fit(kind, values)  # type: ignore[arg-type]
    scaled = scaler.transform(values)
    assert np.isfinite(scaled).all()
    np.testing.assert_allclose(scaler.inverse_targets(scaled), values, rtol=1e-9, atol=1e-6)
    again = Scaler.from_json(scaler.to_json())
    np.testing.assert_array_equal(again.center, scaler.center)
    np.testing.assert_array_equal(again.scale, scaler.scale)


def test_constant_column_never_divides_by_zero() -> None:
    values = np.column_stack([np.full(10, 5.0), np.arange(10.0)])
    for kind in ("standard", "minmax"):
        scaler = Scaler.fit(kind, values)
        assert scaler.scale[0] == 1.0
        assert np.isfinite(scaler.transform(values)).all()


def test_standard_and_minmax_values() -> None:
    values = np.array([[1.0], [3.0]])
    assert Scaler.fit("standard", values).transform(values)[:, 0].tolist() == [-1.0, 1.0]
    assert Scaler.fit("minmax", values).transform(values)[:, 0].tolist() == [0.0, 1.0]


def test_fit_ignores_missing_rows() -> None:
    values = np.array([[1.0], [np.nan], [3.0]])
    assert Scaler.fit("standard", values).center.tolist() == [2.0]


def test_inverse_uses_the_target_columns_only() -> None:
    scaler = Scaler("standard", np.array([10.0, 100.0]), np.array([2.0, 50.0]))
    assert scaler.inverse_targets(np.array([[1.0]])).tolist() == [[12.0]]


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "robust", "center": [0], "scale": [1]},
        {"kind": "standard", "center": [0, 1], "scale": [1]},
        {"kind": "standard", "center": [0], "scale": [0]},
        {"kind": "standard", "center": [float("nan")], "scale": [1]},
    ],
)
def test_from_json_refuses_bad_numbers(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Scaler.from_json(bad)


def test_log_targets_round_trip_and_are_fit_in_log_space() -> None:
    values = np.column_stack([np.array([1.0, np.e, np.e**2]), np.array([-1.0, 0.0, 1.0])])
    scaler = Scaler.fit("standard", values, n_logged=1)
    assert scaler.center[0] == pytest.approx(1.0)  # mean of 0, 1, 2
    np.testing.assert_allclose(
        scaler.inverse_targets(scaler.transform(values)[:, :1]), values[:, :1]
    )
    assert Scaler.from_json(scaler.to_json()).n_logged == 1


def test_log_inverse_stays_finite_for_wild_forecasts() -> None:
    scaler = Scaler.fit("standard", np.array([[1.0], [2.0]]), n_logged=1)
    assert np.isfinite(scaler.inverse_targets(np.array([[1e6]]))).all()


@settings(max_examples=50, deadline=None)
@given(
    values=arrays(np.float64, st.integers(2, 30), elements=st.floats(1e-3, 1e6)),
    new=st.floats(-1e6, 0.0),
)
def test_a_log_scaler_reads_a_value_it_cannot_take_as_half_its_smallest(
    values: np.ndarray, new: float
) -> None:
    scaler = Scaler.fit("standard", values[:, None], n_logged=1)
    assert scaler.log_floor is not None and scaler.log_floor[0] == values.min() / 2
    # Positive values are taken exactly as before the floor: a plain log.
    plain = (np.log(values[:, None]) - scaler.center) / scaler.scale
    np.testing.assert_allclose(scaler.transform(values[:, None]), plain)
    floored = scaler.transform(np.array([[new], [np.nan]]))
    assert floored[0, 0] == pytest.approx(
        (np.log(values.min() / 2) - scaler.center[0]) / scaler.scale[0]
    )
    assert np.isnan(floored[1, 0])
    again = Scaler.from_json(scaler.to_json())
    assert again.log_floor is not None
    np.testing.assert_array_equal(again.log_floor, scaler.log_floor)


def test_a_malformed_log_floor_is_refused() -> None:
    record = Scaler.fit("standard", np.array([[1.0], [2.0]]), n_logged=1).to_json()
    for bad in ([0.0], [-1.0], [1.0, 2.0], [float("nan")]):
        with pytest.raises(ValueError, match="log_floor must be one positive number"):
            Scaler.from_json({**record, "log_floor": bad})
    old = {k: v for k, v in record.items() if k != "log_floor"}
    assert Scaler.from_json(old).log_floor is None
