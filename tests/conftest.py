"""Shared fixtures: tiny configs and synthetic CSVs, so tests train in seconds."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

# Keep TensorFlow's C++ logs out of test output; set before anything imports it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
CONFIGS = REPO / "configs"

# Overrides that shrink any shipped config to a network that trains in a second or two.
TINY = ("model.layers=[4]", "model.dropout=0.0", "training.epochs=2", "training.batch_size=32")


def monthly_frame(rows: int = 72, *, start: str = "2000-01", seed: int = 0) -> pd.DataFrame:
    """A positive monthly series with trend and yearly season."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    values = 100 + t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, rows)
    months = pd.date_range(start, periods=rows, freq="MS").strftime("%Y-%m")
    return pd.DataFrame({"month": months, "sales": np.round(values, 3)})


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


def write_config(directory: Path, data_path: Path, **sections: dict[str, Any]) -> Path:
    """A small valid config for a monthly ``sales`` series; ``sections`` update it."""
    config: dict[str, Any] = {
        "data": {"path": str(data_path), "time_column": "month", "target": "sales"},
        "window": {"lookback": 12, "horizon": 6},
        "split": {"validation": 6, "test": 12},
        "model": {"layers": [4], "dropout": 0.0},
        "training": {"epochs": 2, "batch_size": 16, "early_stopping_patience": 2},
        "output": {"dir": str(directory / "run")},
    }
    for name, values in sections.items():
        config.setdefault(name, {}).update(values)
    path = directory / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def sales_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "sales.csv", monthly_frame())


@pytest.fixture
def sales_config(tmp_path: Path, sales_csv: Path) -> Path:
    return write_config(tmp_path, sales_csv)


def hide_module(monkeypatch: pytest.MonkeyPatch, hidden: str) -> None:
    """Make ``importlib.util.find_spec`` say ``hidden`` is not installed."""
    import importlib.util

    find_spec = importlib.util.find_spec

    def without(name: str, *args: Any) -> Any:
        return None if name == hidden else find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without)
