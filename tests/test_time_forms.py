"""Times in other forms than ISO 8601 (issue 36, item 4): ``data.time_format``, quarters and
decimal years, read by every command and written back the same way; and the messages
about a file's form (item 5): separators, numbers with thousands separators, empty last
rows."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from lstm_forecast.config import DataConfig
from lstm_forecast.data import load_dataset
from lstm_forecast.data.hints import number_hint
from lstm_forecast.data.timeindex import format_times, show_time
from lstm_forecast.data.timeparse import parse_time_text, propose_format
from lstm_forecast.errors import ConfigError, DataError

from .helpers import TINY, assert_one_line_error, run_cli, run_process, write_config, write_csv


def _frame(times: list[str], rows: int) -> pd.DataFrame:
    t = np.arange(rows)
    values = 100 + t + 10 * np.sin(2 * np.pi * t / 12)
    return pd.DataFrame({"month": times, "sales": np.round(values, 3)})


def _data(path: Path, **keys: object) -> DataConfig:
    return DataConfig.model_validate(
        {"path": path, "time_column": "month", "target": "sales", **keys}, strict=False
    )


@given(
    year=st.integers(1000, 2999),
    quarter=st.integers(1, 4),
    sep=st.sampled_from(["", "-", " ", " - "]),
)
def test_a_quarter_reads_as_its_first_day_and_writes_back_as_written(
    year: int, quarter: int, sep: str
) -> None:
    text = pd.Series([f"{year}{sep}Q{quarter}"], dtype="string")
    parsed = parse_time_text(text)
    assert parsed.kind == "quarters"
    assert parsed.times.iloc[0] == pd.Timestamp(year, 3 * quarter - 2, 1)
    assert parsed.display is not None
    assert format_times(pd.DatetimeIndex(parsed.times), parsed.display) == [text.iloc[0]]


@pytest.mark.parametrize(
    ("values", "first", "display"),
    [
        (1960 + np.arange(30) / 12, "1960-01", "%Y-%m"),  # R writes 1960.08333333333
        (1959.5 + np.arange(30) / 4, "1959Q3", "%YQ%q"),
        (1900.0 + np.arange(30), "1900", "%Y"),
    ],
)
def test_decimal_years_read_on_the_coarsest_grid_they_lie_on(
    values: np.ndarray, first: str, display: str
) -> None:
    parsed = parse_time_text(pd.Series([repr(float(v)) for v in values], dtype="string"))
    assert (parsed.kind, parsed.display) == ("decimal years", display)
    assert show_time(parsed.times.iloc[0], parsed.display) == first
    assert pd.DatetimeIndex(parsed.times).is_monotonic_increasing


def test_numbers_off_every_grid_are_not_decimal_years() -> None:
    parsed = parse_time_text(pd.Series(["1960.13", "1960.37", "1960.71"], dtype="string"))
    assert parsed.kind == "ISO 8601" and parsed.times.isna().all()


def test_the_proposed_format_is_the_one_whose_times_step_regularly() -> None:
    days = pd.date_range("2020-01-01", periods=40, freq="D")
    # February 1 to 12 day first also read month first (January 2 to December 2), but only
    # day first steps regularly; January 1 to 12 read month first are month starts, and
    # month first wins a tie.
    february = pd.date_range("2020-02-01", periods=12, freq="D")
    day_first = pd.Series(february.strftime("%d/%m/%Y"), dtype="string")
    assert propose_format(day_first) == "%d/%m/%Y"
    tie = pd.Series(days[:12].strftime("%d/%m/%Y"), dtype="string")
    assert propose_format(tie) == "%m/%d/%Y"
    assert propose_format(pd.Series(days.strftime("%d.%m.%Y"), dtype="string")) == "%d.%m.%Y"
    assert propose_format(pd.Series(["soon", "later"], dtype="string")) is None


def test_data_time_format_reads_and_writes_the_file_s_form(tmp_path: Path) -> None:
    months = pd.date_range("2015-01-01", periods=48, freq="MS")
    path = write_csv(tmp_path / "d.csv", _frame(list(months.strftime("%d.%m.%Y")), 48))
    dataset = load_dataset(_data(path, time_format="%d.%m.%Y"))
    (series,) = dataset.series
    assert series.index[0] == pd.Timestamp("2015-01-01") and dataset.freq == "MS"
    assert show_time(series.index[-1], dataset.time_format) == "01.12.2018"


def test_without_time_format_the_refusal_names_the_format_to_set(tmp_path: Path) -> None:
    months = pd.date_range("2015-01-01", periods=48, freq="MS")
    path = write_csv(tmp_path / "d.csv", _frame(list(months.strftime("%d.%m.%Y")), 48))
    with pytest.raises(DataError, match=r"set data.time_format: \"%d.%m.%Y\""):
        load_dataset(_data(path))


def test_a_time_not_in_the_given_format_is_refused_with_its_line(tmp_path: Path) -> None:
    times = list(pd.date_range("2015-01-01", periods=48, freq="MS").strftime("%d.%m.%Y"))
    times[5] = "2015-06-01"
    path = write_csv(tmp_path / "d.csv", _frame(times, 48))
    with pytest.raises(DataError, match=r"'2015-06-01' at line 7 with data.time_format"):
        load_dataset(_data(path, time_format="%d.%m.%Y"))


@pytest.mark.parametrize(
    ("time_format", "says"),
    [("%d.%m", "names no year"), ("%YQ%q", "quarters"), ("%Y-%m-%d %Q", "quarters")],
)
def test_a_time_format_that_cannot_work_is_refused(time_format: str, says: str) -> None:
    with pytest.raises((ConfigError, ValueError), match=says):
        _data(Path("x.csv"), time_format=time_format)


def test_decimal_years_are_said_in_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    times = [str(v) for v in 1949 + np.arange(48) / 12]
    path = write_csv(tmp_path / "r.csv", _frame(times, 48))
    with caplog.at_level(logging.INFO, logger="lstm_forecast"):
        dataset = load_dataset(_data(path))
        load_dataset(_data(path))  # a second read says nothing more
    said = [r.getMessage() for r in caplog.records if "decimal years" in r.getMessage()]
    assert said == [
        "column 'month' of r.csv: decimal years read as monthly dates (1949.0 is 1949-01)"
    ]
    assert dataset.freq == "MS" and dataset.series[0].index[13] == pd.Timestamp("1950-02-01")


@pytest.mark.parametrize(
    ("name", "times", "expected"),
    [
        (
            "dots.csv",
            pd.date_range("2015-01-01", periods=60, freq="MS").strftime("%d.%m.%Y"),
            {"time_column": "month", "time_format": "%d.%m.%Y", "freq": "MS"},
        ),
        (
            "quarters.csv",
            [f"{1990 + i // 4}-Q{i % 4 + 1}" for i in range(60)],
            {"time_column": "month", "freq": "QS-JAN"},
        ),
        (
            "decimal.csv",
            [str(v) for v in 1949 + np.arange(60) / 12],
            {"time_column": "month", "freq": "MS"},
        ),
    ],
)
def test_init_drafts_a_config_for_each_form(
    name: str, times: list[str], expected: dict[str, str], tmp_path: Path
) -> None:
    data = write_csv(tmp_path / name, _frame(list(times), 60))
    config = tmp_path / "c.yaml"
    ran = run_cli("init", data, "--output", config)
    assert ran.code == 0, ran.err
    drafted = yaml.safe_load(config.read_text())["data"]
    assert expected.items() <= drafted.items()
    assert ("time_format" in drafted) == ("time_format" in expected)
    assert run_cli("validate", config).code == 0


@pytest.mark.slow
def test_forecasts_of_a_quarterly_file_are_written_as_quarters(tmp_path: Path) -> None:
    times = [f"{1990 + i // 4}Q{i % 4 + 1}" for i in range(60)]
    data = write_csv(tmp_path / "q.csv", _frame(times, 60))
    config = write_config(tmp_path, data, window={"lookback": 8, "horizon": 4})
    assert run_cli("train", config, "--quiet", *(f"--set={o}" for o in TINY)).code == 0
    out = tmp_path / "f.csv"
    ran = run_cli("predict", tmp_path / "run", "--data", data, "--output", out)
    assert ran.code == 0, ran.err
    assert list(pd.read_csv(out)["month"]) == ["2005Q1", "2005Q2", "2005Q3", "2005Q4"]


@pytest.mark.parametrize(("separator", "word"), [(";", "semicolons"), ("\t", "tabs")])
def test_init_names_another_separator(separator: str, word: str, tmp_path: Path) -> None:
    data = tmp_path / "x.csv"
    rows = [f"2020-{m:02d}{separator}{m}" for m in range(1, 13)]
    data.write_text(f"month{separator}sales\n" + "\n".join(rows) + "\n")
    ran = run_process("init", data, "--output", tmp_path / "x.yaml")
    assert_one_line_error(ran.code, ran.err, 2, f"the header seems separated by {word}")


def test_init_shows_a_number_written_with_thousands_separators(tmp_path: Path) -> None:
    data = tmp_path / "x.csv"
    rows = [f'2020-{m:02d},"1,{m:03d}.5"' for m in range(1, 13)]
    data.write_text("month,sales\n" + "\n".join(rows) + "\n")
    ran = run_process("init", data, "--output", tmp_path / "x.yaml")
    assert_one_line_error(
        ran.code, ran.err, 2, "column 'sales' holds text such as '1,001.5'", "as 1001.5"
    )


def test_the_loader_s_refusal_of_a_number_says_its_form(tmp_path: Path) -> None:
    frame = _frame(list(pd.date_range("2015-01", periods=24, freq="MS").strftime("%Y-%m")), 24)
    frame["sales"] = frame["sales"].astype(str)
    frame.loc[3, "sales"] = "3,5"
    path = write_csv(tmp_path / "d.csv", frame)
    with pytest.raises(DataError, match=r"'3,5' at line 5 \(it reads as a number with a decimal"):
        load_dataset(_data(path))
    assert number_hint("12") == "" and "thousands" in number_hint("-12,345,678.25")


def _empty_last(path: Path) -> Path:
    months = pd.date_range("2015-01", periods=48, freq="MS").strftime("%Y-%m")
    frame = _frame(list(months), 48)
    frame.loc[47, "sales"] = np.nan
    return write_csv(path, frame)


def test_a_left_out_last_row_is_said_and_the_forecast_start_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _empty_last(tmp_path / "d.csv")
    with caplog.at_level(logging.WARNING, logger="lstm_forecast"):
        (series,) = load_dataset(_data(path, missing="interpolate")).series
    assert series.index[-1] == pd.Timestamp("2018-11-01") and series.left_out_tail == 1
    (said,) = [r.getMessage() for r in caplog.records]
    assert "left out (1 row from line 49, 2018-12)" in said
    assert "forecasts start at the first of them" in said


def test_init_drafts_a_file_whose_last_cell_is_empty(tmp_path: Path) -> None:
    data = _empty_last(tmp_path / "d.csv")
    ran = run_process("init", data, "--output", tmp_path / "d.yaml")
    assert ran.code == 0, ran.err
    text = (tmp_path / "d.yaml").read_text()
    assert "1 row at the start or end of a series miss a value: left out" in text
    assert "missing: interpolate" in text and "left out (1 row from line 49" in ran.err
