"""Bundles trained once per test session and handed out as copies: the 72-month sales
bundle (trained as cron runs it) and the tiny airline bundle, which many tests need and
none needs to train itself.

With pytest-xdist each worker is a process of its own: the first to ask trains the bundle
under a file lock in the run's shared temporary folder, and the others wait and read it.
A test gets its own copy, so nothing it changes reaches another test.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from .helpers import cron_env, monthly_frame, run_process, train_tiny, write_config, write_csv


@dataclass(frozen=True)
class SharedBundle:
    """A bundle trained for the whole session: never change it, take a ``copy``."""

    folder: Path  # the bundle's run directory is folder / "run"; its data and config beside
    out: str  # what train printed on stdout

    def copy(self, to: Path) -> Path:
        """A copy of the whole folder (bundle, data and config) in ``to``; returns the
        copy's run directory. The copied config still names the shared data and run
        directory: write a new one (``helpers.write_config``) before training from it."""
        shutil.copytree(self.folder, to, dirs_exist_ok=True)
        return to / "run"


def shared_bundle(
    factory: pytest.TempPathFactory, name: str, build: Callable[[Path], str]
) -> SharedBundle:
    """The bundle ``build(folder)`` trains into ``folder / "run"`` (returning what train
    printed), built once per session across workers."""
    root = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the folder every worker's own temporary folder is in
    folder = root / "shared_bundles" / name
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "done").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            (folder / "stdout.txt").write_text(build(folder), encoding="utf-8")
            (folder / "done").touch()
    return SharedBundle(folder, (folder / "stdout.txt").read_text(encoding="utf-8"))


def build_sales(folder: Path) -> str:
    """72 months of ``monthly_frame`` with ``write_config``'s defaults, trained as cron runs
    a job: a fresh process without HOME, DISPLAY or a terminal, stdin closed."""
    config = write_config(folder, write_csv(folder / "sales.csv", monthly_frame(72)))
    done = run_process("train", config, "--quiet", env=cron_env(), stdin=subprocess.DEVNULL)
    assert done.code == 0, done.err
    return done.out


def build_airline(folder: Path) -> str:
    """The shipped airline config shrunk by ``helpers.TINY``."""
    return train_tiny("airline", folder / "run")
