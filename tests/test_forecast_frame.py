"""``forecast_frame``: a pandas frame of whole series forecast with a bundle, as predict
forecasts a file (issue 38, item 4); mapped by Dask over the partitions of a Parquet
dataset on a LocalCluster, the same numbers as one process, bit for bit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import lstm_forecast as lf
from lstm_forecast.errors import DataError

from .helpers import TINY, monthly_frame, run_cli, sets, write_config, write_long_csv

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
STORES = 6


def _golden(tmp_path: Path) -> Path:
    return Path(shutil.copytree(GOLDEN / "bundle", tmp_path / "bundle"))


def test_a_frame_forecasts_as_predict_forecasts_its_file(tmp_path: Path) -> None:
    frame = pd.read_csv(GOLDEN / "sales.csv")
    forecast = lf.forecast_frame(_golden(tmp_path), frame)
    assert forecast.to_csv(index=False, float_format="%.8g") == (GOLDEN / "forecast.csv").read_text(
        encoding="utf-8"
    )


def test_times_as_timestamps_give_the_same_numbers(tmp_path: Path) -> None:
    frame = pd.read_csv(GOLDEN / "sales.csv")
    as_text = lf.forecast_frame(_golden(tmp_path), frame)
    stamped = frame.assign(month=pd.to_datetime(frame["month"]))
    as_times = lf.forecast_frame(tmp_path / "bundle", stamped)
    assert as_times["sales"].to_numpy().tobytes() == as_text["sales"].to_numpy().tobytes()


def test_a_frame_without_a_column_the_bundle_reads_is_refused(tmp_path: Path) -> None:
    frame = pd.read_csv(GOLDEN / "sales.csv").rename(columns={"sales": "units"})
    with pytest.raises(DataError, match=r"the frame: no column 'sales'; the frame has 'month', "):
        lf.forecast_frame(_golden(tmp_path), frame)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """A global model over 6 monthly series, and their data."""
    folder = tmp_path_factory.mktemp("stores")
    frames = {f"s{k}": monthly_frame(72, seed=k) for k in range(STORES)}
    data = write_long_csv(folder / "stores.csv", frames)
    config = write_config(folder, data, data={"id_column": "store"})
    ran = run_cli("train", config, "--quiet", *sets(*TINY))
    assert ran.code == 0, ran.err
    return folder / "run", pd.read_csv(data)


@pytest.mark.slow
def test_dask_over_a_partitioned_parquet_dataset_matches_one_process_bit_for_bit(
    stores: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("dask.distributed")
    run_dir, frame = stores
    dataset = tmp_path / "stores"
    frame.to_parquet(dataset, partition_cols=["store"], index=False)  # store=s0/...parquet
    whole = lf.forecast_frame(run_dir, frame)
    parts = dd.read_parquet(dataset)
    assert parts.npartitions == STORES
    meta = whole.iloc[:0].astype({"store": "string"})

    def forecast_part(part: pd.DataFrame) -> pd.DataFrame:
        return lf.forecast_frame(run_dir, part).astype({"store": "string"})

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        spread = parts.map_partitions(forecast_part, meta=meta).compute()
    key = ["store", "month"]
    spread = spread.astype({"store": str}).sort_values(key).reset_index(drop=True)
    whole = whole.astype({"store": str}).sort_values(key).reset_index(drop=True)
    assert list(spread.columns) == list(whole.columns)
    assert spread[key].equals(whole[key])
    assert spread["sales"].to_numpy().tobytes() == whole["sales"].to_numpy().tobytes()
