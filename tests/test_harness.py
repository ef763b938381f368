"""The test harness itself: how many workers ``--numprocesses=auto`` starts, and the fast
tier's guard against training a network."""

from __future__ import annotations

import os
import types
from pathlib import Path

import pytest

from .helpers import run_python, usable_cores
from .no_training import fit_guard


def quota_v2(folder: Path, text: str) -> Path:
    (folder / "cpu.max").write_text(text)
    return folder


def quota_v1(folder: Path, quota: str, period: str = "100000") -> Path:
    (folder / "cpu").mkdir(exist_ok=True)
    (folder / "cpu" / "cpu.cfs_quota_us").write_text(quota + "\n")
    (folder / "cpu" / "cpu.cfs_period_us").write_text(period + "\n")
    return folder


def test_a_cpu_quota_caps_the_workers_at_the_cores_it_pays_for(tmp_path: Path) -> None:
    cores = usable_cores(quota_v2(tmp_path, "max 100000\n"))
    assert cores >= 1
    assert usable_cores(quota_v2(tmp_path, "100000 100000\n")) == 1
    # 1.5 cores: the half core still runs a worker.
    assert usable_cores(quota_v2(tmp_path, "150000 100000\n")) == min(2, cores)
    above = f"{100000 * (cores + 8)} 100000\n"  # a quota above the cores
    assert usable_cores(quota_v2(tmp_path, above)) == cores


def test_a_cgroup_v1_quota_is_read_too(tmp_path: Path) -> None:
    cores = usable_cores(tmp_path / "absent")
    assert usable_cores(quota_v1(tmp_path, "50000")) == 1
    assert usable_cores(quota_v1(tmp_path, "-1")) == cores
    assert usable_cores(quota_v1(tmp_path, str(100000 * (cores + 8)))) == cores


@pytest.mark.parametrize("text", [None, "", "garbage", "max", "x 100000"])
def test_a_missing_or_unreadable_quota_leaves_the_cores(tmp_path: Path, text: str | None) -> None:
    if text is not None:
        quota_v2(tmp_path, text)
    assert usable_cores(tmp_path) == usable_cores(tmp_path / "absent")


def test_the_guard_refuses_fit_while_its_variable_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    class Model:
        def fit(self) -> str:
            return "trained"

    fit_guard._guard(types.SimpleNamespace(Model=Model))  # type: ignore[arg-type]
    monkeypatch.delenv(fit_guard.FORBID_FIT, raising=False)
    assert Model().fit() == "trained"
    monkeypatch.setenv(fit_guard.FORBID_FIT, "tests/test_x.py::test_y")
    with pytest.raises(AssertionError, match="test_y"):
        Model().fit()


def test_a_python_the_fast_tier_starts_cannot_train_with_keras() -> None:
    """The guard reaches subprocesses (sitecustomize on PYTHONPATH), and Keras' real fit."""
    assert os.environ.get(fit_guard.FORBID_FIT)  # this test is in the fast tier
    ran = run_python(
        "import keras, numpy as np\n"
        "model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])\n"
        "model.compile(loss='mse')\n"
        "model.fit(np.zeros((4, 2)), np.zeros((4, 1)), verbose=0)\n"
    )
    assert ran.code != 0
    assert "Keras Model.fit called in a test not marked slow" in ran.err
