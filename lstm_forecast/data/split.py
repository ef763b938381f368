"""Split each series by time into train, validation and test parts, at its end, and
leave out of training the series too short for that."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

from ..config import Config, SplitConfig, WindowConfig
from ..errors import DataError
from .series import Dataset, Series

_log = logging.getLogger(__name__)
# Skipped series named one per line up to this many, then counted (all are in metrics.json).
_NAMED_SKIPS = 10


@dataclass(frozen=True)
class SplitBounds:
    """Row positions in one series: train ``[0, train_end)``, validation
    ``[train_end, validation_end)``, test ``[validation_end, length)``."""

    train_end: int
    validation_end: int
    length: int

    @property
    def validation_size(self) -> int:
        return self.validation_end - self.train_end

    @property
    def test_size(self) -> int:
        return self.length - self.validation_end


def split_bounds(length: int, split: SplitConfig, horizon: int) -> SplitBounds:
    """Where the parts of a series of ``length`` rows end (the test part comes last).

    A part given as a fraction is at least one ``horizon`` long, so it holds at least one
    whole forecast; a part given in steps is taken as given.
    """
    test = _part_size(split.test, length, horizon)
    validation = _part_size(split.validation, length, horizon)
    train_end = max(length - test - validation, 0)
    return SplitBounds(train_end=train_end, validation_end=max(length - test, 0), length=length)


def check_split(
    series: Series, bounds: SplitBounds, window: WindowConfig, split: SplitConfig, where: Path
) -> None:
    """Refuse a series too short for one training window and whole validation/test horizons."""
    if split_fits(bounds, window):
        return
    raise DataError(
        f"{too_short(series, window, split)}; shorten window.lookback or the split", where=where
    )


def too_short(series: Series, window: WindowConfig, split: SplitConfig) -> str:
    """Why ``series`` cannot be split and windowed (for a series where it cannot)."""
    needed = _rows_needed(len(series), window, split)
    name = f"series '{series.id}'" if series.id is not None else "the series"
    return (
        f"{name} has {len(series)} rows but needs at least {needed}: lookback "
        f"{window.lookback} + horizon {window.horizon} for training, then validation "
        f"{_describe_part(split.validation)} and test {_describe_part(split.test)}, each "
        f"at least one horizon long"
    )


def split_fits(bounds: SplitBounds, window: WindowConfig) -> bool:
    """Whether the parts hold one training window and whole validation/test horizons."""

    def holds_horizons(size: int) -> bool:
        return size == 0 or size >= window.horizon

    return (
        bounds.train_end >= window.lookback + window.horizon
        and holds_horizons(bounds.validation_size)
        and holds_horizons(bounds.test_size)
    )


def _rows_needed(length: int, window: WindowConfig, split: SplitConfig) -> int:
    for candidate in range(window.lookback + window.horizon, 100 * (length + 1) + 10_000):
        if split_fits(split_bounds(candidate, split, window.horizon), window):
            return candidate
    raise DataError("the split leaves no room for a training window")  # pragma: no cover


def _describe_part(part: float | int) -> str:
    return f"{part:.0%}" if isinstance(part, float) else f"{part} steps"


def _part_size(part: float | int, length: int, horizon: int) -> int:
    return max(round(part * length), horizon) if isinstance(part, float) else part


def trainable_series(
    config: Config, dataset: Dataset, warn: bool = True
) -> tuple[Dataset, dict[str, str]]:
    """The dataset without the series too short to train on, and why each was left out."""
    floor = config.data.min_series_length
    short = [s for s in dataset.series if floor is not None and len(s) < floor]
    if short:
        name = "the series" if short[0].id is None else f"series '{short[0].id}'"
        raise DataError(
            f"{name} has {len(short[0])} rows, fewer than data.min_series_length ({floor})"
            + (f"; so have {len(short) - 1} more" if len(short) > 1 else ""),
            where=dataset.path,
        )
    if len(dataset.series) == 1:
        return dataset, {}  # one series: refused below if too short, never skipped
    skipped = {}
    for series in dataset.series:
        bounds = split_bounds(len(series), config.split, config.window.horizon)
        if not split_fits(bounds, config.window):
            skipped[str(series.id)] = too_short(series, config.window, config.split)
    if not skipped or len(skipped) == len(dataset.series):
        return dataset, {}  # none to skip, or all too short: the first is refused below
    if warn:
        _warn_skipped(dataset, skipped)
    kept = tuple(s for s in dataset.series if str(s.id) not in skipped)
    return dataclasses.replace(dataset, series=kept), skipped


def _warn_skipped(dataset: Dataset, skipped: dict[str, str]) -> None:
    for reason in list(skipped.values())[:_NAMED_SKIPS]:
        _log.warning(f"{dataset.path}: {reason}; skipped")
    if len(skipped) > _NAMED_SKIPS:
        _log.warning(
            f"{dataset.path}: {len(skipped) - _NAMED_SKIPS} more series too short to train "
            "on were skipped (all are listed in metrics.json)"
        )
