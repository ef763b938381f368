"""``model.baseline: smoothing``: the network corrects the whole-history exponential
smoothing forecast, made after each row from that row and the ones before it alone, and
an untrained network forecasts exactly it (features/baselines.py, Served.forecast_columns)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_forecast.config import load_config
from lstm_forecast.data import load_dataset
from lstm_forecast.features import Preprocessing
from lstm_forecast.features.coding import WindowCoding
from lstm_forecast.features.scaling import Scaler
from lstm_forecast.features.served import Served
from lstm_forecast.features.smoothing import fit_smoothing

from .helpers import TINY, monthly_frame, run_cli, sets, write_config, write_csv

HORIZON = 6


def _values(rows: int = 96) -> np.ndarray:
    return monthly_frame(rows)["sales"].to_numpy(dtype=float)


def test_each_row_holds_the_forecast_made_after_it() -> None:
    values = _values()
    model = fit_smoothing(values[:60], 12)
    assert model is not None
    after = model.after_each_row(values, HORIZON, fit_rows=60)
    origins = np.array([60, 61, 75, 96])
    # ``forecast`` fits the initial state on the rows before its first origin: the same 60.
    np.testing.assert_allclose(after[origins - 1], model.forecast(values, HORIZON, origins))


@settings(max_examples=30, deadline=None)
@given(cut=st.integers(30, 95), poison=st.floats(-1e6, 1e6))
def test_a_row_s_forecast_reads_no_later_row(cut: int, poison: float) -> None:
    values = _values()
    served = Served(models={None: (fit_smoothing(values[:30], 12),)}, season=12)
    scaler = Scaler.fit("standard", values[:30, None])
    clean = served.forecast_columns(None, values[:, None], scaler, HORIZON, fit_rows=30)
    changed = values.copy()
    changed[cut:] = poison
    poisoned = served.forecast_columns(None, changed[:, None], scaler, HORIZON, fit_rows=30)
    np.testing.assert_array_equal(poisoned[:cut], clean[:cut])


def test_a_series_too_short_for_a_model_repeats_its_last_value() -> None:
    values = np.array([[3.0], [5.0], [4.0]])
    served = Served(season=12)  # the series is not in training: its own model, none fits
    scaler = Scaler("none", np.zeros(1), np.ones(1))
    columns = served.forecast_columns("new", values, scaler, HORIZON, fit_rows=3)
    np.testing.assert_array_equal(columns, np.repeat(values, HORIZON, axis=1))


def _fitted(tmp_path: Path, *overrides: str) -> tuple[Preprocessing, pd.DataFrame, Path]:
    frame = monthly_frame(96)
    path = write_config(
        tmp_path,
        write_csv(tmp_path / "sales.csv", frame),
        split={"validation": 18, "test": 12},
    )
    config = load_config(path, ["model.baseline=smoothing", *overrides])
    pre, _ = Preprocessing.fit_transform(config, load_dataset(config.data))
    return pre, frame, path


def test_an_untrained_network_forecasts_the_smoothing_forecast(tmp_path: Path) -> None:
    pre, frame, path = _fitted(tmp_path)
    dataset = load_dataset(load_config(path).data)
    windows, (scaler,) = pre.forecast_inputs(dataset)
    inputs, offset, scale = pre.coding.encode(windows)
    # The network sees the usual columns, not the forecasts it corrects.
    assert pre.coding.n_smoothing == HORIZON
    assert (
        inputs.shape[2] == windows.shape[2] - HORIZON == pre.coding.network_inputs(windows.shape[2])
    )
    zeros = np.zeros((1, HORIZON, 1))
    forecast = scaler.inverse_targets(pre.coding.decode(zeros, offset, scale))[0, :, 0]
    (model,) = pre.served.models[None]
    values = frame["sales"].to_numpy(dtype=float)
    assert model is not None
    expected = model.forecast(values, HORIZON, np.array([len(values)]))[0]
    np.testing.assert_allclose(forecast, expected, rtol=1e-5)


def test_the_record_keeps_the_smoothing_baseline(tmp_path: Path) -> None:
    pre, _, path = _fitted(tmp_path)
    again = Preprocessing.from_json(json.loads(json.dumps(pre.to_json())))
    assert again.coding.smoothing_from == pre.coding.smoothing_from is not None
    dataset = load_dataset(load_config(path).data)
    np.testing.assert_array_equal(
        again.forecast_inputs(dataset)[0], pre.forecast_inputs(dataset)[0]
    )
    record = pre.to_json()
    del record["smoothing_from"]  # a baseline that reads columns the record does not place
    with pytest.raises(ValueError, match="smoothing baseline needs its columns"):
        Preprocessing.from_json(record)


def test_the_columns_go_before_a_series_embedding_s_index(tmp_path: Path) -> None:
    frames = [monthly_frame(96, seed=k).assign(store=f"s{k}") for k in range(3)]
    path = write_config(
        tmp_path,
        write_csv(tmp_path / "sales.csv", pd.concat(frames)),
        data={"id_column": "store"},
        split={"validation": 18, "test": 12},
    )
    config = load_config(path, ["model.baseline=smoothing", "model.series_embedding=2"])
    pre, prepared = Preprocessing.fit_transform(config, load_dataset(config.data))
    for index, rows in enumerate(prepared.scaled):
        np.testing.assert_array_equal(rows[:, -1], index)
    windows = prepared.coding.windows_at(prepared.scaled[1], np.array([60]))
    inputs, _, _ = pre.coding.encode(windows)
    assert inputs[0, -1, -1] == 1.0  # the index is still the network's last input


def test_a_coding_without_the_columns_is_refused() -> None:
    with pytest.raises(ValueError, match="smoothing baseline needs its columns"):
        WindowCoding("last", "smoothing", 12, 24, 6, 1, 1)
    with pytest.raises(ValueError, match="smoothing baseline needs its columns"):
        WindowCoding("last", "naive", 12, 24, 6, 1, 1, smoothing_from=3)


@pytest.mark.slow
def test_train_predict_and_a_warm_start_under_the_smoothing_baseline(tmp_path: Path) -> None:
    config = write_config(tmp_path, write_csv(tmp_path / "sales.csv", monthly_frame(96)))
    options = sets(*TINY, "model.baseline=smoothing", "model.serve=network")
    ran = run_cli("train", config, *options)
    assert ran.code == 0, ran.err
    assert "correcting the whole-history exponential smoothing forecast" in ran.err
    predicted = run_cli("predict", tmp_path / "run")
    assert predicted.code == 0, predicted.err
    forecast = pd.read_csv(io.StringIO(predicted.out))["sales"].to_numpy()
    assert forecast.shape == (HORIZON,) and np.isfinite(forecast).all()
    warm = run_cli(
        "train", config, *options, "--init-from", str(tmp_path / "run"), "--set", "output.dir=warm"
    )
    assert warm.code == 0, warm.err
