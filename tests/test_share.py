"""One worker of several reads only its share of the series (issue 38, item 2): a stable
hash of each id picks the worker, whatever the file's format or row order."""

from __future__ import annotations

import logging
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstm_forecast.config import DataConfig
from lstm_forecast.data import Dataset, load_dataset
from lstm_forecast.data import share as share_module
from lstm_forecast.data.share import ALONE, Share, pooled, pooled_median, pooled_sum
from lstm_forecast.errors import DataError

from .helpers import run_workers


def long_frame(ids: list[str], rows: int = 30, *, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2021-03-01", periods=rows, freq="D")
    return pd.concat(
        [
            pd.DataFrame({"store": name, "day": days, "sales": rng.normal(size=rows).round(3)})
            for name in ids
        ],
        ignore_index=True,
    )


def config(path: Path) -> DataConfig:
    return DataConfig(path=path, time_column="day", target="sales", id_column="store", freq="D")


def write(frame: pd.DataFrame, folder: Path, form: str) -> Path:
    if form == "csv":
        path = folder / "sales.csv"
        frame.assign(day=frame["day"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    elif form == "parquet":
        path = folder / "sales.parquet"
        frame.to_parquet(path, index=False)
    else:  # a hive-partitioned dataset
        path = folder / "parts"
        frame.to_parquet(path, partition_cols=["store"], index=False)
    return path


def by_id(dataset: Dataset) -> dict[str | None, pd.Series]:
    return {s.id: pd.Series(s.values[:, 0], index=s.index) for s in dataset.series}


def test_a_share_is_a_hash_of_the_id_not_a_place_in_the_file() -> None:
    """CRC-32 of the id's UTF-8 text, modulo the workers: the same on any machine."""
    assert [Share(k, 2).holds("store 7") for k in range(2)] == [
        zlib.crc32(b"store 7") % 2 == k for k in range(2)
    ]
    assert sum(Share(k, 3).holds("Zürich") for k in range(3)) == 1
    with pytest.raises(ValueError, match="share 2 of 2"):
        Share(2, 2)


@pytest.mark.parametrize("form", ["csv", "parquet", "dataset"])
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    n_series=st.integers(4, 12),
    workers=st.integers(2, 3),
    shuffled=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_the_shares_are_the_whole_file_each_series_once(
    tmp_path_factory: pytest.TempPathFactory,
    form: str,
    n_series: int,
    workers: int,
    shuffled: bool,
    seed: int,
) -> None:
    frame = long_frame([f" s{k} " for k in range(n_series)], seed=seed)  # spaces: stripped
    if shuffled:  # series interleaved row by row: the shares do not depend on the order
        rank = frame["store"].map(
            dict(
                zip(
                    frame["store"].unique(),
                    np.random.default_rng(seed).permutation(n_series),
                    strict=True,
                )
            )
        )
        frame = frame.assign(rank=rank).sort_values(["day", "rank"]).drop(columns="rank")
        frame = frame.reset_index(drop=True)
    path = write(frame, tmp_path_factory.mktemp(form), form)
    whole = by_id(load_dataset(config(path)))
    parts: dict[str | None, pd.Series] = {}
    for index in range(workers):
        share = Share(index, workers)
        try:
            got = by_id(load_dataset(config(path), share=share))
        except DataError as refused:  # a hash may give a worker nothing of a few series
            assert "has no series to train on" in refused.message
            assert not any(share.holds(name) for name in whole if name is not None)
            continue
        assert all(name is not None and share.holds(name) for name in got)
        assert not set(got) & set(parts)
        parts.update(got)
    assert sorted(parts, key=str) == sorted(whole, key=str)
    assert all(parts[name].equals(whole[name]) for name in whole)


@pytest.mark.parametrize("form", ["csv", "parquet"])
def test_a_share_logs_what_it_read_and_names_the_file_s_row_at_fault(
    tmp_path: Path, form: str, caplog: pytest.LogCaptureFixture
) -> None:
    ids = ["a", "b", "c", "d", "e", "f"]
    frame = long_frame(ids, rows=10)
    mine = [name for name in ids if Share(1, 2).holds(name)]
    assert 0 < len(mine) < len(ids)
    last = frame.index[frame["store"] == mine[-1]][-1]
    frame.loc[last - 3, "day"] = frame.loc[last - 4, "day"]  # a repeated time
    path = write(frame, tmp_path, form)
    with caplog.at_level(logging.INFO), pytest.raises(DataError) as caught:
        load_dataset(config(path), share=Share(1, 2))
    word, first = ("line", 2) if form == "csv" else ("row", 1)  # the file's numbering
    at = f"{word}s {last - 4 + first} and {last - 3 + first}"
    assert f"duplicate timestamp 2021-03-06 at {at}" in caught.value.message
    assert (
        f"worker 1 of 2 read its share of the series (by a hash of the series id): "
        f"{len(mine)} of 6 series, {10 * len(mine)} of 60 rows"
    ) in caplog.text


def test_a_share_of_one_series_is_the_whole_file(tmp_path: Path) -> None:
    frame = long_frame(["only"]).drop(columns="store")
    path = write(frame, tmp_path, "parquet")
    cfg = DataConfig(path=path, time_column="day", target="sales", freq="D")
    for index in range(2):
        assert len(load_dataset(cfg, share=Share(index, 2)).series[0].index) == 30


def test_a_missing_id_is_reported_by_every_worker(tmp_path: Path) -> None:
    frame = long_frame(["a", "b", "c", "d"], rows=5)
    frame["store"] = frame["store"].astype(object)
    frame.loc[7, "store"] = None
    path = write(frame, tmp_path, "parquet")
    for index in range(2):
        with pytest.raises(DataError, match="empty id at row 8"):
            load_dataset(config(path), share=Share(index, 2))


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        st.floats(0.0, 1e6, allow_nan=False) | st.sampled_from([1.0, 2.0, 3.0]),
        min_size=1,
        max_size=200,
    ),
    workers=st.integers(2, 4),
    gathered=st.sampled_from([1, 4, 1 << 16]),
    seed=st.integers(0, 1000),
)
def test_the_pooled_median_is_the_median_of_every_worker_s_values(
    values: list[float], workers: int, gathered: int, seed: int
) -> None:
    owner = np.random.default_rng(seed).integers(0, workers, len(values))
    array = np.array(values)
    with pytest.MonkeyPatch.context() as patch:  # few gathered: many halvings first
        patch.setattr(share_module, "MEDIAN_GATHERED", gathered)
        medians = run_workers(workers, lambda w: pooled_median(w, array[owner == w.share.index]))
    assert medians == [pytest.approx(float(np.median(array)), rel=1e-12)] * workers


def test_one_worker_pools_its_own_values() -> None:
    values = np.array([3.0, 1.0, 2.0, 10.0])
    assert pooled_median(ALONE, values) == float(np.median(values))
    assert pooled(ALONE, values) is values
    assert pooled_sum(ALONE, 4) == 4
