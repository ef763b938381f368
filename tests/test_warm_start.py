"""Warm start: ``train --init-from RUN_DIR`` (``training.init_from``) goes on from a
compatible bundle's network, keeps its scalers and coding, records its parent, and
refuses an incompatible one naming what differs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.bundle.store import write_manifest
from lstm_forecast.files import file_sha256

from .helpers import (
    assert_one_line_error,
    monthly_frame,
    run_cli,
    run_process,
    sets,
    write_config,
    write_csv,
)

pytestmark = pytest.mark.slow

# The network's forecasts, which a warm start carries on (the smoothing one is refit).
SMALL = ("model.layers=[8]", "training.epochs=3", "model.serve=network")


@pytest.fixture(scope="module")
def parent(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A bundle trained on the first 84 months, and a file with 12 months more."""
    folder = tmp_path_factory.mktemp("parent")
    frame = monthly_frame(96)
    config = write_config(
        folder,
        write_csv(folder / "old.csv", frame.iloc[:84]),
        window={"lookback": 12, "horizon": 6},
        split={"validation": 12, "test": 6},
    )
    # Trained far enough that its forecast is not its baseline's.
    fast = ("training.learning_rate=0.01", "training.epochs=10")
    ran = run_cli("train", config, "--quiet", *sets(*SMALL, *fast))
    assert ran.code == 0, ran.err
    return folder / "run", write_csv(folder / "new.csv", frame)


def _retrain(parent_dir: Path, data: Path, out: Path, *extra: str):  # type: ignore[no-untyped-def]
    return run_cli(
        "train",
        parent_dir.parent / "config.yaml",
        "--quiet",
        "--init-from",
        parent_dir,
        *sets(*SMALL, f"data.path={data}", f"output.dir={out}", *extra),
    )


def _forecast(run_dir: Path, data: Path) -> np.ndarray:
    ran = run_cli("predict", run_dir, "--data", data)
    assert ran.code == 0, ran.err
    return pd.read_csv(pd.io.common.StringIO(ran.out))["sales"].to_numpy()


def test_a_warm_start_goes_on_from_the_parents_weights(
    parent: tuple[Path, Path], tmp_path: Path
) -> None:
    run_dir, new = parent
    # A learning rate of nearly zero leaves the weights where training started: the
    # warm-started network forecasts as its parent, the cold one as its bare baseline.
    frozen = "training.learning_rate=1.0e-12"
    assert _retrain(run_dir, new, tmp_path / "warm", frozen).code == 0
    cold = run_cli(
        "train",
        run_dir.parent / "config.yaml",
        "--quiet",
        *sets(*SMALL, f"data.path={new}", f"output.dir={tmp_path / 'cold'}", frozen),
    )
    assert cold.code == 0, cold.err
    from_parent = _forecast(run_dir, new)
    np.testing.assert_allclose(_forecast(tmp_path / "warm", new), from_parent, rtol=1e-4)
    assert not np.allclose(_forecast(tmp_path / "cold", new), from_parent, rtol=1e-3)


def test_the_child_keeps_the_scalers_and_records_its_parent(
    parent: tuple[Path, Path], tmp_path: Path
) -> None:
    run_dir, new = parent
    ran = _retrain(run_dir, new, tmp_path / "child")
    assert ran.code == 0, ran.err
    child = tmp_path / "child"
    metadata = json.loads((child / "metadata.json").read_text())
    assert metadata["parent"] == {
        "run_dir": str(run_dir.resolve()),
        "manifest_sha256": file_sha256(run_dir / "manifest.json"),
    }
    before = json.loads((run_dir / "preprocessing.json").read_text())
    after = json.loads((child / "preprocessing.json").read_text())
    assert after["series"][0]["scaler"] == before["series"][0]["scaler"]
    assert after["series"][0]["last_timestamp"] > before["series"][0]["last_timestamp"]


def test_an_incompatible_parent_is_refused_naming_each_difference(
    parent: tuple[Path, Path], tmp_path: Path
) -> None:
    run_dir, new = parent
    ran = run_process(
        "train",
        run_dir.parent / "config.yaml",
        "--init-from",
        run_dir,
        *sets(
            f"data.path={new}",
            f"output.dir={tmp_path / 'x'}",
            "window.lookback=8",
            "model.layers=[4]",
            "preprocessing.log=false",
        ),
    )
    assert ran.code == 2
    assert "training.init_from: the bundle there differs from this config in" in ran.err
    for difference in (
        "window.lookback 12 there, 8 here",
        "model.layers [8] there, [4] here",
        "preprocessing.log auto there, False here",
    ):
        assert difference in ran.err
    assert not (tmp_path / "x").exists()


def test_a_series_the_parent_never_saw_is_refused(
    parent: tuple[Path, Path], tmp_path: Path
) -> None:
    run_dir, new = parent
    frame = pd.read_csv(new)
    frame.insert(0, "store", "north")
    other = frame.assign(store="south")
    long = write_csv(tmp_path / "long.csv", pd.concat([frame, other]))
    ran = _retrain(run_dir, long, tmp_path / "x", "data.id_column=store")
    assert ran.code == 2
    assert "2 series of the data ('north', 'south') are not among those the bundle" in ran.err
    assert "trained on: one series, without data.id_column" in ran.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--set", "training.ensemble=2"), "set training.ensemble: 1"),
        ((), "not a bundle (no manifest.json)"),
    ],
)
def test_what_cannot_warm_start_is_refused(
    parent: tuple[Path, Path], tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    run_dir, new = parent
    source = run_dir if args else tmp_path  # a folder that is no bundle
    ran = run_cli(
        "train",
        run_dir.parent / "config.yaml",
        "--init-from",
        source,
        *sets(f"data.path={new}", f"output.dir={tmp_path / 'x'}"),
        *args,
    )
    assert ran.code == 2
    assert message in ran.err


@pytest.mark.parametrize("command", ["backtest", "tune"])
def test_backtest_and_tune_refuse_a_parent(
    parent: tuple[Path, Path], tmp_path: Path, command: str
) -> None:
    run_dir, _ = parent
    ran = run_cli(
        command,
        run_dir.parent / "config.yaml",
        "--output",
        tmp_path / "out",
        *sets(f"training.init_from={run_dir}"),
    )
    assert ran.code == 2
    assert f"training.init_from: {command} trains from scratch" in ran.err


def test_a_parent_whose_network_was_swapped_for_another_shape_is_refused(
    parent: tuple[Path, Path], tmp_path: Path
) -> None:
    """A quantile network put in a point bundle, its manifest rehashed (anyone who can
    write the folder can): refused before training, not an error of TensorFlow's."""
    parent_dir, data = parent
    quantile = write_config(
        tmp_path, data, window={"lookback": 12, "horizon": 6}, model={"quantiles": [0.1, 0.5, 0.9]}
    )
    ran = run_cli("train", quantile, "--quiet", *sets(*SMALL, "training.epochs=1"))
    assert ran.code == 0, ran.err
    swapped = tmp_path / "swapped"
    shutil.copytree(parent_dir, swapped)
    shutil.copy(tmp_path / "run" / "model.keras", swapped / "model.keras")
    (swapped / "manifest.json").unlink()
    write_manifest(swapped)
    ran = run_process(
        "train",
        parent_dir.parent / "config.yaml",
        "--init-from",
        swapped,
        *sets(*SMALL, f"output.dir={tmp_path / 'child'}"),
    )
    assert_one_line_error(
        ran.code,
        ran.err,
        3,
        "model.keras: the network's outputs have shape (6, 1, 3)",
        "preprocessing.json records (6, 1)",
    )
