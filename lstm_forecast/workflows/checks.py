"""Checks made before any data is read or any training starts: that no other run holds
the output, and that the environment can do what the config asks (no TensorFlow)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from pathlib import Path

from ..bundle.locking import check_unlocked
from ..config import Config, raw_config, validate_config
from ..errors import ConfigError
from ..files import file_in_the_way
from .cluster import cluster_role


def load_config_unless_locked(config_path: Path, overrides: Iterable[str] = ()) -> Config:
    """The config ``train`` runs, after raising ``LockHeld`` if another run is writing the
    bundle it trains.

    The lock is checked on the config as read, before it is validated (validation imports
    pandas when the config names ``data.freq``), so a cron job that overlaps a running one
    exits 75 within a fraction of a second. It is not checked when the config cannot say
    where its bundle goes, a path runs through a file, or this process is a worker that
    writes nothing: validation and ``train`` then say what is wrong, as they would anyway.
    """
    overrides = list(overrides)
    raw = raw_config(config_path, overrides)
    output = raw["output"].get("dir") if isinstance(raw["output"], dict) else None
    training = raw.get("training")
    distribute = training.get("distribute") if isinstance(training, dict) else None
    role = cluster_role(distribute if isinstance(distribute, str) else "none")
    if isinstance(output, str) and role.is_chief and file_in_the_way(Path(output)) is None:
        check_unlocked(Path(output))
    return validate_config(raw, where=str(config_path), overrides=overrides)


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
