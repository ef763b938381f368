"""The model beside both naive forecasts (``scoring/naives.py``): what train and evaluate
say last and metrics.json records, so a model a naive forecast beats never passes in
silence."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lstm_forecast.errors import counted
from lstm_forecast.report.tables import format_part
from lstm_forecast.scoring.naives import PartScores, beaten_warning

from .helpers import TINY, run_cli, sets, write_config, write_csv

mase = st.one_of(st.floats(0.0, 10.0), st.just(math.nan))


@given(model=mase, naive=mase, seasonal=mase)
def test_beaten_by_names_exactly_the_naives_with_a_lower_mase(
    model: float, naive: float, seasonal: float
) -> None:
    scores = PartScores("test", 3, model, naive, seasonal)
    expected = tuple(
        name
        for name, value in (("naive", naive), ("seasonal_naive", seasonal))
        if math.isfinite(model) and math.isfinite(value) and value < model
    )
    assert scores.beaten_by == expected
    assert (beaten_warning(scores) is None) == (not expected)
    line = format_part(scores)
    assert line.startswith(f"test MASE {model:.3f} against naive {naive:.3f} and seasonal naive")
    assert line.endswith(("forecasts better", "forecast better")) == bool(expected)


def test_the_lines_say_which_forecast_did_best() -> None:
    won = PartScores("test", 13, 0.564, 2.666, 1.762)
    assert format_part(won) == (
        "test MASE 0.564 against naive 2.666 and seasonal naive 1.762 (13 origins): "
        "68 % lower than the better naive"
    )
    lost = PartScores("validation", 3, 1.629, 1.555, 1.7)
    assert format_part(lost).endswith("(3 origins): naive forecasts better")
    warning = beaten_warning(lost)
    assert warning is not None
    assert warning.startswith(
        "on the validation part naive forecasts better than the model (MASE 1.555 against "
        "1.629, 3 origins)"
    )
    one = PartScores("validation", 1, 1.0, 2.0, 3.0)
    assert format_part(one).endswith("(1 origin): 50 % lower than the better naive")
    both = PartScores("test", 3, 2.0, 1.0, 1.5)
    assert format_part(both).endswith("naive and seasonal naive forecast better")
    assert json.loads(json.dumps(both.to_json()))["beaten_by"] == ["naive", "seasonal_naive"]


def _season_then_flat(tmp_path: Path) -> Path:
    """Six years of a strong yearly season, then a year flat at its mean: on the test part
    (that last year) the last value is the forecast to beat, and no seasonal one can."""
    months = pd.date_range("2000-01", periods=84, freq="MS").strftime("%Y-%m")
    noise = np.random.default_rng(0).normal(0, 2, size=84)
    season = 100 + 30 * np.sin(2 * np.pi * np.arange(84) / 12) + noise
    season[72:] = 100.0 + noise[72:] / 4
    frame = pd.DataFrame({"month": months, "sales": season})
    return write_config(tmp_path, write_csv(tmp_path / "sales.csv", frame))


@pytest.mark.slow
def test_a_model_naive_beats_on_test_is_reported_by_train_metrics_and_evaluate(
    tmp_path: Path,
) -> None:
    config = _season_then_flat(tmp_path)
    ran = run_cli(
        "train",
        config,
        *sets(*TINY, "training.epochs=20", "model.serve=network", "model.baseline=seasonal_naive"),
    )
    assert ran.code == 0, ran.err
    assert "test MASE" in ran.err and "): naive forecasts better" in ran.err, ran.err
    assert "WARNING: on the test part naive forecasts better than the model" in ran.err
    against = json.loads((tmp_path / "run" / "metrics.json").read_text())["against_naives"]
    assert against["serves"] == "network"
    assert "naive" in against["test"]["beaten_by"]
    assert against["test"]["naive"] < against["test"]["model"]
    assert against["validation"]["origins"] > 0

    evaluated = run_cli("evaluate", tmp_path / "run")
    assert evaluated.code == 0, evaluated.err
    assert "): naive forecasts better" in evaluated.err
    assert "WARNING: on the test part naive forecasts better than the model" in evaluated.err


@given(n=st.integers(0, 10_000))
def test_a_count_is_singular_for_one_and_plural_otherwise(n: int) -> None:
    text = counted(n, "window")
    assert text == (f"{n} window" if n == 1 else f"{n} windows")


@pytest.mark.slow
def test_a_test_part_of_zeros_is_said_by_train_and_evaluate(tmp_path: Path) -> None:
    """An item that stopped selling: sMAPE 200 % would otherwise pass in silence."""
    frame = pd.DataFrame(
        {
            "month": pd.date_range("2000-01", periods=84, freq="MS").strftime("%Y-%m"),
            "sales": np.r_[100 + 10 * np.sin(np.arange(72) * np.pi / 6), np.zeros(12)],
        }
    )
    config = write_config(tmp_path, write_csv(tmp_path / "sales.csv", frame))
    ran = run_cli("train", config, *sets(*TINY))
    assert ran.code == 0, ran.err
    expected = "WARNING: every scored actual of the series is 0: sMAPE is 200 %"
    assert expected in ran.err
    evaluated = run_cli("evaluate", tmp_path / "run")
    assert evaluated.code == 0 and expected in evaluated.err
