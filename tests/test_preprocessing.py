from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.config import load_config
from lstm_forecast.data import load_dataset
from lstm_forecast.data.timeindex import future_index
from lstm_forecast.features import Preprocessing
from lstm_forecast.features.baselines import is_seasonal
from lstm_forecast.features.calendar import calendar_columns

from .helpers import write_config, write_csv


def record(sales_config: Path) -> Preprocessing:
    config = load_config(
        sales_config,
        [
            "model.quantiles=[0.1, 0.5, 0.9]",
            "data.calendar_features=[month]",
            "preprocessing.window_scale=std",
        ],
    )
    fitted, _ = Preprocessing.fit_transform(config, load_dataset(config.data))
    return fitted.with_coding(dataclasses.replace(fitted.coding, interval_stretch=np.array([1.25])))


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


def test_a_record_read_back_prepares_the_data_as_training_did(sales_config: Path) -> None:
    """Evaluate (``transform``) and predict (``forecast_inputs``) go through the record
    read from preprocessing.json; both must see the rows training saw."""
    config = load_config(sales_config, ["data.calendar_features=[month]"])
    dataset = load_dataset(config.data)
    fitted, trained_on = Preprocessing.fit_transform(config, dataset)
    again = Preprocessing.from_json(json.loads(json.dumps(fitted.to_json())))
    evaluated = again.transform(config, dataset)
    np.testing.assert_array_equal(evaluated.stacked, trained_on.stacked)
    assert evaluated.bounds == trained_on.bounds
    inputs, scalers = again.forecast_inputs(dataset)
    np.testing.assert_array_equal(
        inputs[0, : again.lookback], trained_on.stacked[-again.lookback :]
    )
    assert scalers == [again.scalers[None]]
    # The calendar is known ahead: the window goes on over the horizon with the months
    # after the last one, and nothing else (the coding keeps only those columns there).
    assert inputs.shape[1] == again.lookback + again.horizon
    ahead = future_index(dataset.series[0].index[-1], dataset.freq, again.horizon)
    np.testing.assert_allclose(
        inputs[0, again.lookback :, 1:], calendar_columns(ahead, ["month"]), atol=1e-6
    )
    np.testing.assert_array_equal(inputs[0, again.lookback :, 0], 0.0)


def test_a_series_the_record_was_not_fit_on_is_refused_by_name(sales_config: Path) -> None:
    from lstm_forecast.errors import DataError

    config = load_config(sales_config)
    dataset = load_dataset(config.data)
    fitted, _ = Preprocessing.fit_transform(config, dataset)
    stranger = dataclasses.replace(
        dataset, series=(dataclasses.replace(dataset.series[0], id="store 9"),)
    )
    with pytest.raises(DataError, match="series 'store 9' was not in the model's training"):
        fitted.transform(config, stranger)


@pytest.mark.parametrize(
    ("seasonal", "level"), [(True, "mean"), (False, "last")], ids=["seasonal", "random-walk"]
)
def test_window_norm_auto_measures_a_seasonal_window_from_its_mean(
    tmp_path: Path, seasonal: bool, level: str
) -> None:
    rng = np.random.default_rng(0)
    t = np.arange(96)
    values = (
        100 + 20 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, 96)
        if seasonal
        else 100 + np.cumsum(rng.normal(0, 1, 96))
    )
    months = pd.date_range("2000-01", periods=96, freq="MS").strftime("%Y-%m")
    csv = write_csv(tmp_path / "sales.csv", pd.DataFrame({"month": months, "sales": values}))
    config = load_config(write_config(tmp_path, csv, window={"lookback": 24, "horizon": 6}))
    assert config.preprocessing.window_norm == "auto"
    fitted, _ = Preprocessing.fit_transform(config, load_dataset(config.data))
    assert is_seasonal(fitted.coding.baseline) == seasonal
    assert fitted.coding.window_norm == level
    assert fitted.to_json()["window_norm"] == level  # the bundle records the choice
