"""``training.memory_budget_mb`` (issue 38, item 1): past it, a training's rows live in
files mapped into memory and a Parquet file is read a chunk of its series at a time; the
load gives the same series, and the training the same bundle, as one held in memory."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_forecast.config import DataConfig
from lstm_forecast.data import Dataset, load_dataset, row_files
from lstm_forecast.data.chunked import RowsPlan, load_planned, plan_rows
from lstm_forecast.data.row_files import ALIGNMENT, row_array, rows_in_files
from lstm_forecast.data.share import Share
from lstm_forecast.errors import DataError, EnvironmentFailure

from .helpers import assert_one_line_error, run_cli, run_process, write_config


def shuffled_stores(path: Path, n: int = 9, *, grouped: bool = False) -> Path:
    """``n`` daily series of different spans in one long Parquet file; their rows
    interleaved (unless ``grouped``), one series' ids written with spaces around them,
    one with a gap, one whose last row misses its value."""
    rng = np.random.default_rng(3)
    frames = []
    for k in range(n):
        days = pd.date_range(f"2020-01-{1 + k:02d}", periods=60 + 5 * k, freq="D")
        sales = (10 + 3 * np.sin(np.arange(len(days)) / 2) + rng.normal(size=len(days))).round(3)
        frame = pd.DataFrame({"store": f"s{k}", "day": days, "sales": sales})
        frames.append(frame)
    frames[2] = frames[2].drop(index=[10, 11])
    frames[4].loc[frames[4].index[-1], "sales"] = np.nan
    frames[5]["store"] = " s5 "
    frame = pd.concat(frames, ignore_index=True)
    if not grouped:
        frame = frame.sample(frac=1.0, random_state=1).sort_values("day", kind="stable")
    frame.to_parquet(path, index=False)
    return path


def config(path: Path) -> DataConfig:
    return DataConfig(
        path=path, time_column="day", target="sales", id_column="store", missing="interpolate"
    )


def same(a: Dataset, b: Dataset) -> bool:
    return (
        [s.id for s in a.series] == [s.id for s in b.series]
        and (a.freq, a.sha256, a.time_format) == (b.freq, b.sha256, b.time_format)
        and all(
            x.index.equals(y.index)
            and np.array_equal(x.values, y.values, equal_nan=True)
            and (x.left_out_tail, x.left_out_line, x.first_line)
            == (y.left_out_tail, y.left_out_line, y.first_line)
            for x, y in zip(a.series, b.series, strict=True)
        )
    )


def in_files(folder: Path, chunks: int) -> RowsPlan:
    return RowsPlan(rows=1, in_memory=1, budget=1, folder=folder, chunks=chunks)


@pytest.mark.parametrize("grouped", [False, True])
@pytest.mark.parametrize("chunks", [1, 2, 5, 40])
def test_a_load_in_chunks_gives_the_series_of_a_whole_load(
    chunks: int, grouped: bool, tmp_path: Path
) -> None:
    data = shuffled_stores(tmp_path / "stores.parquet", grouped=grouped)
    whole = load_dataset(config(data))
    with rows_in_files(tmp_path):
        chunked = load_planned(config(data), in_files(tmp_path, chunks))
    assert same(whole, chunked)
    # Every series' values are a view of one array in a file, not of the chunk's frame.
    bases = {id(np.asarray(s.values).base) for s in chunked.series}
    assert len(bases) <= chunks


def test_a_share_in_chunks_is_the_share_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = shuffled_stores(tmp_path / "stores.parquet")
    share = Share(1, 2)
    with caplog.at_level("INFO"):
        whole = load_dataset(config(data), share=share)
    said = [m for m in caplog.messages if "read its share" in m]
    caplog.clear()
    with rows_in_files(tmp_path), caplog.at_level("INFO"):
        chunked = load_planned(config(data), in_files(tmp_path, 3), share)
    assert same(whole, chunked)
    assert said == [m for m in caplog.messages if "read its share" in m]
    assert said[0].startswith("worker 1 of 2 read its share")


def test_a_load_in_chunks_reports_a_bad_row_by_its_row_in_the_file(tmp_path: Path) -> None:
    frame = pd.read_parquet(shuffled_stores(tmp_path / "stores.parquet", grouped=True))
    frame.loc[100, "store"] = "  "
    frame.to_parquet(tmp_path / "bad.parquet", index=False)
    with pytest.raises(DataError) as whole:
        load_dataset(config(tmp_path / "bad.parquet"))
    with rows_in_files(tmp_path), pytest.raises(DataError) as chunked:
        load_planned(config(tmp_path / "bad.parquet"), in_files(tmp_path, 3))
    assert "row 101" in str(whole.value) and str(chunked.value) == str(whole.value)


def test_the_plan_keeps_rows_in_memory_where_they_fit(tmp_path: Path) -> None:
    data = shuffled_stores(tmp_path / "stores.parquet")
    rows = len(pd.read_parquet(data))
    assert plan_rows(config(data), None).folder is None
    roomy = plan_rows(config(data), 1)  # 1 MiB: about 30,000 of these rows fit
    assert (roomy.rows, roomy.folder, roomy.chunks) == (rows, None, 1)
    assert plan_rows(config(data), 1, Share(0, 2)).rows == -(-rows // 2)


def test_the_plan_reads_a_file_past_the_budget_in_chunks(tmp_path: Path) -> None:
    days = pd.date_range("2020-01-01", periods=2000, freq="D")
    frame = pd.DataFrame(
        {"store": np.repeat([f"s{k}" for k in range(40)], len(days)), "day": np.tile(days, 40)}
    ).assign(sales=1.0)
    frame.to_parquet(tmp_path / "big.parquet", index=False)
    # 80,000 rows: about 2.4 MiB in memory, 5.2 MiB while read (68 bytes a row)
    plan = plan_rows(config(tmp_path / "big.parquet"), 1)
    assert plan.folder is not None and plan.chunks == 6
    assert "80,000 rows would take about 2.4 MiB in memory" in plan.describe()
    csv = tmp_path / "big.csv"
    frame.to_csv(csv, index=False)
    as_csv = plan_rows(config(csv), 1)
    assert as_csv.folder is not None and as_csv.chunks == 1  # a CSV is parsed whole
    assert 70_000 < as_csv.rows < 90_000


@given(
    shape=st.tuples(st.integers(0, 300), st.integers(1, 4)),
    kind=st.sampled_from([np.float32, np.float64, np.int32]),
)
@settings(max_examples=25, deadline=None)
def test_a_row_array_in_a_file_holds_what_is_written(
    shape: tuple[int, int], kind: type, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("rows")
    with rows_in_files(folder):
        rows = row_array(shape, kind)
    assert rows.shape == shape and rows.dtype == kind
    assert rows.size == 0 or rows.ctypes.data % ALIGNMENT == 0
    written = np.arange(np.prod(shape)).reshape(shape).astype(kind)
    rows[:] = written
    assert np.array_equal(rows, written)
    assert os.listdir(folder) == []  # the file has no name: nothing is left behind


def test_a_folder_that_cannot_hold_the_rows_is_an_environment_failure(tmp_path: Path) -> None:
    with rows_in_files(tmp_path / "missing"), pytest.raises(EnvironmentFailure) as failed:
        row_array((10, 3), np.float32)
    assert "TMPDIR" in str(failed.value) and str(tmp_path / "missing") in str(failed.value)


def long_stores(path: Path, n: int = 40, days: int = 1000) -> Path:
    """``n`` daily series of ``days`` rows: past a budget of 1 MiB."""
    rng = np.random.default_rng(4)
    t = np.arange(days)
    frame = pd.DataFrame(
        {
            "store": np.repeat([f"s{k}" for k in range(n)], days),
            "day": np.tile(pd.date_range("2020-01-01", periods=days, freq="D"), n),
            "sales": (10 + 3 * np.sin(2 * np.pi * t / 7) + rng.normal(size=(n, days))).ravel(),
        }
    )
    frame.to_parquet(path, index=False)
    return path


def stores_config(folder: Path, data: Path, budget: int | None, run: str) -> Path:
    """A config of ``long_stores``' data: 2 epochs, ``training.memory_budget_mb: budget``."""
    return write_config(
        folder,
        data,
        data={"time_column": "day", "id_column": "store"},
        window={"lookback": 14, "horizon": 7},
        split={"validation": 14, "test": 7},
        training={"epochs": 2, "memory_budget_mb": budget},
        output={"dir": str(folder / run)},
    )


@pytest.mark.slow
def test_a_training_past_its_budget_writes_the_bundle_of_one_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = long_stores(tmp_path / "stores.parquet")
    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    errs = {}
    for budget in (None, 1):
        ran = run_cli("train", stores_config(tmp_path, data, budget, f"run_{budget}"))
        assert ran.code == 0, ran.err
        errs[budget] = ran.err
    assert "40,000 rows would take about 1.2 MiB in memory" in errs[1] and "in 3 chunks" in errs[1]
    assert "kept in files" not in errs[None]
    for name in ("metrics.json", "preprocessing.json"):
        kept = json.loads((tmp_path / "run_1" / name).read_text())
        assert kept == json.loads((tmp_path / "run_None" / name).read_text()), name


def test_freed_memory_is_given_back_where_the_c_library_can(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trims: list[int] = []

    class Library:
        def malloc_trim(self, pad: int) -> int:
            trims.append(pad)
            return 1

    monkeypatch.setattr(row_files, "_C_LIBRARY", Library())
    row_files.give_back_freed_memory()
    assert trims == [0]
    monkeypatch.setattr(row_files, "_C_LIBRARY", None)
    row_files.give_back_freed_memory()  # no C library: nothing to give back, no error
    assert trims == [0]


def test_rows_with_no_room_in_their_folder_stop_train_with_exit_4(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = long_stores(tmp_path / "stores.parquet")
    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))
    ran = run_cli("train", stores_config(tmp_path, data, 1, "run"))
    assert ran.code == 4, ran.err
    assert "cannot keep" in ran.err and "TMPDIR" in ran.err and str(tmp_path / "gone") in ran.err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("name", ["missing.csv", "missing.parquet"])
def test_a_missing_data_file_under_a_budget_is_refused_with_exit_2(
    name: str, tmp_path: Path
) -> None:
    path = stores_config(tmp_path, tmp_path / name, 1, "run")
    # A real process for the CSV, whose row estimate is the budget's own reading.
    ran = run_process("train", path) if name.endswith(".csv") else run_cli("train", path)
    assert_one_line_error(ran.code, ran.err, 2, f"{tmp_path / name}: data file not found")


def test_a_tmpdir_that_cannot_hold_the_rows_stops_train_with_exit_4(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = long_stores(tmp_path / "stores.parquet")
    gone = tmp_path / "unmounted"
    env = {**os.environ, "TMPDIR": str(gone)}
    ran = run_process("train", stores_config(tmp_path, data, 1, "run"), env=env)
    assert_one_line_error(ran.code, ran.err, 4, f"{gone}: TMPDIR names a folder that is missing")
    assert not (tmp_path / "run").exists()
    monkeypatch.setenv("TMPDIR", str(gone))
    with pytest.raises(EnvironmentFailure, match="TMPDIR names a folder"):
        plan_rows(config(data), 1)
    # Within the budget the rows stay in memory: TMPDIR is not read.
    assert plan_rows(config(data), 100).folder is None
