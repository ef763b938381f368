"""``explain``: permutation importance ranks the inputs a model's forecasts depend on,
from the bundle's ONNX network (no TensorFlow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lstm_forecast as lf
from lstm_forecast.scoring.importance import InputBlock, permutation_importance

from .helpers import (
    assert_one_line_error,
    heavy_modules_loaded,
    run_cli,
    train_daily_point_model,
    write_config,
    write_csv,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def driven(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model of a target that is 3 x yesterday's ``driver`` plus a little noise, with
    two unrelated features beside it. No baseline and no window level: with them the
    target's own history is where every forecast starts, and it would always matter;
    here the question is only whether explain finds the one input the network needs."""
    folder = tmp_path_factory.mktemp("explain")
    rng = np.random.default_rng(3)
    days = 500
    driver, noise_a, noise_b = rng.normal(size=(3, days))
    target = 3 * np.concatenate([[0.0], driver[:-1]]) + rng.normal(0, 0.2, days)
    frame = pd.DataFrame(
        {
            "day": pd.date_range("2020-01-01", periods=days).strftime("%Y-%m-%d"),
            "load": target,
            "noise_a": noise_a,
            "driver": driver,
            "noise_b": noise_b,
        }
    )
    config = write_config(
        folder,
        write_csv(folder / "driven.csv", frame),
        data={
            "time_column": "day",
            "target": "load",
            "features": ["noise_a", "driver", "noise_b"],
        },
        window={"lookback": 6, "horizon": 1},
        split={"validation": 50, "test": 100},
        preprocessing={"window_norm": "none"},
        model={"layers": [16], "baseline": "none"},
        training={"epochs": 30, "early_stopping_patience": 5},
    )
    ran = run_cli("train", config, "--quiet")
    assert ran.code == 0, ran.err
    return folder / "run"


def test_the_one_feature_the_target_depends_on_ranks_first_by_far(
    driven: Path, tmp_path: Path
) -> None:
    ran = run_cli("explain", driven, "--output", tmp_path / "importance.csv")
    assert ran.code == 0, ran.err
    table = pd.read_csv(tmp_path / "importance.csv")
    assert list(table.columns) == ["input", "kind", "mase_increase", "spread", "relative"]
    assert table["input"].iloc[0] == "driver", table
    first, second = table["mase_increase"].iloc[:2]
    assert first > 5 * max(second, 0.01), table
    assert ran.out.splitlines()[2].split()[:2] == ["driver", "feature"]  # printed the same


def test_explain_starts_from_the_mase_evaluate_prints(driven: Path) -> None:
    """One scoring path: the MASE explain shuffles away from is evaluate's, to the digit."""
    evaluated = lf.evaluate(driven).overall()["model"]["mase"]
    explained = lf.explain(driven, repeats=1)
    assert explained.base_mase == evaluated
    assert explained.n_windows == lf.evaluate(driven).n_origins


def test_explain_never_imports_tensorflow_and_draws_its_table(driven: Path, tmp_path: Path) -> None:
    args = ["explain", str(driven), "--repeats", "2", "--plot", str(tmp_path / "i.png")]
    assert heavy_modules_loaded(args, ("tensorflow", "keras", "tf2onnx")) == []
    assert (tmp_path / "i.png").stat().st_size > 0


def test_a_bundle_without_test_windows_is_refused_with_what_to_pass(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "day": pd.date_range("2020-01-01", periods=120).strftime("%Y-%m-%d"),
            "load": np.sin(np.arange(120)),
        }
    )
    run_dir = train_daily_point_model(tmp_path, frame)
    ran = run_cli("explain", run_dir)
    assert_one_line_error(ran.code, ran.err, 2, "0 test window(s)", "--test STEPS")
    ran = run_cli("explain", run_dir, "--test", "14", "--repeats", "1")
    assert ran.code == 0, ran.err
    assert "8 test windows of 1 series" in ran.out


def test_shuffling_what_the_score_ignores_costs_nothing() -> None:
    """The method itself: a score that reads column 0 only gives every other block 0."""
    windows = np.random.default_rng(0).normal(size=(50, 4, 3))

    def score(w: np.ndarray) -> float:
        return float(np.abs(w[:, :, 0] - windows[:, :, 0]).mean())

    blocks = [
        InputBlock("zero", "feature", (0, 1, 2, 3), (0,)),
        InputBlock("one", "feature", (0, 1, 2, 3), (1,)),
        InputBlock("two, last row", "lags", (3,), (2,)),
    ]
    base, ranked = permutation_importance(windows, score, blocks, repeats=3, seed=1)
    assert base == 0.0
    assert ranked[0].block.name == "zero" and ranked[0].mean > 0.5
    assert all(r.mean == 0.0 and r.spread == 0.0 for r in ranked[1:])
