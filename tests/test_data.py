from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.config import DataConfig, SplitConfig, WindowConfig
from lstm_forecast.data import load_dataset
from lstm_forecast.data.limits import MAX_COLUMNS
from lstm_forecast.data.split import check_split, split_bounds
from lstm_forecast.data.timeindex import format_times, future_index
from lstm_forecast.errors import DataError, EnvironmentFailure
from lstm_forecast.files import file_sha256

from .helpers import DATA, monthly_frame, write_csv


def config(path: Path, **kw: object) -> DataConfig:
    fields: dict[str, object] = {"path": path, "time_column": "month", "target": "sales"}
    fields.update(kw)
    return DataConfig.model_validate(fields)


def load_text(tmp_path: Path, text: str, **kw: object):  # type: ignore[no-untyped-def]
    path = tmp_path / "d.csv"
    path.write_bytes(text.encode("utf-8"))
    return load_dataset(config(path, **kw))


def test_airline_reads_as_one_monthly_series() -> None:
    dataset = load_dataset(config(DATA / "airline.csv", time_column="month", target="passengers"))
    (series,) = dataset.series
    assert dataset.freq == "MS" and dataset.time_format == "%Y-%m"
    assert len(series) == 144 and series.values.shape == (144, 1)
    assert series.index[0] == pd.Timestamp("1949-01-01")
    assert series.values[0, 0] == 112.0
    assert len(dataset.sha256) == 64
    assert dataset.sha256 == file_sha256(DATA / "airline.csv")  # hashed while scanned


def test_stocks_long_format_keeps_each_symbol_apart() -> None:
    dataset = load_dataset(
        config(DATA / "stocks.csv", time_column="date", target="price", id_column="symbol")
    )
    lengths = {s.id: len(s) for s in dataset.series}
    assert lengths == {"MSFT": 123, "AMZN": 123, "IBM": 123, "GOOG": 68, "AAPL": 123}
    goog = next(s for s in dataset.series if s.id == "GOOG")
    assert goog.index[0] == pd.Timestamp("2004-08-01")


def test_features_follow_targets_and_unused_text_columns_are_ignored() -> None:
    dataset = load_dataset(
        config(
            DATA / "seattle_weather.csv",
            time_column="date",
            target="temp_max",
            features=["precipitation", "wind"],
        )
    )
    assert dataset.columns == ("temp_max", "precipitation", "wind") and dataset.freq == "D"
    assert dataset.series[0].values[0].tolist() == [12.8, 0.0, 4.7]


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    dataset = load_text(tmp_path, "\ufeffmonth,sales\n2000-01,1\n2000-02,2\n2000-03,3\n")
    assert dataset.series[0].values[:, 0].tolist() == [1, 2, 3]


def test_gaps_become_missing_values(tmp_path: Path) -> None:
    text = "month,sales\n2000-01,1\n2000-02,2\n2000-04,4\n2000-05,5\n"
    with pytest.raises(
        DataError,
        match=r"1 timestamps are missing from the file \(first "
        r"2000-03\)",
    ):
        load_text(tmp_path, text)
    filled = load_text(tmp_path, text, missing="interpolate")
    assert filled.freq == "MS"
    assert filled.series[0].values[:, 0].tolist() == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(("step", "freq"), [("1D", "D"), ("2D", "2D"), ("1h", "h")])
def test_a_grid_with_gaps_keeps_its_step_name(tmp_path: Path, step: str, freq: str) -> None:
    """A daily file missing a day reads as daily (D, whose season is a week), not 24h."""
    times = pd.date_range("2000-01-01", periods=8, freq=step).delete(3)
    text = "month,sales\n" + "".join(f"{t.isoformat()},{i}\n" for i, t in enumerate(times))
    assert load_text(tmp_path, text, missing="interpolate").freq == freq


def test_missing_policies(tmp_path: Path) -> None:
    text = "month,sales\n2000-01,\n2000-02,2\n2000-03,\n2000-04,4\n2000-05,\n"
    with pytest.raises(
        DataError,
        match=r"column 'sales' has 3 missing values \(first at line 2\); "
        "set data.missing",
    ):
        load_text(tmp_path, text)
    ffill = load_text(tmp_path, text, missing="ffill").series[0]
    assert ffill.values[:, 0].tolist() == [2, 2, 4, 4]  # leading gap trimmed, the rest carried
    inter = load_text(tmp_path, text, missing="interpolate").series[0]
    assert inter.values[:, 0].tolist() == [2, 3, 4]  # ends trimmed, inside interpolated
    dropped = load_text(tmp_path, text, missing="drop").series[0]
    assert np.isnan(dropped.values[1, 0]) and dropped.complete.tolist() == [True, False, True]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("month,sales\n", "header but no data rows"),
        (
            "month;sales\n2000-01;1\n",
            r"columns 'month', 'sales' not found; the file has columns "
            r"'month;sales' \(the header seems separated by semicolons: lstm-forecast reads "
            "comma-separated files",
        ),
        ("month\tsales\n2000-01\t1\n", r"'month\\tsales' \(the header seems separated by tabs"),
        ("month,sales,sales\n2000-01,1,2\n", "column 'sales' appears more than once"),
        ("month,sales\n2000-01,1\n2000-02,2,3\n", r"malformed CSV: .*line 3"),
        (
            "month,sales\n2000-01,1\n2000-02,$10\n",
            r"column 'sales': non-numeric value '\$10' at "
            "line 3",
        ),
        ("month,sales\n2000-01,1\n2000-02,inf\n", "'sales': value inf at line 3 is infinite"),
        ("month,sales\n2000-01,1\n2000-02,1e39\n", "too large for float32"),
        ("month,sales\n2000-01,1\n2000-01,2\n", "duplicate timestamp 2000-01 at lines 2 and 3"),
        ("month,sales\n2000-02,1\n2000-01,2\n2000-03,2\n", r"not in time order: line 3"),
        ("month,sales\n2000-01,1\nJan 2000,2\n", "cannot parse time value 'Jan 2000' at line 3"),
        ("month,sales\n2000-01,1\n,2\n", "empty time value at line 3"),
        ("month,sales\n13/01/2000,1\n14/01/2000,2\n", "cannot parse time value '13/01/2000'"),
        (
            "month,sales\n2000-01-01,1\n2000-01-02,2\n2000-01-05,2\n2000-01-06,2\n2000-01-09,3\n"
            "2000-01-13,3\n",
            None,
        ),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, text: str, message: str | None) -> None:
    if message is None:  # irregular steps: inferred as the smallest step with gaps
        with pytest.raises(DataError, match="timestamps are missing"):
            load_text(tmp_path, text)
        return
    with pytest.raises(DataError, match=message) as caught:
        load_text(tmp_path, text)
    assert str(caught.value.where).endswith("d.csv")


def test_missing_column_lists_what_the_file_has(tmp_path: Path) -> None:
    with pytest.raises(
        DataError,
        match=r"column 'units' not found; the file has columns "
        r"'month', 'sales'",
    ):
        load_text(tmp_path, "month,sales\n2000-01,1\n", target="units")


def test_no_separator_hint_when_another_separator_would_not_find_the_column(
    tmp_path: Path,
) -> None:
    with pytest.raises(DataError) as caught:
        load_text(tmp_path, "month;units,sales\n2000-01;1,1\n", target="price")
    assert caught.value.what.endswith("'month;units', 'sales'")


@pytest.mark.parametrize("rows_before", [0, 3, 7000])
def test_a_file_that_is_not_utf8_names_the_line_and_byte(tmp_path: Path, rows_before: int) -> None:
    # Valid two-byte characters ("é" in UTF-8) on every row, then a Latin-1 "é" (0xe9).
    rows = "".join(
        f"2000-01-{1 + k % 28:02d} 00:{k // 28 % 60:02d}:{k % 60:02d},1,café\n"
        for k in range(rows_before)
    )
    text = b"month,sales,notes\n" + rows.encode() + b"2001-01,2,caf\xe9\n"
    if rows_before == 7000:  # one "é" straddles the first 64 KiB block the check reads
        assert text[(1 << 16) - 1 : (1 << 16) + 1] == "é".encode()
    path = tmp_path / "d.csv"
    path.write_bytes(text)
    with pytest.raises(DataError) as caught:
        load_dataset(config(path))
    assert caught.value.what == (
        f"not UTF-8 text: byte 0xe9 at line {rows_before + 2}; save the file as UTF-8 "
        "(a spreadsheet's 'CSV UTF-8')"
    )


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="data file not found"):
        load_dataset(config(tmp_path / "nope.csv"))
    with pytest.raises(DataError, match="is a directory"):
        load_dataset(config(tmp_path))


def test_files_over_the_caps_are_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("pandas was asked to parse a file over the cap")

    monkeypatch.setattr(pd, "read_csv", never)
    rows = "".join(f"{2000 + m // 12}-{m % 12 + 1:02d},{m}\n" for m in range(30))
    with pytest.raises(DataError, match=r"more than 20 rows \(data.max_rows\)"):
        load_text(tmp_path, "month,sales\n" + rows, max_rows=20)
    big = tmp_path / "big.csv"
    big.write_text("month,sales\n" + "2000-01,1\n" * 120_000)  # about 1.2 MB
    with pytest.raises(DataError, match=r"the file is 1 MB, over data.max_file_mb \(1\)"):
        load_dataset(config(big, max_file_mb=1))


def test_caps_at_the_limit_or_off_read_the_file(tmp_path: Path) -> None:
    rows = "".join(f"{2000 + m // 12}-{m % 12 + 1:02d},{m}\n" for m in range(30))
    assert len(load_text(tmp_path, "month,sales\n" + rows, max_rows=30).series[0]) == 30
    assert len(load_text(tmp_path, "month,sales\n" + rows, max_rows=None).series[0]) == 30


def test_unreadable_data_file_is_an_environment_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "d.csv"
    path.write_text("month,sales\n2000-01,1\n")

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", denied)  # tests may run as root, where chmod 000 reads
    with pytest.raises(EnvironmentFailure, match="permission denied reading the data file"):
        load_dataset(config(path))


def test_freq_given_must_match_the_grid(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not on the grid of frequency ME"):
        load_text(tmp_path, "month,sales\n2000-01,1\n2000-02,2\n2000-03,3\n", freq="ME")


def test_mixed_offsets_are_normalised_to_utc(tmp_path: Path) -> None:
    text = (
        "month,sales\n2000-01-01T00:00:00+01:00,1\n2000-01-01T00:00:00+00:00,2\n"
        "2000-01-01T02:00:00+01:00,3\n"
    )
    series = load_text(tmp_path, text).series[0]
    assert str(series.index.tz) == "UTC"
    assert series.index[0] == pd.Timestamp("1999-12-31T23:00:00Z")


def test_series_with_different_frequencies_are_refused(tmp_path: Path) -> None:
    text = "id,month,sales\na,2000-01,1\na,2000-02,2\na,2000-03,3\nb,2000-01-01,1\nb,2000-01-02,2\n"
    with pytest.raises(DataError, match="different frequencies"):
        load_text(tmp_path, text, id_column="id")


def test_blank_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="empty id at line 3"):
        load_text(tmp_path, "id,month,sales\na,2000-01,1\n,2000-02,2\n", id_column="id")


def test_split_bounds_fractions_and_steps() -> None:
    bounds = split_bounds(100, SplitConfig(validation=0.1, test=20), horizon=5)
    assert (bounds.train_end, bounds.validation_end, bounds.length) == (70, 80, 100)
    assert split_bounds(100, SplitConfig(validation=10, test=0), horizon=5).test_size == 0
    # a fraction never gives a part shorter than one horizon
    assert (
        split_bounds(100, SplitConfig(validation=0.05, test=0.1), horizon=12).validation_size == 12
    )


def test_too_short_series_says_how_many_rows_are_needed(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", monthly_frame(30))
    dataset = load_dataset(config(path))
    window, split = WindowConfig(lookback=12, horizon=6), SplitConfig(validation=6, test=12)
    bounds = split_bounds(30, split, window.horizon)
    with pytest.raises(DataError, match="the series has 30 rows but needs at least 36"):
        check_split(dataset.series[0], bounds, window, split, path)


def test_future_timestamps_continue_the_frequency() -> None:
    future = future_index(pd.Timestamp("1960-12-01"), "MS", 12)
    assert format_times(future, "%Y-%m") == [f"1961-{m:02d}" for m in range(1, 13)]


def test_calendar_columns_are_cyclic() -> None:
    from lstm_forecast.features.calendar import calendar_columns

    index = pd.date_range("2001-01-01", periods=13, freq="MS")
    month = calendar_columns(index, ["month"])
    assert month.shape == (13, 2)
    np.testing.assert_allclose(month[0], month[12], atol=1e-12)  # January again
    np.testing.assert_allclose(month[:, 0] ** 2 + month[:, 1] ** 2, 1.0)
    assert calendar_columns(index, []).shape == (13, 0)


PARSER_CASES = {
    "bom": "\ufeffmonth,sales\n2020-01,1\n2020-02,2\n2020-03,3\n",
    "missing": "month,sales\n2020-01,1\n2020-02,NA\n2020-03,3\n",
    "blank line": "month,sales\n2020-01,1\n\n2020-03,3\n",
    "crlf blank line": "month,sales\r\n2020-01,1\r\n\r\n2020-03,3\r\n",
    "trailing blank lines": "month,sales\n2020-01,1\n2020-02,2\n2020-03,3\n\n\n",
    "ragged": "month,sales\n2020-01,1\n2020-02,2,9\n2020-03,3\n",
    "text value": "month,sales\n2020-01,1\n2020-02,$10\n2020-03,3\n",
    "semicolons": "month;sales\n2020-01;1\n2020-02;2\n",
    "too large": "month,sales\n2020-01,1\n2020-02,1e39\n2020-03,3\n",
    "quoted newline": 'month,sales\n2020-01,1\n2020-02,"2\n"\n2020-03,3\n',
    "offsets": "month,sales\n2020-01-01T00:00+01:00,1\n2020-01-01T01:00+00:00,2\n",
}


def outcome(tmp_path: Path, text: str) -> object:
    try:
        dataset = load_text(tmp_path, text, freq="MS" if "offsets" not in text else None)
    except DataError as exc:
        return exc.message
    return [(s.index.tolist(), s.values.tolist()) for s in dataset.series]


@pytest.mark.parametrize("case", sorted(PARSER_CASES))
def test_the_fast_parser_reads_and_refuses_as_the_c_parser_does(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files from 8 MB on are read by pyarrow: same frames, same messages (big files are
    simulated here by lowering the threshold)."""
    import lstm_forecast.data.read

    text = PARSER_CASES[case]
    with_c = outcome(tmp_path, text)
    monkeypatch.setattr(lstm_forecast.data.read, "PYARROW_FROM_BYTES", 0)
    assert outcome(tmp_path, text) == with_c


def test_files_from_the_threshold_on_are_read_by_pyarrow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lstm_forecast.data.read

    engines: list[str] = []
    read_csv = pd.read_csv

    def recording(*args: object, **kwargs: object) -> pd.DataFrame:
        engines.append(str(kwargs.get("engine", "c")))
        return read_csv(*args, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(pd, "read_csv", recording)
    outcome(tmp_path, PARSER_CASES["missing"])
    assert engines == ["c"]  # small: the C parser
    monkeypatch.setattr(lstm_forecast.data.read, "PYARROW_FROM_BYTES", 0)
    outcome(tmp_path, PARSER_CASES["missing"])
    assert engines == ["c", "pyarrow"]


def as_parquet(csv: Path, parquet: Path, **column_types: str) -> Path:
    """The CSV's rows as a Parquet file, every column as text unless typed here."""
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    frame.astype(column_types).to_parquet(parquet, index=False)
    return parquet


def same_series(a, b) -> bool:  # type: ignore[no-untyped-def]
    return a.freq == b.freq and all(
        x.id == y.id and x.index.equals(y.index) and np.array_equal(x.values, y.values)
        for x, y in zip(a.series, b.series, strict=True)
    )


@pytest.mark.parametrize(
    ("name", "fields", "types"),
    [
        ("airline", {"time_column": "month", "target": "passengers"}, {"passengers": "int64"}),
        (
            "stocks",
            {"time_column": "date", "target": "price", "id_column": "symbol"},
            {"price": "float64", "date": "datetime64[ns]"},
        ),
        (
            "seattle_weather",
            {"time_column": "date", "target": "temp_max", "features": ["wind"]},
            {"temp_max": "float64", "wind": "float64"},
        ),
    ],
)
def test_parquet_reads_as_the_csv_does(
    name: str, fields: dict[str, object], types: dict[str, str], tmp_path: Path
) -> None:
    from_csv = load_dataset(config(DATA / f"{name}.csv", **fields))
    parquet = as_parquet(DATA / f"{name}.csv", tmp_path / f"{name}.parquet", **types)
    from_parquet = load_dataset(config(parquet, **fields))
    assert same_series(from_csv, from_parquet)
    assert from_parquet.sha256 == file_sha256(parquet)
    # Text columns with numbers in them read as the CSV's do too.
    untyped = load_dataset(
        config(as_parquet(DATA / f"{name}.csv", tmp_path / "t.parquet"), **fields)
    )
    assert same_series(from_csv, untyped)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (
            pd.DataFrame({"month": ["2000-01", "2000-02"], "units": [1.0, 2.0]}),
            "column 'sales' not found; the file has columns 'month', 'units'",
        ),
        (
            pd.DataFrame({"month": ["2000-01", "2000-02"], "sales": ["1", "$10"]}),
            r"column 'sales': non-numeric value '\$10' at row 2",
        ),
        (
            pd.DataFrame({"month": ["2000-01", "2000-01"], "sales": [1.0, 2.0]}),
            "duplicate timestamp 2000-01 at rows 1 and 2",
        ),
        (
            pd.DataFrame({"month": ["2000-02", "2000-01"], "sales": [1.0, 2.0]}),
            r"not in time order: row 2 \(2000-01\) comes after row 1 \(2000-02\)",
        ),
        (
            pd.DataFrame({"month": ["2000-01", None], "sales": [1.0, 2.0]}),
            "empty time value at row 2",
        ),
        (
            pd.DataFrame({"month": pd.to_datetime(["2000-01-01", None]), "sales": [1.0, 2.0]}),
            "empty time value at row 2",
        ),
        (
            pd.DataFrame({"month": ["2000-01", "2000-02", "2000-03"], "sales": [1.0, None, 3]}),
            r"column 'sales' has 1 missing values \(first at row 2\)",
        ),
        (
            pd.DataFrame({"month": ["2000-01", "2000-02"], "sales": [1.0, 1e39]}),
            "value 1e[+]39 at row 2 is infinite or too large",
        ),
        (pd.DataFrame({"month": pd.Series([], dtype=str), "sales": []}), "no data rows"),
    ],
)
def test_bad_parquet_files_name_the_row(frame: pd.DataFrame, message: str, tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    frame.to_parquet(path, index=False)
    with pytest.raises(DataError, match=message) as caught:
        load_dataset(config(path))
    assert str(caught.value.where) == str(path)


def test_parquet_over_the_caps_or_not_parquet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    monthly_frame(30).to_parquet(path, index=False)
    assert len(load_dataset(config(path, max_rows=30)).series[0]) == 30
    with pytest.raises(DataError, match=r"more than 29 rows \(data.max_rows\)"):
        load_dataset(config(path, max_rows=29))
    path.write_text("month,sales\n2000-01,1\n")  # a CSV by another name
    with pytest.raises(DataError, match="not a readable Parquet file"):
        load_dataset(config(path))
    with pytest.raises(DataError, match="data file not found"):
        load_dataset(config(tmp_path / "absent.parquet"))


@pytest.mark.parametrize("header", ["month,sales ", "month, sales", " month , sales"])
@pytest.mark.parametrize("fast", [False, True], ids=["c-parser", "pyarrow"])
def test_spaces_around_header_names_are_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, header: str, fast: bool
) -> None:
    if fast:  # the parser big files go through
        monkeypatch.setattr("lstm_forecast.data.read.PYARROW_FROM_BYTES", 0)
    dataset = load_text(tmp_path, f"{header}\n2000-01,1\n2000-02,2\n2000-03,3\n")
    assert dataset.series[0].values[:, 0].tolist() == [1, 2, 3]


def test_a_name_repeated_but_for_spaces_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="column 'sales' appears more than once"):
        load_text(tmp_path, "month,sales,sales \n2000-01,1,2\n")


@pytest.mark.parametrize(
    "text",
    [
        "store,month,sales\na,2000-01,1\na,2000-02,2\nb,2000-01,3\nb,2000-02,4\n",
        "store,month,sales\na,2000-01,1\nb,2000-01,3\na,2000-02,2\nb,2000-02,4\n",
    ],
    ids=["one-after-another", "interleaved"],
)
def test_a_long_format_file_read_as_one_series_points_to_id_column(
    tmp_path: Path, text: str
) -> None:
    with pytest.raises(DataError, match=r"set data\.id_column to the column that names them"):
        load_text(tmp_path, text)
    # With the id column named, the same file reads as two series.
    assert len(load_text(tmp_path, text, id_column="store").series) == 2


def test_month_starts_read_with_month_ends_name_the_frequency_to_set(tmp_path: Path) -> None:
    text = "month,sales\n" + "".join(f"2000-{m:02d}-01,{m}\n" for m in range(1, 13))
    with pytest.raises(DataError) as raised:
        load_text(tmp_path, text, freq="ME")
    assert "the timestamps look like frequency MS: set data.freq: MS" in str(raised.value)


@pytest.mark.parametrize(
    ("alias", "hint"),
    [
        ("M", "month starts as MS and month ends as ME"),
        ("Q", "quarter starts as QS"),
        ("Y", "year starts as YS"),
    ],
)
def test_a_retired_frequency_alias_names_the_current_ones(alias: str, hint: str) -> None:
    with pytest.raises(ValueError, match=hint):
        config(Path("d.csv"), freq=alias)


def test_messages_write_times_as_the_file_does(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"duplicate timestamp 1905 at lines 3 and 4"):
        load_text(tmp_path, "month,sales\n1904,1\n1905,2\n1905,3\n")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_file_wider_than_the_column_cap_is_refused_before_its_rows_are_read(
    suffix: str, tmp_path: Path
) -> None:
    frame = monthly_frame(24)
    wide = pd.concat(
        [
            frame,
            pd.DataFrame(
                np.zeros((24, MAX_COLUMNS - 1)), columns=[f"c{k}" for k in range(MAX_COLUMNS - 1)]
            ),
        ],
        axis=1,
    )
    path = tmp_path / f"wide{suffix}"
    if suffix == ".csv":
        wide.to_csv(path, index=False)
    else:
        wide.to_parquet(path, index=False)
    cfg = DataConfig(path=path, time_column="month", target="sales")
    with pytest.raises(DataError, match=f"{MAX_COLUMNS + 1} columns, more than the {MAX_COLUMNS}"):
        load_dataset(cfg)
    at_cap = tmp_path / f"cap{suffix}"
    narrower = wide.drop(columns=["c0"])
    if suffix == ".csv":
        narrower.to_csv(at_cap, index=False)
    else:
        narrower.to_parquet(at_cap, index=False)
    assert (
        len(load_dataset(DataConfig(path=at_cap, time_column="month", target="sales")).series) == 1
    )
