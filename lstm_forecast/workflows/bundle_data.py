"""The data a bundle forecasts or scores: its training file, or another, read as the bundle
was trained (evaluate, predict, detect and explain all read it here)."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from ..bundle.layout import CONFIG_FILE, PREPROCESSING_FILE, Bundle
from ..config import DataConfig, MissingPolicy
from ..data import Dataset, load_dataset, load_frame
from ..data.load import load_tails
from ..data.parquet import is_dataset
from ..errors import BundleError, DataError, first_few

_log = logging.getLogger(__name__)

# A bundle's reader takes no config, so a data error's advice to change a key (data.freq,
# data.missing) is followed by how it applies here.
_READ_AS_TRAINED = (
    "a bundle reads data as it was trained (its config.yaml), so fix the file, or retrain "
    "with that setting (predict takes {missing} for data.missing)"
)


def read_bundle_data(
    bundle: Bundle,
    data_path: Path | None = None,
    *,
    missing: MissingPolicy | None = None,
    future_rows: int = 0,
    frame: pd.DataFrame | None = None,
) -> Dataset:
    """The training data recorded in ``bundle``, or ``data_path``, or ``frame`` (a pandas
    frame with the file's columns), read as the bundle was trained: same columns,
    missing-value policy (unless ``missing`` is given) and frequency, without the series
    left out of training. ``future_rows``: each series ends with that many rows of
    future-known values (``load_dataset``)."""
    pre = bundle.preprocessing
    data_cfg = _data_config(bundle, missing)
    if frame is None and data_path is None and not _is_there(data_cfg.path):
        raise DataError(
            "the training CSV recorded in the bundle is not here; pass the data with {data_path}",
            where=data_cfg.path,
            arguments=("data_path",),
        )
    try:
        if frame is not None:
            loaded = load_frame(data_cfg, frame, future_rows=future_rows)
        else:
            loaded = load_dataset(data_cfg, data_path, future_rows=future_rows)
        dataset = _without_skipped(loaded, pre.skipped)
    except DataError as exc:
        if exc.key is None or not exc.key.startswith("data."):
            raise
        raise DataError(
            f"{exc.template}; {_READ_AS_TRAINED}",
            where=exc.where,
            arguments=(*exc.arguments, "missing"),
        ) from None
    if dataset.columns != pre.columns:
        raise BundleError(
            f"{CONFIG_FILE} and {PREPROCESSING_FILE} disagree on columns "
            f"({list(dataset.columns)} vs {list(pre.columns)})",
            where=bundle.run_dir,
        )
    return dataset


def read_bundle_tails(
    bundle: Bundle,
    data_path: Path | None = None,
    *,
    missing: MissingPolicy | None = None,
    future_rows: int = 0,
) -> Dataset | None:
    """``read_bundle_data``'s series, but only the last ``lookback`` rows of each (and its
    future rows), where those are all a forecast reads and give what the whole file
    gives: a Parquet file with timestamps (``load_tails``), a bundle serving
    its network's forecast of a window's baseline (the smoothing forecast reads every
    row), every series known to the bundle (one it does not know is scaled by all its
    rows), and none with a row left out at either end. None otherwise: read it whole
    (which also says what is wrong with a file its tails cannot be read from)."""
    pre = bundle.preprocessing
    if pre.served.uses_smoothing or pre.coding.smoothing_from is not None:
        return None
    data_cfg = _data_config(bundle, missing)
    try:
        path = data_path if data_path is not None else data_cfg.path
        loaded = load_tails(data_cfg, path, pre.lookback, future_rows=future_rows)
    except DataError:
        return None
    if loaded is None or pre.unseen(loaded) or loaded.columns != pre.columns:
        return None
    if any(s.left_out_head or s.left_out_tail for s in loaded.series):
        return None
    return _without_skipped(loaded, pre.skipped)


def _is_there(path: Path) -> bool:
    """A file, a folder, or a pattern matching some file."""
    return path.exists() or (is_dataset(path) and any(path.parent.glob(path.name)))


def _data_config(bundle: Bundle, missing: MissingPolicy | None) -> DataConfig:
    """The bundle's data section, at its frequency, with ``missing`` if given."""
    changes: dict[str, Any] = {"freq": bundle.preprocessing.freq}
    if missing is not None:
        changes["missing"] = missing
    return bundle.config.data.model_copy(update=changes)


def _without_skipped(dataset: Dataset, skipped: frozenset[str]) -> Dataset:
    """``dataset`` without the series left out of training as too short (the model has no
    scaler for them; metrics.json lists them)."""
    left_out = [s.id for s in dataset.series if s.id in skipped]
    if not left_out:
        return dataset
    _log.warning(
        f"{dataset.path}: {len(left_out)} series left out of training as too short "
        f"have no forecast: {first_few(left_out)}"
    )
    kept = tuple(s for s in dataset.series if s.id not in skipped)
    if not kept:
        raise DataError(
            "every series in the file was left out of training as too short",
            where=dataset.path,
        )
    return dataclasses.replace(dataset, series=kept)
