"""Warm start (``training.init_from``): train from a compatible bundle's network on new
data instead of from scratch, keeping the bundle's scalers and coding."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..bundle.parent import load_parent
from ..config import Config
from ..data import Dataset
from ..errors import ConfigError, DataError, first_few
from ..features import Prepared, Preprocessing
from ..features.fit import train_ranges

if TYPE_CHECKING:
    import keras

_log = logging.getLogger(__name__)

# What fixes the network's weights and what its inputs mean: a warm start needs the same.
_SAME_KEYS = (
    ("window", "lookback"),
    ("window", "horizon"),
    ("data", "target"),
    ("data", "features"),
    ("data", "future_features"),
    ("data", "static_features"),
    ("data", "calendar_features"),
)
_SAME_SECTIONS = ("model", "preprocessing")


@dataclass(frozen=True)
class WarmStart:
    """What a warm-started training starts from."""

    preprocessing: Preprocessing  # the parent's scalers and coding, on the new data
    prepared: Prepared
    model: keras.Model  # the parent's network; training goes on from its weights
    parent: dict[str, str]  # recorded in metadata.json


def warm_start(config: Config, dataset: Dataset) -> WarmStart:
    """The parent bundle ``training.init_from`` names, checked against ``config`` and
    ``dataset``, and the new data prepared as the parent prepared its own.

    The parent's scalers and coding are kept, not refit: the weights learned what the
    inputs mean under them, and refit scalers would move every input the network reads.
    With window-local levels (``preprocessing.window_norm``) the scalers matter little;
    the coding (baseline, levels, smoothing weight) is part of what the weights learned.

    Raises:
        ConfigError: the parent differs from the config in what fixes the network (the
            message names every difference), or the config cannot warm start.
        DataError: the data holds a series the parent was not trained on.
    """
    path = config.training.init_from
    if path is None:  # pragma: no cover - callers check
        raise ValueError("no training.init_from")
    if config.training.ensemble > 1:
        raise ConfigError(
            "training.init_from starts one network from another; set training.ensemble: 1"
        )
    parent = load_parent(path)
    differences = _differences(parent.config, config)
    if parent.preprocessing.freq != dataset.freq:
        differences.append(f"frequency {parent.preprocessing.freq} there, {dataset.freq} here")
    if differences:
        raise ConfigError(
            f"training.init_from: the bundle there differs from this config in "
            f"{'; '.join(differences)}; a warm start needs the same network, columns and "
            "window (or train from scratch without training.init_from)",
            where=path,
        )
    _check_series(parent.preprocessing, dataset, path)
    preprocessing, prepared = _carried_over(parent.preprocessing, config, dataset)
    _log.info(
        "training starts from the network of %s (training.init_from), with its scalers and coding",
        path,
    )
    return WarmStart(preprocessing, prepared, parent.model, parent.record())


def _carried_over(
    parent: Preprocessing, config: Config, dataset: Dataset
) -> tuple[Preprocessing, Prepared]:
    """The parent's scalers and coding on new data: the network's inputs keep the meaning
    its weights learned; the last times and train ranges are the new data's (the parent's
    for its series the new data lacks, which keep their place in a series embedding)."""
    prepared = parent.transform(config, dataset)
    new_times = {s.id: s.index[-1].isoformat() for s in dataset.series}
    carried = dataclasses.replace(
        parent,
        last_timestamps={**parent.last_timestamps, **new_times},
        train_ranges={**parent.train_ranges, **train_ranges(dataset, prepared.bounds)},
    )
    return carried, prepared


def _check_series(preprocessing: Preprocessing, dataset: Dataset, path: Path) -> None:
    """Each series of the new data needs the parent's scaler (and embedding row)."""
    known = list(preprocessing.scalers)
    unknown = [s.id for s in dataset.series if s.id not in preprocessing.scalers]
    if not unknown:
        return
    trained_on = (
        "one series, without data.id_column"
        if known == [None]
        else f"{len(known)} series ({first_few(known)})"
    )
    raise DataError(
        f"training.init_from: {len(unknown)} series of the data ({first_few(unknown)}) are "
        f"not among those the bundle at {path} was trained on: {trained_on}; a warm start "
        "trains the series its parent knows (train new ones from scratch)",
        where=dataset.path,
    )


def _differences(parent: Config, config: Config) -> list[str]:
    there, here = parent.model_dump(mode="json"), config.model_dump(mode="json")
    there["data"]["target"] = list(parent.data.targets)  # "sales" is ["sales"]
    here["data"]["target"] = list(config.data.targets)
    keys = list(_SAME_KEYS)
    for section in _SAME_SECTIONS:
        # What is served is chosen after training: the weights do not depend on it.
        keys += [(section, key) for key in here[section] if (section, key) != ("model", "serve")]
    return [
        f"{section}.{key} {_shown(there[section][key])} there, {_shown(here[section][key])} here"
        for section, key in keys
        if there[section][key] != here[section][key]
    ]


def _shown(value: Any) -> str:
    return "null" if value is None else str(value)
