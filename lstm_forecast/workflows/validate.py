"""``validate``: check a config against its data, split and output directory, without
training and without TensorFlow."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..bundle.store import check_target, is_bundle
from ..config import Config
from ..data import Dataset, load_dataset
from ..features import Prepared, Preprocessing
from ..features.prepared import PARTS
from .preflight import preflight


@dataclass(frozen=True)
class Summary:
    """What ``validate`` found: the data as the config reads it, without training."""

    dataset: Dataset
    prepared: Prepared
    windows: dict[str, int]  # part -> number of windows
    run_dir: Path
    replaces_bundle: bool


def validate(config: Config) -> Summary:
    """Check the config against its data and output directory; no TensorFlow."""
    preflight("validate", config)
    dataset = load_dataset(config.data)
    _, prepared = Preprocessing.fit_transform(config, dataset)
    check_target(config.run_dir)
    windows = {part: len(prepared.windows(part, config.window.stride)) for part in PARTS}
    return Summary(
        dataset=dataset,
        prepared=prepared,
        windows=windows,
        run_dir=config.run_dir,
        replaces_bundle=is_bundle(config.run_dir),
    )
