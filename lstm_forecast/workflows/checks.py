"""Checks that a config can run in this environment, made before any data is read or
any training starts (no TensorFlow)."""

from __future__ import annotations

import importlib.util

from ..config import Config
from ..errors import ConfigError
from ..files import file_in_the_way


def check_log_folder(config: Config) -> None:
    """Refuse a ``training.tensorboard`` folder that cannot be one, before training."""
    folder = config.training.tensorboard
    if folder is None:
        return
    if importlib.util.find_spec("tensorboard") is None:  # TensorFlow needs it to log
        raise ConfigError(
            "training.tensorboard needs the tensorboard package: "
            "pip install 'lstm-forecast[tensorboard]'",
            where=folder,
        )
    blocked = file_in_the_way(folder)
    if blocked:
        raise ConfigError(f"training.tensorboard {blocked}", where=folder)
