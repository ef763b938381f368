"""Predict reads only each series' last rows of a Parquet file (issue 38, item 3): the
rows it keeps are the whole file's last rows, whatever the batches it reads, and where
they would not give what the whole file gives it reads the whole file."""

from __future__ import annotations

import dataclasses
import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_forecast.bundle.layout import Bundle
from lstm_forecast.bundle.store import load_bundle
from lstm_forecast.config import DataConfig
from lstm_forecast.data import load_dataset
from lstm_forecast.data import parquet as parquet_module
from lstm_forecast.data.load import load_tails
from lstm_forecast.data.tail_rows import TailRows
from lstm_forecast.errors import DataError
from lstm_forecast.workflows.predict import forecast_bundle

from .helpers import TINY, monthly_frame, run_cli, sets, write_config, write_csv, write_long_csv

GOLDEN = Path(__file__).parent / "fixtures" / "golden"


def long_frame(lengths: list[int], order: list[int]) -> pd.DataFrame:
    """Daily series of ``lengths`` rows, their rows interleaved in the file as ``order``
    draws from them (each series' rows stay in time order)."""
    pending = {k: 0 for k in range(len(lengths))}
    rows = []
    for pick in order + [k for k, n in enumerate(lengths) for _ in range(n)]:
        if pending[pick] < lengths[pick]:
            step = pending[pick]
            day = pd.Timestamp("2020-01-01") + pd.Timedelta(days=step + 3 * pick)
            rows.append((f" item{pick}" if pick % 2 else f"item{pick}", day, 10.0 * pick + step))
            pending[pick] += 1
    return pd.DataFrame(rows, columns=["item", "day", "sales"])


def config(path: Path) -> DataConfig:
    return DataConfig(path=path, time_column="day", target="sales", id_column="item", freq="D")


@settings(max_examples=30, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 30), min_size=1, max_size=5),
    order=st.lists(st.integers(0, 4), max_size=60),
    keep=st.integers(1, 12),
    batch=st.integers(1, 40),
)
def test_the_tails_are_the_last_rows_of_the_whole_file(
    lengths: list[int],
    order: list[int],
    keep: int,
    batch: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    order = [k for k in order if k < len(lengths)]
    path = tmp_path_factory.mktemp("tails") / "long.parquet"
    long_frame(lengths, order).to_parquet(path, index=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parquet_module, "TAIL_BATCH_ROWS", batch)
        tails = load_tails(config(path), path, keep)
    whole = load_dataset(config(path))
    assert tails is not None
    assert [s.id for s in tails.series] == [s.id for s in whole.series]
    for mine, full in zip(tails.series, whole.series, strict=True):
        assert mine.index.equals(full.index[-keep:])
        np.testing.assert_array_equal(mine.values, full.values[-keep:])


def test_the_rows_stored_stay_about_twice_the_tails_however_long_the_file() -> None:
    """Series interleaved row by row (a file sorted by time): each batch stores its own
    last rows of every series, and those no series still counts among its last are
    dropped once they outnumber the kept ones, so memory holds the tails, not the file."""
    import pyarrow as pa

    keep, n_series, batch_rows = 3, 4, 8
    frame = long_frame([60] * n_series, [k % n_series for k in range(60 * n_series)])
    table = pa.Table.from_pandas(frame, preserve_index=False)
    rows = TailRows(keep)
    for batch in table.to_batches(max_chunksize=batch_rows):
        assert rows.add(batch, "item", "day")
        assert rows.n_stored <= 2 * keep * n_series + batch_rows
    tails = rows.result("item")
    assert tails is not None
    by_series = frame.groupby(frame["item"].str.strip(), sort=False)
    whole = pd.concat([rows_of_one.tail(keep) for _, rows_of_one in by_series])
    assert tails.frame["sales"].tolist() == whole["sales"].tolist()
    assert tails.rows.tolist() == whole.index.tolist()


@pytest.mark.parametrize(
    "change",
    ["times as text", "rows out of order", "an empty id", "a missing id"],
)
def test_a_file_only_the_whole_of_which_can_be_judged_is_read_whole(
    change: str, tmp_path: Path
) -> None:
    frame = long_frame([10, 10], [])
    if change == "times as text":
        frame["day"] = frame["day"].dt.strftime("%Y-%m-%d")
    elif change == "rows out of order":
        frame.iloc[[2, 3]] = frame.iloc[[3, 2]].to_numpy()
    elif change == "an empty id":
        frame.loc[4, "item"] = "  "
    else:
        frame.loc[4, "item"] = None
    path = tmp_path / "long.parquet"
    frame.to_parquet(path, index=False)
    assert load_tails(config(path), path, 3) is None
    if change != "times as text":
        with pytest.raises(DataError):  # the whole file's reader says what is wrong
            load_dataset(config(path))


def golden_parquet(tmp_path: Path) -> tuple[Path, Path]:
    bundle = Path(shutil.copytree(GOLDEN / "bundle", tmp_path / "bundle"))
    frame = pd.read_csv(GOLDEN / "sales.csv")
    path = tmp_path / "sales.parquet"
    frame.assign(month=pd.to_datetime(frame["month"])).to_parquet(path, index=False)
    return bundle, path


def network_served(run_dir: Path) -> Bundle:
    """The golden bundle, serving its network's forecast (it serves the smoothing one)."""
    bundle = load_bundle(run_dir)
    pre = bundle.preprocessing
    network = pre.with_served(dataclasses.replace(pre.served, source="network"))
    return dataclasses.replace(bundle, preprocessing=network)


def test_predict_reads_the_tails_and_forecasts_as_from_the_whole_file(tmp_path: Path) -> None:
    run_dir, data = golden_parquet(tmp_path)
    bundle = network_served(run_dir)
    tails = forecast_bundle(bundle, data, tails=True)
    whole = forecast_bundle(bundle, data, tails=False)
    lookback = bundle.preprocessing.lookback
    assert [len(s) for s in tails.dataset.series] == [lookback]
    assert len(whole.dataset.series[0]) > lookback
    assert tails.to_csv() == whole.to_csv()


def test_a_bundle_serving_the_whole_history_smoothing_forecast_reads_every_row(
    tmp_path: Path,
) -> None:
    run_dir, data = golden_parquet(tmp_path)
    bundle = load_bundle(run_dir)
    assert bundle.preprocessing.served.uses_smoothing
    tails = forecast_bundle(bundle, data, tails=True)
    assert len(tails.dataset.series[0]) == 72
    assert tails.to_csv() == forecast_bundle(bundle, data, tails=False).to_csv()


@pytest.mark.parametrize("gap", [3, 11])  # inside the tail; at its first row
def test_a_missing_value_in_the_tails_forecasts_as_the_whole_file(gap: int, tmp_path: Path) -> None:
    run_dir, data = golden_parquet(tmp_path)
    frame = pd.read_parquet(data)
    frame.loc[len(frame) - 1 - gap, "sales"] = np.nan
    frame.to_parquet(data, index=False)
    bundle = network_served(run_dir)
    for missing in ("interpolate", "ffill"):
        whole = forecast_bundle(bundle, data, missing=missing, tails=False)
        tails = forecast_bundle(bundle, data, missing=missing, tails=True)
        assert tails.to_csv() == whole.to_csv()


@pytest.mark.slow
def test_predict_of_a_long_parquet_file_writes_what_its_csv_gives(tmp_path: Path) -> None:
    frames = {f"s{k}": monthly_frame(72, seed=k) for k in range(4)}
    data = write_long_csv(tmp_path / "stores.csv", frames)
    config = write_config(tmp_path, data, data={"id_column": "store"})
    network = ("model.serve=network", "model.baseline=seasonal_naive")
    ran = run_cli("train", config, "--quiet", *sets(*TINY, *network))
    assert ran.code == 0, ran.err
    frame = pd.read_csv(data)
    unseen = frame[frame["store"] == "s0"].assign(store="new")
    for name, rows in (("known", frame), ("with an unseen series", pd.concat([frame, unseen]))):
        csv = write_csv(tmp_path / f"{name}.csv", rows)
        parquet = tmp_path / f"{name}.parquet"
        rows.assign(month=pd.to_datetime(rows["month"])).to_parquet(parquet, index=False)
        from_csv = run_cli("predict", tmp_path / "run", "--data", csv)
        from_parquet = run_cli("predict", tmp_path / "run", "--data", parquet)
        assert from_csv.code == from_parquet.code == 0, from_parquet.err
        # Times come back as the file wrote them: text months, timestamps as dates.
        as_csv = pd.read_csv(io.StringIO(from_csv.out))
        as_parquet = pd.read_csv(io.StringIO(from_parquet.out))
        assert as_parquet.drop(columns="month").equals(as_csv.drop(columns="month")), name
        read_tails = "rows of each series, all a forecast reads" in from_parquet.err
        assert read_tails == (name == "known")
    # A folder of partitions (store=s0/...) forecasts as the file.
    partitioned = tmp_path / "partitioned"
    frame.assign(month=pd.to_datetime(frame["month"])).to_parquet(
        partitioned, partition_cols=["store"], index=False
    )
    from_folder = run_cli("predict", tmp_path / "run", "--data", partitioned)
    assert from_folder.code == 0, from_folder.err
    from_file = run_cli("predict", tmp_path / "run", "--data", tmp_path / "known.parquet")
    assert from_folder.out == from_file.out


@settings(max_examples=30, deadline=None)
@given(
    lengths=st.lists(st.integers(2, 20), min_size=1, max_size=4),
    order=st.lists(st.integers(0, 3), max_size=40),
    swap=st.tuples(st.integers(0, 10_000), st.integers(1, 19)),
    batch=st.integers(1, 30),
)
def test_rows_out_of_order_anywhere_read_the_whole_file(
    lengths: list[int],
    order: list[int],
    swap: tuple[int, int],
    batch: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Two rows of a series swapped, within a batch or across batches, and however few
    rows the tails keep: the tails are refused, as the whole file's reader refuses it."""
    order = [k for k in order if k < len(lengths)]
    frame = long_frame(lengths, order)
    rows = frame.index[frame["item"] == frame["item"].iloc[swap[0] % len(frame)]]
    first, second = rows[0], rows[min(swap[1], len(rows) - 1)]
    frame.iloc[[first, second]] = frame.iloc[[second, first]].to_numpy()
    path = tmp_path_factory.mktemp("swapped") / "long.parquet"
    frame.to_parquet(path, index=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parquet_module, "TAIL_BATCH_ROWS", batch)
        assert load_tails(config(path), path, 2) is None
    with pytest.raises(DataError):
        load_dataset(config(path))
