"""The ONNX copy of the network: shipped only when it matches Keras; predict runs on it
without TensorFlow; Keras is the fallback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.bundle.store import load_bundle, write_manifest
from lstm_forecast.bundle.trust import check_keras_archive
from lstm_forecast.nn import keras_file
from lstm_forecast.workflows.bundle_data import read_bundle_data
from lstm_forecast.workflows.predict import predict

from .bundles import SharedBundle
from .helpers import (
    CONFIGS,
    heavy_modules_loaded,
    monthly_frame,
    promo_frame,
    run_cli,
    sets,
    write_config,
    write_csv,
)

pytestmark = pytest.mark.slow


def train(config: Path, *overrides: str) -> None:
    ran = run_cli("train", config, "--quiet", *sets(*overrides))
    assert ran.code == 0, ran.err


def all_windows(run_dir: Path) -> np.ndarray:
    """Every input window of every series of the training data, scaled (at most 300)."""
    bundle = load_bundle(run_dir)
    pre = bundle.preprocessing
    dataset = read_bundle_data(bundle)
    windows = []
    for series in dataset.series:
        rows = pre.rows(series, pre.scalers[series.id])
        view = np.lib.stride_tricks.sliding_window_view(rows, pre.coding.window_rows, axis=0)
        windows.append(np.moveaxis(view, -1, 1))
    stacked = np.concatenate(windows)
    return stacked[np.isfinite(stacked).all(axis=(1, 2))][-300:]


def assert_onnx_matches_keras(run_dir: Path) -> None:
    metadata = json.loads((run_dir / "metadata.json").read_text())
    assert metadata["onnx"]["shipped"] is True, metadata["onnx"]
    assert metadata["onnx"]["max_abs_difference"] < 1e-4
    bundle = load_bundle(run_dir)  # ONNX Runtime
    check_keras_archive(run_dir / "model.keras")
    keras_model = keras_file.load_keras_model(run_dir / "model.keras", metadata["keras"])
    keras_forecaster = keras_file.as_forecaster(keras_model, bundle.preprocessing.coding)
    windows = all_windows(run_dir)
    difference = np.abs(bundle.forecaster(windows) - keras_forecaster(windows)).max()
    assert difference < 1e-4  # scaled units


@pytest.mark.parametrize("name", ["airline", "sunspots", "seattle_weather", "stocks"])
def test_onnx_agrees_with_keras_on_every_shipped_config(name: str, tmp_path: Path) -> None:
    run_dir = tmp_path / name
    train(CONFIGS / f"{name}.yaml", f"output.dir={run_dir}", "training.epochs=1")
    assert_onnx_matches_keras(run_dir)


def test_onnx_agrees_for_every_layer_kind(tmp_path: Path) -> None:
    frame = monthly_frame(72)
    frame["promo"] = np.random.default_rng(1).integers(0, 2, len(frame))
    csv = write_csv(tmp_path / "sales.csv", frame)
    config = write_config(
        tmp_path,
        csv,
        model={
            "cell": "gru",
            "bidirectional": True,
            "layers": [4, 4],
            "dense": [3],
            "quantiles": [0.1, 0.5, 0.9],
        },
        training={"ensemble": 2, "epochs": 1},
        # Both kinds of future-known input: a column of the data and the calendar.
        data={"calendar_features": ["month"], "future_features": ["promo"]},
    )
    train(config)
    assert_onnx_matches_keras(tmp_path / "run")


def test_window_scale_is_kept_in_the_bundle_and_predict_uses_it(tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "sales.csv", monthly_frame(72))
    config = write_config(
        tmp_path,
        csv,
        preprocessing={"window_scale": "std"},
        model={"layers": [4], "quantiles": [0.1, 0.5, 0.9]},
        training={"epochs": 1},
    )
    train(config)
    run_dir = tmp_path / "run"
    record = json.loads((run_dir / "preprocessing.json").read_text())
    assert record["window_scale"] == "std" and record["typical_spread"] > 0
    assert_onnx_matches_keras(run_dir)
    forecast = predict(run_dir).frame
    assert len(forecast) == 6 and np.isfinite(forecast["sales"]).all()
    assert (forecast["sales_p10"] <= forecast["sales"]).all()
    assert (forecast["sales"] <= forecast["sales_p90"]).all()


@pytest.fixture(scope="module")
def sales_run(shared_sales: SharedBundle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_sales.copy(tmp_path_factory.mktemp("onnx"))


@pytest.fixture(scope="module")
def promo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A bundle with a future-known column, and a file of its history and future rows."""
    folder = tmp_path_factory.mktemp("onnx_promo")
    frame = promo_frame(200)
    config = write_config(
        folder,
        write_csv(folder / "promo.csv", frame),
        data={"time_column": "day", "future_features": ["promo"]},
        window={"lookback": 14, "horizon": 7},
        split={"validation": 14, "test": 14},
    )
    train(config)
    ahead = promo_frame(207).tail(7).assign(sales=np.nan)
    return folder / "run", write_csv(folder / "new.csv", pd.concat([frame, ahead]))


@pytest.mark.parametrize("bundle", ["sales_run", "promo_run"])
def test_predict_never_imports_tensorflow_keras_sklearn_or_matplotlib(
    bundle: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Also for a model with a future-known column, given the rows that hold it."""
    run = request.getfixturevalue(bundle)
    run_dir, data = run if isinstance(run, tuple) else (run, None)
    data_args = [] if data is None else ["--data", str(data)]
    args = ["predict", str(run_dir), *data_args, "-o", str(tmp_path / "f.csv")]
    heavy = ("tensorflow", "keras", "sklearn", "matplotlib", "tf2onnx")
    assert heavy_modules_loaded(args, heavy) == []
    forecast = pd.read_csv(tmp_path / "f.csv")
    assert len(forecast) == (6 if data is None else 7)
    assert np.isfinite(forecast["sales"]).all()


def without_onnx(run_dir: Path, copy: Path) -> Path:
    shutil.copytree(run_dir, copy)
    (copy / "model.onnx").unlink()
    (copy / "manifest.json").unlink()
    write_manifest(copy)
    return copy


def test_a_bundle_without_onnx_predicts_with_keras(sales_run: Path, tmp_path: Path) -> None:
    keras_only = without_onnx(sales_run, tmp_path / "keras_only")
    with_onnx, with_keras = predict(sales_run).frame, predict(keras_only).frame
    assert with_onnx.columns.tolist() == with_keras.columns.tolist()
    np.testing.assert_allclose(with_onnx["sales"], with_keras["sales"], rtol=1e-4)


def test_a_corrupt_onnx_file_is_refused_with_exit_3(sales_run: Path, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt"
    shutil.copytree(sales_run, corrupt)
    (corrupt / "model.onnx").write_bytes(b"\x08\x07not a graph")
    write_manifest(corrupt)
    ran = run_cli("predict", corrupt)
    assert ran.code == 3
    assert "model.onnx: not a well-formed ONNX file" in ran.err  # before ONNX Runtime parses it


def test_onnx_that_disagrees_is_not_shipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keras_file, "ONNX_TOLERANCE", -1.0)  # nothing agrees that well
    train(write_config(tmp_path, write_csv(tmp_path / "sales.csv", monthly_frame(72))))
    run_dir = tmp_path / "run"
    onnx = json.loads((run_dir / "metadata.json").read_text())["onnx"]
    assert onnx["shipped"] is False and "differs from Keras by" in onnx["reason"]
    assert not (run_dir / "model.onnx").exists()
    assert len(predict(run_dir).frame) == 6  # Keras forecasts instead
