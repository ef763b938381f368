"""A folder of Parquet files (hive-style partitions, ``store=s0/``), or a glob of them,
reads as the one file they split (issue 38, item 2's data): for train, predict and
evaluate alike, which all load through ``load_dataset``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.config import DataConfig
from lstm_forecast.data import Dataset, load_dataset
from lstm_forecast.data.load import load_tails
from lstm_forecast.errors import DataError


def stores(folder: Path, n: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frames = []
    for k in range(n):
        days = pd.date_range("2020-01-01", periods=40 + k, freq="D")
        sales = rng.normal(size=len(days)).round(3)
        frames.append(pd.DataFrame({"store": f"s{k}", "day": days, "sales": sales}))
    frame = pd.concat(frames, ignore_index=True)
    frame.to_parquet(folder / "one.parquet", index=False)
    frame.to_parquet(folder / "parts", partition_cols=["store"], index=False)
    (folder / "files").mkdir()
    for k, part in enumerate(frames):
        part.to_parquet(folder / "files" / f"part{k}.parquet", index=False)
    return frame


def config(path: Path, **caps: int) -> DataConfig:
    return DataConfig(
        path=path, time_column="day", target="sales", id_column="store", freq="D", **caps
    )


def same_series(a: Dataset, b: Dataset, last: int | None = None) -> bool:
    tails = slice(-last, None) if last else slice(None)
    return [s.id for s in a.series] == [s.id for s in b.series] and all(
        x.index[tails].equals(y.index) and np.array_equal(x.values[tails], y.values)
        for x, y in zip(a.series, b.series, strict=True)
    )


@pytest.mark.parametrize("name", ["parts", "files", "files/*.parquet", "files/part[0-4].parquet"])
def test_a_dataset_reads_as_the_file_it_splits(name: str, tmp_path: Path) -> None:
    stores(tmp_path)
    one = load_dataset(config(tmp_path / "one.parquet"))
    assert same_series(one, load_dataset(config(tmp_path / name)))
    tails = load_tails(config(tmp_path / name), tmp_path / name, 6)
    assert tails is not None and same_series(one, tails, last=6)


def test_the_data_fingerprint_follows_every_file(tmp_path: Path) -> None:
    stores(tmp_path)
    before = load_dataset(config(tmp_path / "files")).sha256
    pd.read_parquet(tmp_path / "files" / "part3.parquet").assign(sales=1.0).to_parquet(
        tmp_path / "files" / "part3.parquet", index=False
    )
    assert load_dataset(config(tmp_path / "files")).sha256 != before


@pytest.mark.parametrize("name", ["empty", "files/*.csv"])
def test_a_folder_or_pattern_without_parquet_files_is_refused(name: str, tmp_path: Path) -> None:
    stores(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no Parquet file"):
        load_dataset(config(tmp_path / name))


def test_the_caps_count_every_file(tmp_path: Path) -> None:
    stores(tmp_path)
    with pytest.raises(DataError, match="more than 100 rows"):
        load_dataset(config(tmp_path / "parts", max_rows=100))
    big = tmp_path / "big"
    big.mkdir()
    rng = np.random.default_rng(1)
    for k in range(3):  # each about 0.5 MB, under the cap; together over it
        noise = pd.DataFrame({"sales": rng.normal(size=65_000)})
        noise.to_parquet(big / f"part{k}.parquet", index=False, compression=None)
    with pytest.raises(DataError, match=r"the files are \d+ MB, over data\.max_file_mb \(1\)"):
        load_dataset(config(big, max_file_mb=1))
