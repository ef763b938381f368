"""``model.baseline: smoothing``: the network corrects the whole-history exponential
smoothing forecast, made after each row from that row and the ones before it alone, and
an untrained network forecasts exactly it (features/baselines.py, Served.forecast_columns)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_forecast.config import load_config
from lstm_forecast.data import load_dataset
from lstm_forecast.data.share import ALONE
from lstm_forecast.errors import DataError
from lstm_forecast.features import Preprocessing, fit
from lstm_forecast.features.coding import WindowCoding
from lstm_forecast.features.scaling import Scaler
from lstm_forecast.features.served import Served
from lstm_forecast.features.smoothing import fit_smoothing
from lstm_forecast.workflows import forecaster
from lstm_forecast.workflows.forecaster import TrainedForecaster

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
        "train",
        config,
        *options,
        "--init-from",
        str(tmp_path / "run"),
        "--set",
        f"output.dir={tmp_path / 'warm'}",
    )
    assert warm.code == 0, warm.err


def _candidate(baseline: str, seconds: float) -> TrainedForecaster:
    """A trained forecaster as far as ``_better`` reads one."""
    network = SimpleNamespace(seconds=seconds, coding=SimpleNamespace(baseline=baseline))
    served = SimpleNamespace(served=baseline)
    return TrainedForecaster(None, baseline, None, None, network, None, served)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("naive_mase", "smoothing_mase", "origins", "kept"),
    [
        (0.5, 0.6, 2, "seasonal_naive"),
        (0.5, 0.6, 1, "smoothing"),  # one stretch does not decide
        (0.7, 0.6, 10, "smoothing"),  # at least 10 % lower
        (0.65, 0.6, 10, "seasonal_naive"),  # lower, not by 10 %
        (0.6, 0.6, 10, "seasonal_naive"),
        (float("nan"), float("nan"), 0, "smoothing"),
    ],
)
def test_auto_keeps_the_smoothing_network_when_clearly_better_or_validation_cannot_say(
    monkeypatch: pytest.MonkeyPatch,
    naive_mase: float,
    smoothing_mase: float,
    origins: int,
    kept: str,
) -> None:
    scores = {"seasonal_naive": (naive_mase, origins), "smoothing": (smoothing_mase, origins)}
    monkeypatch.setattr(forecaster, "served_validation", lambda prepared, f, s: scores[prepared])
    chosen = forecaster._better(_candidate("seasonal_naive", 2.0), _candidate("smoothing", 3.0))
    assert chosen.network.coding.baseline == kept
    assert chosen.seconds == 5.0  # both trainings count


def test_auto_weighs_the_smoothing_forecast_on_short_series_only(tmp_path: Path) -> None:
    path = write_config(tmp_path, write_csv(tmp_path / "sales.csv", monthly_frame(96)))
    config = load_config(path)

    def weighs(rows: list[int], *overrides: str) -> bool:
        bounds = [SimpleNamespace(train_end=r) for r in rows]
        prepared = SimpleNamespace(bounds=bounds, workers=ALONE)
        return forecaster._weighs_smoothing(load_config(path, list(overrides)), prepared)  # type: ignore[arg-type]

    assert config.model.baseline == "auto"
    assert weighs([78]) and weighs([500, 20, 900])
    assert not weighs([501])  # a long series: the network learns from its windows
    assert not weighs([400] * 60)  # many short series: more rows than smoothing is fit to
    assert not weighs([78], "model.baseline=seasonal_naive")
    assert not weighs([78], f"training.init_from={tmp_path}")  # a warm start keeps its parent's
    assert not weighs([78], "model.quantiles=[0.1,0.5,0.9]")  # detect reads a band


@pytest.mark.slow
def test_auto_trains_both_networks_on_a_short_series_and_says_which_it_keeps(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, write_csv(tmp_path / "sales.csv", monthly_frame(96)))
    ran = run_cli("train", config, *sets(*TINY))
    assert ran.code == 0, ran.err
    assert (
        "INFO: a second network (model.baseline auto, short series): the network corrects "
        "the whole-history exponential smoothing forecast (model.baseline)" in ran.err
    ), ran.err
    # One validation origin (6 rows, horizon 6): validation cannot choose the other.
    assert (
        "model.baseline auto: the whole-history exponential smoothing forecast, whose network "
        "scored a validation MASE of" in ran.err
    ), ran.err
    assert "(1 origins: on fewer than 2, validation does not choose)" in ran.err
    record = json.loads((tmp_path / "run" / "preprocessing.json").read_text())
    assert record["baseline"] == "smoothing" and record["smoothing_from"] == 1


def test_a_record_that_misplaces_the_columns_is_refused(tmp_path: Path) -> None:
    pre, _, _ = _fitted(tmp_path)
    record = {**pre.to_json(), "smoothing_from": 0}  # over the target itself
    with pytest.raises(ValueError, match="smoothing_from must be 1"):
        Preprocessing.from_json(record)


def test_the_smoothing_baseline_refuses_more_rows_than_it_can_filter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fit, "SMOOTHING_BASELINE_ROWS", 95)
    with pytest.raises(DataError, match=r"96 rows is more than 95; it is meant for short series"):
        _fitted(tmp_path)


def test_windows_at_no_origin_are_none(tmp_path: Path) -> None:
    pre, _, path = _fitted(tmp_path)
    (series,) = load_dataset(load_config(path).data).series
    windows = pre.windows_at(series, pre.scalers[None], np.array([], dtype=int), path)
    assert windows.shape[0] == 0
