from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lstm_forecast.config import load_config
from lstm_forecast.data import load_dataset
from lstm_forecast.data.timeindex import future_index, rows_per
from lstm_forecast.features import Preprocessing
from lstm_forecast.features.baselines import is_seasonal
from lstm_forecast.features.calendar import automatic_calendar, calendar_columns

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


@pytest.mark.parametrize(
    ("freq", "lookback", "train_rows", "chosen"),
    [
        ("D", 28, 3 * 365, ("day_of_year",)),  # the year is longer than the window
        ("D", 28, 500, ()),  # under two years to learn it from
        ("D", 400, 3 * 365, ()),  # the window spans the year itself
        ("h", 24, 3 * 8760, ("weekday", "day_of_year")),
        ("h", 168, 1000, ()),  # M4 hourly: the week fits the window, the year the data not
        ("30min", 24, 20 * 336, ("hour", "weekday")),
        ("MS", 6, 60, ("month",)),  # a yearly cycle of 12 rows is placed by its month
        ("MS", 12, 60, ()),
        ("W", 20, 200, ("day_of_year",)),
    ],
)
def test_auto_calendar_places_the_rows_in_cycles_the_window_cannot_show(
    freq: str, lookback: int, train_rows: int, chosen: tuple[str, ...]
) -> None:
    assert automatic_calendar(freq, lookback, train_rows) == chosen


@given(
    freq=st.sampled_from(["30min", "h", "D", "B", "W", "MS", "QS"]),
    lookback=st.integers(1, 20_000),
    longer=st.integers(0, 20_000),
    train_rows=st.integers(1, 60_000),
    more=st.integers(0, 60_000),
)
def test_auto_calendar_never_adds_a_cycle_for_a_longer_window_or_drops_one_for_more_data(
    freq: str, lookback: int, longer: int, train_rows: int, more: int
) -> None:
    chosen = set(automatic_calendar(freq, lookback, train_rows))
    assert set(automatic_calendar(freq, lookback + longer, train_rows)) <= chosen
    assert set(automatic_calendar(freq, lookback, train_rows + more)) >= chosen


def test_rows_per_cycle_follow_the_frequency() -> None:
    day, week, year = pd.DateOffset(days=1), pd.DateOffset(weeks=1), pd.DateOffset(years=1)
    assert [rows_per("h", c) for c in (day, week, year)] == [24, 168, 8760]
    assert rows_per("MS", year) == 12
    assert rows_per("W", year) == 52
    assert rows_per("B", week) == 5
    assert rows_per("MS", day) == 1  # one row per month: under 2 a day, never placed


def _daily_preprocessing(tmp_path: Path, days: int, calendar: object) -> Preprocessing:
    rng = np.random.default_rng(1)
    t = np.arange(days)
    frame = pd.DataFrame(
        {
            "day": pd.date_range("2010-01-01", periods=days, freq="D").strftime("%Y-%m-%d"),
            "load": 20 + 8 * np.sin(2 * np.pi * t / 365.25) + rng.normal(0, 1, days),
        }
    )
    config = load_config(
        write_config(
            tmp_path,
            write_csv(tmp_path / "daily.csv", frame),
            data={"time_column": "day", "target": "load", "calendar_features": calendar},
            window={"lookback": 28, "horizon": 7},
            split={"validation": 60, "test": 30},
        )
    )
    fitted, prepared = Preprocessing.fit_transform(config, load_dataset(config.data))
    assert prepared.stacked.shape[1] == 1 + 2 * len(fitted.calendar_features)
    return fitted


def test_auto_calendar_is_decided_in_training_and_recorded_for_predict(tmp_path: Path) -> None:
    fitted = _daily_preprocessing(tmp_path, 3 * 365, "auto")
    assert fitted.calendar_features == ("day_of_year",)
    assert fitted.coding.future_columns == (1, 2)  # known over the horizon
    assert fitted.to_json()["calendar_features"] == ["day_of_year"]
    assert _daily_preprocessing(tmp_path, 400, "auto").calendar_features == ()
    assert _daily_preprocessing(tmp_path, 3 * 365, []).calendar_features == ()
    assert _daily_preprocessing(tmp_path, 400, ["weekday"]).calendar_features == ("weekday",)


def test_calendar_columns_made_once_are_those_of_their_own_timestamps() -> None:
    """Series that share timestamps share their calendar columns (made once, read-only);
    any other timestamps, or the same instants in another unit, get their own."""
    from lstm_forecast.features.calendar import _calendar_columns

    days = pd.date_range("2021-02-25", periods=10, freq="D")
    later = pd.date_range("2021-03-07", periods=10, freq="D")
    first = calendar_columns(days, ["day_of_year", "weekday"])
    assert calendar_columns(days.copy(), ["day_of_year", "weekday"]) is first
    assert not first.flags.writeable
    for index in (days, later, days.as_unit("s"), days.tz_localize("UTC")):
        for features in (["day_of_year", "weekday"], ["weekday"]):
            made = calendar_columns(index, features)
            np.testing.assert_array_equal(made, _calendar_columns(index, features))
