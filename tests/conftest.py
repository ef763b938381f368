"""Shared fixtures: a tiny monthly CSV and its config, so tests train in seconds. The
harness itself (running the CLI, writing data and configs) is ``helpers``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Keep TensorFlow's C++ logs out of test output; set before anything imports it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from .helpers import monthly_frame, usable_cores, write_config, write_csv


@pytest.fixture
def sales_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "sales.csv", monthly_frame())


@pytest.fixture
def sales_config(tmp_path: Path, sales_csv: Path) -> Path:
    return write_config(tmp_path, sales_csv)


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``--numprocesses=auto``: one worker per core this process may use. pytest-xdist
    counts the CPUs it may be scheduled on, which in a container limited by a CPU quota
    (``docker --cpus 2``) can be the host's dozens: that many workers, each importing
    TensorFlow, would only contend. ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still decides
    when set (None leaves it to pytest-xdist)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return usable_cores()
