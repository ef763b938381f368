"""The wheel installs outside the clone, and its light variant (no extras) predicts,
evaluates, validates and drafts configs without TensorFlow, tf2onnx or matplotlib, and
says which extra the rest needs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .bundles import SharedBundle
from .helpers import CONFIGS, DATA, REPO, Ran, hide_module, run_cli, run_tool


def _run(*args: object, cwd: Path) -> Ran:
    """A program run outside this clone's venv (uv, the light venv's tools)."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return run_tool(*args, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def light_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty virtual environment with the wheel built from this clone and its base
    dependencies at the versions uv.lock pins (so the install reads uv's cache)."""
    uv = shutil.which("uv")
    assert uv is not None, "the README's set-up installs uv; this test needs it"
    folder = tmp_path_factory.mktemp("light")
    built = _run(uv, "build", "--wheel", "--out-dir", folder / "dist", cwd=REPO)
    assert built.code == 0, built.err
    (wheel,) = (folder / "dist").glob("lstm_forecast_cli-*.whl")
    pins = _run(uv, "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", cwd=REPO)
    assert pins.code == 0, pins.err
    (folder / "pins.txt").write_text(pins.out)
    venv = folder / "venv"
    assert _run(uv, "venv", "--quiet", venv, cwd=folder).code == 0
    python = venv / "bin" / "python"
    installed = _run(
        uv, "pip", "install", "--python", python, "-r", folder / "pins.txt", wheel, cwd=folder
    )
    assert installed.code == 0, installed.err
    return venv


@pytest.mark.slow
def test_light_install_predicts_without_tensorflow(
    light_venv: Path, shared_airline: SharedBundle, tmp_path: Path
) -> None:
    tool = light_venv / "bin" / "lstm-forecast"
    for module in ("tensorflow", "tf2onnx", "matplotlib", "keras"):
        imported = _run(light_venv / "bin" / "python", "-c", f"import {module}", cwd=tmp_path)
        assert imported.code != 0 and "ModuleNotFoundError" in imported.err, module
    run_dir = shared_airline.copy(tmp_path / "airline")  # trained where the extra is
    assert _run(tool, "--help", cwd=tmp_path).code == 0
    validated = _run(tool, "validate", CONFIGS / "airline.yaml", cwd=tmp_path)
    assert validated.code == 0, validated.err
    predicted = _run(tool, "predict", run_dir, cwd=tmp_path)
    assert predicted.code == 0, predicted.err
    assert len(predicted.out.splitlines()) == 1 + 12  # header and 12 months
    evaluated = _run(tool, "evaluate", run_dir, cwd=tmp_path)
    assert evaluated.code == 0, evaluated.err
    assert "seasonal_naive" in evaluated.out
    drafted = _run(tool, "init", DATA / "airline.csv", "-o", tmp_path / "a.yaml", cwd=tmp_path)
    assert drafted.code == 0, drafted.err


@pytest.mark.slow
def test_light_install_names_the_extra_train_and_plots_need(
    light_venv: Path, shared_airline: SharedBundle, tmp_path: Path
) -> None:
    tool = light_venv / "bin" / "lstm-forecast"
    config = CONFIGS / "airline.yaml"
    trained = _run(tool, "train", config, "--set", f"output.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert trained.code == 2
    assert "train needs tensorflow, keras, tf2onnx, matplotlib" in trained.err
    assert "pip install 'lstm-forecast-cli[train]'" in trained.err
    assert not (tmp_path / "run").exists()
    run_dir = shared_airline.copy(tmp_path / "airline")
    plotted = _run(tool, "predict", run_dir, "--plot", tmp_path / "f.png", cwd=tmp_path)
    assert plotted.code == 2
    assert "--plot needs matplotlib" in plotted.err
    assert "pip install 'lstm-forecast-cli[plot]'" in plotted.err


def test_backtest_without_tensorflow_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    hide_module(monkeypatch, "tf2onnx")
    ran = run_cli("backtest", CONFIGS / "airline.yaml", "--output", tmp_path / "b")
    assert ran.code == 2
    assert "backtest needs tf2onnx" in ran.err
    assert "[train]" in ran.err
