from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from lstm_forecast.config import load_config
from lstm_forecast.data import load_dataset
from lstm_forecast.prepare import prepare
from lstm_forecast.preprocessing import Preprocessing


def record(sales_config: Path) -> Preprocessing:
    config = load_config(
        sales_config,
        [
            "model.quantiles=[0.1, 0.5, 0.9]",
            "data.calendar_features=[month]",
            "preprocessing.window_scale=std",
        ],
    )
    prepared = prepare(config, load_dataset(config.data))
    coding = dataclasses.replace(prepared.coding, interval_stretch=np.array([1.25]))
    return Preprocessing.of(config, prepared, coding)


def test_round_trip_through_json(sales_config: Path) -> None:
    original = record(sales_config)
    again = Preprocessing.from_json(json.loads(json.dumps(original.to_json())))
    assert again.coding == original.coding  # the stretch is compared below
    np.testing.assert_array_equal(again.coding.interval_stretch, [1.25])
    assert again.calendar_features == ("month",)
    assert again.columns == original.columns and again.freq == "MS"
    assert again.scalers[None].n_logged == 1  # log: auto on a positive series
    np.testing.assert_array_equal(again.scalers[None].center, original.scalers[None].center)
    low, high = again.train_ranges[None]
    np.testing.assert_array_equal(low, original.train_ranges[None][0])
    assert low[0] < high[0]
    assert again.coding.window_scale == "std" and again.coding.typical_spread > 0


def test_a_record_from_before_window_scaling_reads_as_none(sales_config: Path) -> None:
    data = record(sales_config).to_json()
    del data["window_scale"], data["typical_spread"]
    coding = Preprocessing.from_json(data).coding
    assert coding.window_scale == "none" and coding.typical_spread == 1.0


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("window_norm", "median"),
        ("window_scale", "mad"),
        ("typical_spread", 0),
        ("typical_spread", float("inf")),
        ("typical_spread", "1"),
        ("lookback", 0),
        ("calendar_features", ["week_of_moon"]),
        ("interval_stretch", [[1.0]]),
        ("interval_stretch", [-1.0]),
        ("quantiles", [0.1, 0.9]),
        ("time_format", 5),
    ],
)
def test_malformed_records_are_refused(sales_config: Path, key: str, value: object) -> None:
    data = record(sales_config).to_json()
    data[key] = value
    with pytest.raises(ValueError):
        Preprocessing.from_json(data)


def test_malformed_train_range_is_refused(sales_config: Path) -> None:
    data = record(sales_config).to_json()
    data["series"][0]["train_max"] = [float("nan")]
    with pytest.raises(ValueError, match="train_min and train_max"):
        Preprocessing.from_json(data)
