"""What a bundle serves (``model.serve``, scoring/serving.py): chosen on the validation
origins after training, said in train's last line, recorded, and applied by predict."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.config import load_config
from lstm_forecast.data import load_dataset
from lstm_forecast.features import Prepared, Preprocessing
from lstm_forecast.features.served import Served
from lstm_forecast.scoring import serving

from .helpers import TINY, monthly_frame, run_cli, sets, write_config, write_csv


def _prepared(tmp_path: Path, *overrides: str) -> tuple[Prepared, str]:
    """A clean monthly trend and season, prepared; and ``model.serve`` as configured."""
    config_path = write_config(
        tmp_path,
        write_csv(tmp_path / "sales.csv", monthly_frame(96)),
        split={"validation": 18, "test": 12},
    )
    config = load_config(config_path, list(overrides))
    _, prepared = Preprocessing.fit_transform(config, load_dataset(config.data))
    return prepared, config.model.serve


def _flat(windows: np.ndarray) -> np.ndarray:
    """A network that learned nothing: every forecast at the scaled mean."""
    return np.zeros((len(windows), 6, 1, 1))


def test_auto_serves_the_smoothing_forecast_where_the_network_learned_nothing(
    tmp_path: Path,
) -> None:
    prepared, setting = _prepared(tmp_path)
    choice = serving.choose_served(prepared, _flat, setting)
    assert setting == "auto"
    assert choice.served.source in ("smoothing", "mean")
    scores = choice.validation_mase
    assert scores[choice.served.source] < (1 - serving.MARGIN) * scores["network"]
    assert choice.why.startswith("validation MASE ")
    ((model,),) = choice.served.models.values()
    assert model is not None and model.form.season == 12


def test_a_network_the_smoothing_forecast_does_not_clearly_beat_is_served(
    tmp_path: Path,
) -> None:
    prepared, setting = _prepared(tmp_path)
    smoothing = serving.choose_served(prepared, _flat, "smoothing").served

    def as_good(windows: np.ndarray) -> np.ndarray:
        """The smoothing forecast itself, in scaled units, as a network's output."""
        del windows
        (origins,) = serving.scored_origins(prepared, prepared.validation_origins())
        values = prepared.dataset.series[0].values
        (model,) = smoothing.models[None]
        assert model is not None
        forecasts = model.forecast(values[:, 0], 6, origins)
        scaler = prepared.scalers[0]
        return scaler.transform(forecasts[..., None])[..., None]

    choice = serving.choose_served(prepared, as_good, setting)
    assert choice.served.source == "network"
    assert choice.validation_mase["network"] == pytest.approx(choice.validation_mase["smoothing"])


def test_the_setting_decides_when_it_is_not_auto_and_many_rows_keep_the_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared, _ = _prepared(tmp_path)
    network = serving.choose_served(prepared, _flat, "network")
    assert network.served == Served(season=12) and network.why == "model.serve: network"
    mean = serving.choose_served(prepared, _flat, "mean")
    assert mean.served.source == "mean" and mean.why == "model.serve: mean"
    monkeypatch.setattr(serving, "SMOOTHING_ROWS", 10)
    many = serving.choose_served(prepared, _flat, "auto")
    assert many.served.source == "network" and "the network alone beyond 10" in many.why


def test_a_malformed_served_record_is_refused() -> None:
    with pytest.raises(ValueError, match="served source 'arima'"):
        Served.from_json({"source": "arima", "season": 1, "models": []})
    model = {"trend": "none", "season": 1, "log": False, "aicc": 1.0}
    weights = {"alpha": 0.5, "beta": 0.0, "gamma": 0.0, "phi": 1.0}
    good = {"source": "smoothing", "season": 1, "models": [{"id": None, "targets": []}]}
    for bad, match in (
        ({**model, **weights, "trend": "cubic"}, "trend 'cubic'"),
        ({**model, **weights, "season": 0}, "season 0"),
        ({**model, **weights, "alpha": 1.5}, "weights must lie in"),
    ):
        with pytest.raises(ValueError, match=match):
            Served.from_json({**good, "models": [{"id": None, "targets": [bad]}]})
    ok = Served.from_json({**good, "models": [{"id": None, "targets": [{**model, **weights}]}]})
    assert ok.models[None][0] is not None


@pytest.mark.slow
def test_train_says_what_it_serves_and_predict_serves_it(tmp_path: Path) -> None:
    frame = monthly_frame(96)
    config = write_config(tmp_path, write_csv(tmp_path / "sales.csv", frame))
    ran = run_cli("train", config, *sets(*TINY, "model.serve=smoothing"))
    assert ran.code == 0, ran.err
    last = ran.err.strip().splitlines()[-1]
    assert last.startswith(
        "the bundle serves the exponential smoothing forecast of each series' whole history "
        "(model.serve: smoothing)"
    ), last
    run = tmp_path / "run"
    assert json.loads((run / "metrics.json").read_text())["against_naives"]["serves"] == "smoothing"
    record = json.loads((run / "preprocessing.json").read_text())["served"]
    served = Served.from_json(record)
    (model,) = served.models[None]
    assert served.source == "smoothing" and model is not None

    predicted = run_cli("predict", run)
    assert predicted.code == 0, predicted.err
    forecast = pd.read_csv(io.StringIO(predicted.out))["sales"].to_numpy()
    values = frame["sales"].to_numpy(dtype=float)
    expected = model.forecast(values, 6, np.array([len(values)]))[0]
    np.testing.assert_allclose(forecast, expected, rtol=1e-6)

    explained = run_cli("explain", run)
    assert explained.code == 0, explained.err
    assert "reads no network input: every importance is 0" in explained.err
