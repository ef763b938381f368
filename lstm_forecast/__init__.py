"""Stacked LSTM forecasters from YAML configs on CSV time series.

The Python API mirrors the commands; each name is imported when first used, so
``import lstm_forecast`` stays light (TensorFlow loads only when something trains)::

    import lstm_forecast as lf

    report = lf.train(lf.load_config("configs/airline.yaml"))
    forecast = lf.predict("runs/airline")
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Public name -> the module that defines it.
_API = {
    "load_config": "lstm_forecast.config.load",
    "validate": "lstm_forecast.workflows.validate",
    "train": "lstm_forecast.workflows.train",
    "evaluate": "lstm_forecast.workflows.evaluate",
    "predict": "lstm_forecast.workflows.predict",
    "forecast_frame": "lstm_forecast.workflows.predict",
    "report": "lstm_forecast.workflows.report",
    "detect": "lstm_forecast.workflows.detect",
    "explain": "lstm_forecast.workflows.explain",
    "backtest": "lstm_forecast.workflows.backtest",
    "tune": "lstm_forecast.workflows.tune",
    "load_bundle": "lstm_forecast.bundle.store",
    "TrainingHooks": "lstm_forecast.nn.hooks",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'lstm_forecast' has no attribute {name!r}")
    return getattr(importlib.import_module(_API[name]), name)


def __dir__() -> list[str]:
    return sorted(__all__)
