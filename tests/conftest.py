"""Shared fixtures: a tiny monthly CSV and its config, so tests train in seconds. The
harness itself (running the CLI, writing data and configs) is ``helpers``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Keep TensorFlow's C++ logs out of test output; set before anything imports it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from .helpers import monthly_frame, write_config, write_csv


@pytest.fixture
def sales_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "sales.csv", monthly_frame())


@pytest.fixture
def sales_config(tmp_path: Path, sales_csv: Path) -> Path:
    return write_config(tmp_path, sales_csv)
