"""lstm-forecast tune: the search space, the config's own values first, and a best
config that train reproduces."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lstm_forecast.config import load_config
from lstm_forecast.workflows.tune import search_space, with_values

from .helpers import CONFIGS, TINY, hide_module, run_cli, sets


def test_the_space_puts_the_configs_own_values_first_and_skips_empty_lists() -> None:
    config = load_config(
        CONFIGS / "airline.yaml",
        ["tuning.units=[16, 64, 128]", "tuning.dropout=[]", "tuning.lookback=[12, 36]"],
    )
    space = search_space(config)
    assert space["units"] == [64, 16, 128]  # the config's 64 first, not repeated
    assert space["layers"] == [2, 1]
    assert space["lookback"] == [24, 12, 36]
    assert "dropout" not in space


def test_values_land_in_their_sections_and_are_validated() -> None:
    config = load_config(CONFIGS / "airline.yaml")
    changed = with_values(config, {"layers": 3, "units": 8, "learning_rate": 0.01, "lookback": 36})
    assert changed.model.layers == [8, 8, 8]
    assert changed.training.learning_rate == 0.01 and changed.window.lookback == 36
    assert changed.data == config.data and changed.model.dropout == config.model.dropout


def test_a_space_that_tunes_nothing_is_refused(tmp_path: Path) -> None:
    result = run_cli(
        *[
            "tune",
            str(CONFIGS / "airline.yaml"),
            *sets(
                f"output.dir={tmp_path / 'run'}",
                "tuning.layers=[]",
                "tuning.units=[]",
                "tuning.dropout=[]",
                "tuning.learning_rate=[]",
            ),
        ],
    )
    assert result.code == 2
    assert "the tuning section tunes nothing" in result.err
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("tuning.dropout=[0.5, 1.0]", "tuning.dropout: input should be less than 1 (got 1.0)"),
        ("tuning.units=[0]", "tuning.units: input should be greater than 0 (got 0)"),
        ("tuning.objective=mape", "tuning.objective"),
    ],
)
def test_bad_tuning_values_name_the_key(item: str, message: str) -> None:
    result = run_cli(*["validate", str(CONFIGS / "airline.yaml"), "--set", item])
    assert result.code == 2 and message in result.err


@pytest.mark.slow
def test_tune_writes_a_best_config_that_train_reproduces(tmp_path: Path) -> None:
    folder = tmp_path / "tuned"
    tiny = [*TINY, "training.epochs=3", f"output.dir={tmp_path / 'run'}"]
    result = run_cli(
        *["tune", str(CONFIGS / "airline.yaml"), "--trials", "3", "-o", str(folder), *sets(*tiny)],
    )
    assert result.code == 0, result.err
    trials = pd.read_csv(folder / "trials.csv")
    assert list(trials["trial"]) == [1, 2, 3]
    first = trials.iloc[0]  # the config's own values (TINY: one layer of 4 units)
    assert (first["layers"], first["units"], first["dropout"]) == (1, 4, 0.0)
    best = trials.loc[trials["val_loss"].idxmin()]
    assert f"best: trial {int(best['trial'])}, val_loss {best['val_loss']:.6g}" in result.out
    assert best["val_loss"] <= first["val_loss"]  # never worse than the config itself
    trained = run_cli(*["train", str(folder / "best.yaml")])
    assert trained.code == 0, trained.err
    assert f"val_loss {best['val_loss']:.6g})" in trained.err
    # best.yaml trains beside the tuned config's bundle, never over it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run-tuned", "tuned"]


@pytest.mark.slow
def test_tune_by_backtest_mase(tmp_path: Path) -> None:
    tiny = [*TINY, "tuning.objective=backtest_mase", "tuning.folds=2"]
    result = run_cli(
        *[
            "tune",
            str(CONFIGS / "airline.yaml"),
            "--trials",
            "2",
            *sets(*tiny, f"output.dir={tmp_path / 'run'}"),
        ],
    )
    assert result.code == 0, result.err
    trials = pd.read_csv(tmp_path / "run-tune" / "trials.csv")
    assert len(trials) == 2 and (trials["backtest_mase"] > 0).all()
    assert "lstm-forecast backtest" in result.out


def test_tune_without_keras_tuner_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hide_module(monkeypatch, "keras_tuner")
    result = run_cli(
        *["tune", str(CONFIGS / "airline.yaml"), "--set", f"output.dir={tmp_path / 'r'}"]
    )
    assert result.code == 2
    assert "tune needs keras_tuner, which this install lacks" in result.err
    assert "pip install 'lstm-forecast-cli[tune]'" in result.err
    assert not any(tmp_path.iterdir())


def test_tune_on_a_light_install_names_both_extras_and_the_tool_installs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hide_module(monkeypatch, "keras_tuner")
    hide_module(monkeypatch, "tf2onnx")
    result = run_cli(
        *["tune", str(CONFIGS / "airline.yaml"), "--set", f"output.dir={tmp_path / 'r'}"]
    )
    assert result.code == 2
    assert "tune needs tf2onnx, keras_tuner, which this install lacks" in result.err
    extras = "'lstm-forecast-cli[train,tune]'"
    assert f"pip install {extras} (installed with pipx or uv tool" in result.err
    assert f"pipx install --force {extras} or uv tool install --force {extras}" in result.err


@pytest.mark.slow
def test_a_trial_the_data_cannot_hold_fails_alone_and_all_failing_is_refused(
    tmp_path: Path,
) -> None:
    only_lookback = ["tuning.layers=[]", "tuning.units=[]", "tuning.dropout=[]"]
    only_lookback += ["tuning.learning_rate=[]", f"output.dir={tmp_path / 'run'}"]
    result = run_cli(
        *[
            "tune",
            str(CONFIGS / "airline.yaml"),
            *sets(*TINY, *only_lookback, "tuning.lookback=[24, 200]"),
        ],
    )
    assert result.code == 0, result.err
    trials = pd.read_csv(tmp_path / "run-tune" / "trials.csv", keep_default_na=False)
    assert list(trials["lookback"]) == [24, 200]
    assert trials["failure"][0] == "" and "needs at least" in trials["failure"][1]
    assert "trial 2/2: lookback 200: failed: " in result.err
    assert "best: trial 1" in result.out
    failing = run_cli(
        *[
            "tune",
            str(CONFIGS / "airline.yaml"),
            *sets(*TINY, *only_lookback, "window.lookback=200", "tuning.lookback=[300]"),
        ],
    )
    assert failing.code == 2
    assert "every trial failed; the first: " in failing.err
