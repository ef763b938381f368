"""Checks made before any data is read or any training starts (no TensorFlow): one
``preflight`` for every command that trains or checks a config, driven by ``NEEDS``, a
table of what each needs of the install and what it refuses of a config; that no other
run holds the output; and the arguments that change a config (``with_test_steps``).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..bundle.locking import check_unlocked
from ..config import Config, raw_config, validate_config
from ..errors import ConfigError, UserError
from ..files import file_in_the_way
from ..nn.compat import check_keras_for_multi_worker, check_keras_tuner
from .cluster import ClusterRole, cluster_role

# The distribution's name ("lstm-forecast" on PyPI is another project's), and the modules
# each of its extras brings (pyproject.toml): a base install predicts without them.
DISTRIBUTION = "lstm-forecast-cli"
EXTRAS = {
    "train": ("tensorflow", "keras", "tf2onnx", "matplotlib"),
    "plot": ("matplotlib",),
    "tune": ("keras_tuner",),
    "tensorboard": ("tensorboard",),
}


@dataclass(frozen=True)
class Needs:
    """What a command needs of the install, and what it takes of a config."""

    extras: tuple[str, ...]  # of ``EXTRAS``
    warm_start: bool  # takes training.init_from (backtest and tune score data a parent saw)
    multi_worker: bool  # takes training.distribute: multi_worker (one process otherwise)
    count: str | None = None  # its argument that counts runs (folds, trials): 1 or more


NEEDS = {
    "validate": Needs(extras=(), warm_start=True, multi_worker=True),
    "train": Needs(extras=("train",), warm_start=True, multi_worker=True),
    "backtest": Needs(extras=("train",), warm_start=False, multi_worker=False, count="folds"),
    "tune": Needs(
        extras=("train", "tune"), warm_start=False, multi_worker=False, count="max_trials"
    ),
}


def preflight(command: str, config: Config, count: int | None = None) -> ClusterRole:
    """Refuse what ``command`` cannot do with ``config`` (and ``count``, its ``Needs.count``
    argument) before any data is read: a missing extra, a key it refuses, a TensorBoard
    folder that cannot be one, an unusable ``TF_CONFIG``. Returns this process's role."""
    needs = NEEDS[command]
    if needs.count is not None and count is not None and count < 1:
        raise ConfigError(
            f"{{{needs.count}}} must be at least 1 (got {count})", arguments=(needs.count,)
        )
    require_extra(needs.extras, command)
    if config.training.init_from is not None and not needs.warm_start:
        raise ConfigError(
            f"training.init_from: {command} trains from scratch (a parent bundle trained "
            "on the data it scores would leak it); remove the key, or {overrides} "
            "training.init_from=null",
            arguments=("overrides",),
        )
    multi_worker = config.training.distribute == "multi_worker"
    if multi_worker and not needs.multi_worker:
        raise ConfigError(
            f"training.distribute: multi_worker is for train; {command} runs in one process "
            "(use none or mirrored)"
        )
    if "tune" in needs.extras:
        check_keras_tuner()
    check_log_folder(config)
    role = cluster_role(config.training.distribute)  # TF_CONFIG must be usable
    if multi_worker and "train" in needs.extras:
        check_keras_for_multi_worker()
    return role


def install_hint(*extras: str) -> str:
    """How to add ``extras``: with pip, or by reinstalling a pipx or uv tool install (whose
    environment pip cannot reach)."""
    named = f"'{DISTRIBUTION}[{','.join(extras)}]'"
    return (
        f"pip install {named} (installed with pipx or uv tool: reinstall with the extra, "
        f"pipx install --force {named} or uv tool install --force {named})"
    )


def require_extra(extras: str | tuple[str, ...], needed_by: str, *, argument: bool = False) -> None:
    """Refuse, before any work, what this install cannot do: ``needed_by`` (a command, or
    with ``argument`` a workflow's argument) needs the modules of ``extras``; the hint
    names every extra that lacks one."""
    wanted = (extras,) if isinstance(extras, str) else extras
    lacking = {e: [m for m in EXTRAS[e] if importlib.util.find_spec(m) is None] for e in wanted}
    missing = [m for modules in lacking.values() for m in modules]
    if missing:
        who = f"{{{needed_by}}}" if argument else needed_by
        raise UserError(
            f"{who} needs {', '.join(missing)}, which this install lacks (a light install "
            f"predicts without them): {install_hint(*(e for e, m in lacking.items() if m))}",
            arguments=(needed_by,) if argument else (),
        )


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
            f"training.tensorboard needs the tensorboard package: {install_hint('tensorboard')}",
            where=folder,
        )
    blocked = file_in_the_way(folder)
    if blocked:
        raise ConfigError(f"training.tensorboard {blocked}", where=folder)


def with_test_steps(config: Config, test_steps: int | None) -> Config:
    """``config`` with a test part of ``test_steps`` rows per series (``--test``), or as
    it is for None."""
    if test_steps is None:
        return config
    horizon = config.window.horizon
    if test_steps < horizon:
        raise UserError(
            f"{{test_steps}} {test_steps} is shorter than the horizon ({horizon}): the test "
            "part is scored in whole forecasts",
            arguments=("test_steps",),
        )
    split = config.split.model_copy(update={"test": test_steps})
    return config.model_copy(update={"split": split})
