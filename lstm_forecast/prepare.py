"""From a loaded dataset to what training and evaluation consume (numpy; no TensorFlow).

Split each series by time, fit its scaler on its train part only, scale it, add calendar
columns, and describe the windows of each part by their starts. Test statistics never
reach a scaler or a training target: the leakage test poisons the test part to prove it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .config import Config
from .data import Dataset, Series
from .encoding import WindowCoding, choose_baseline
from .errors import DataError
from .metrics import season_length_for
from .scaling import Scaler
from .split import SplitBounds, check_split, split_bounds, split_fits, too_short
from .timeindex import calendar_columns
from .windows import WindowSet, stack_series, window_starts

_log = logging.getLogger(__name__)
# Skipped series named one per line up to this many, then counted (all are in metrics.json).
_NAMED_SKIPS = 10


@dataclass(frozen=True)
class Prepared:
    """Every series split and scaled, stacked along time in one float32 array."""

    dataset: Dataset
    bounds: tuple[SplitBounds, ...]
    scalers: tuple[Scaler, ...]
    coding: WindowCoding
    stacked: np.ndarray  # (total rows, n_inputs), model inputs; series i starts at offsets[i]
    offsets: np.ndarray
    # Standardises data.static_features across the training series (their one value each).
    static_scaler: Scaler
    # Series of the file left out as too short to train on: id -> why (``dataset`` lacks them).
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def scaled(self) -> tuple[np.ndarray, ...]:
        """Each series' model-input rows (views into ``stacked``)."""
        return tuple(
            self.stacked[offset : offset + len(series)]
            for series, offset in zip(self.dataset.series, self.offsets, strict=True)
        )


def prepare(
    config: Config,
    dataset: Dataset,
    scalers: Sequence[Scaler] | None = None,
    coding: WindowCoding | None = None,
    static_scaler: Scaler | None = None,
    series_index: Sequence[int | None] | None = None,
    *,
    warn_skipped: bool = True,
) -> Prepared:
    """Split and scale every series.

    ``scalers`` (one per series), ``coding`` and ``static_scaler``, from a bundle, are
    used as given, as is ``series_index`` (each series' row in the model's series
    embedding, None without one; by default their order here), and a
    series too short for the split is refused. Otherwise (training) each series' scaler
    is fit on its own train part and the coding follows the config (``baseline: auto``
    decided on the train parts); of several series, one too short for the split is left
    out with a warning (``skipped``; no warning without ``warn_skipped``), unless
    shorter than ``data.min_series_length``, which refuses it.
    """
    skipped: dict[str, str] = {}
    if scalers is None:
        dataset, skipped = _trainable(config, dataset, warn_skipped)
    bounds = []
    for series in dataset.series:
        part = split_bounds(len(series), config.split, config.window.horizon)
        check_split(series, part, config.window, config.split, dataset.path)
        bounds.append(part)
    if scalers is None:
        log = config.preprocessing.log
        if log == "auto":
            log = not any((s.values[:, : dataset.n_targets] <= 0).any() for s in dataset.series)
        n_logged = dataset.n_targets if log else 0
        if n_logged:
            check_positive(dataset)
        scalers = [
            Scaler.fit(config.preprocessing.scaler, s.values[: b.train_end], n_logged)
            for s, b in zip(dataset.series, bounds, strict=True)
        ]
    elif any(s.n_logged for s in scalers):
        check_positive(dataset)  # the model works in log units: new data must allow it
    if static_scaler is None:
        statics = np.stack([s.static for s in dataset.series])  # (n_series, n_static)
        static_scaler = Scaler.fit("standard", statics)
    features = config.data.calendar_features
    if series_index is None:
        embedded = config.model.series_embedding > 0
        series_index = [k if embedded else None for k in range(len(dataset.series))]
    rows = [
        model_rows(s, sc, features, static_scaler, k)
        for s, sc, k in zip(dataset.series, scalers, series_index, strict=True)
    ]
    stacked, offsets = stack_series(rows)
    return Prepared(
        dataset=dataset,
        bounds=tuple(bounds),
        scalers=tuple(scalers),
        coding=coding or window_coding(config, dataset, bounds, rows),
        stacked=stacked,
        offsets=offsets,
        static_scaler=static_scaler,
        skipped=skipped,
    )


def _trainable(
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


def model_rows(
    series: Series,
    scaler: Scaler,
    calendar_features: Sequence[str],
    static_scaler: Scaler,
    series_index: int | None = None,
) -> np.ndarray:
    """The rows a window is cut from: scaled columns, then calendar columns, then the
    series' scaled static features repeated on every row, then (with a series embedding)
    the series' index in it on every row (float32; exact for any index below 2**24)."""
    scaled = scaler.transform(series.values)
    calendar = calendar_columns(series.index, calendar_features)
    static = static_scaler.transform(series.static)
    columns = [scaled, calendar, np.broadcast_to(static, (len(series), len(static)))]
    if series_index is not None:
        columns.append(np.full((len(series), 1), float(series_index)))
    return np.concatenate(columns, axis=1).astype(np.float32)


def season_length(config: Config, freq: str) -> int:
    chosen = config.evaluation.season_length
    return season_length_for(freq) if chosen == "auto" else chosen


def window_coding(
    config: Config, dataset: Dataset, bounds: Sequence[SplitBounds], scaled: Sequence[np.ndarray]
) -> WindowCoding:
    """The coding of the config, with ``baseline: auto`` decided on the train parts."""
    season = season_length(config, dataset.freq)
    train_parts = [
        s[: b.train_end, : dataset.n_targets] for s, b in zip(scaled, bounds, strict=True)
    ]  # views, no copies
    baseline = config.model.baseline
    if baseline == "auto":
        baseline = choose_baseline(
            train_parts, config.window.lookback, config.window.horizon, season
        )
    typical = 1.0
    if config.preprocessing.window_scale != "none":
        typical = typical_spread(train_parts, config.window.lookback)
    try:
        return WindowCoding(
            window_norm=config.preprocessing.window_norm,
            window_scale=config.preprocessing.window_scale,
            typical_spread=typical,
            baseline=baseline,
            season_length=season,
            lookback=config.window.lookback,
            horizon=config.window.horizon,
            n_targets=dataset.n_targets,
            n_levelled=len(dataset.columns),
            quantile_levels=tuple(config.model.quantiles),
        )
    except ValueError as exc:
        raise DataError(f"{exc}; raise the lookback or set evaluation.season_length") from None


def typical_spread(train_parts: Sequence[np.ndarray], lookback: int) -> float:
    """The median, over every input window of the train parts (``(rows, n_targets)``
    each, scaled), of the window's standard deviation; 1 when there is none to measure
    (windows with missing values are left out)."""

    def window_sums(rows: np.ndarray) -> np.ndarray:
        running = np.concatenate([[0.0], np.cumsum(rows)])
        return running[lookback:] - running[:-lookback]

    spreads = []
    for values in train_parts:
        if len(values) < lookback:
            continue
        # Running sums give every window's variance in one pass, without the windows;
        # a running count of missing rows leaves out the windows that hold one.
        missing = ~np.isfinite(values).all(axis=1)
        known = np.where(missing[:, None], 0.0, values).astype(np.float64)
        size = lookback * values.shape[1]
        mean = window_sums(known.sum(axis=1)) / size
        variance = window_sums((known**2).sum(axis=1)) / size - mean**2
        complete = window_sums(missing.astype(np.float64)) == 0
        spreads.append(np.sqrt(np.maximum(variance[complete], 0.0)))
    pooled = np.concatenate(spreads) if spreads else np.array([])
    pooled = pooled[pooled > 0]
    return float(np.median(pooled)) if len(pooled) else 1.0


def part_windows(config: Config, prepared: Prepared, part: str) -> WindowSet:
    """Windows whose targets lie in ``part`` (train, validation or test) of every series.

    Inputs may come from earlier parts; targets never leave their part. Training windows
    step by ``window.stride``; validation and test take every origin.
    """
    lookback, horizon = config.window.lookback, config.window.horizon
    starts = []
    for series, bounds, offset in zip(
        prepared.dataset.series, prepared.bounds, prepared.offsets, strict=True
    ):
        lo, hi = _part_rows(bounds, part)
        local = window_starts(
            len(series),
            lookback,
            horizon,
            targets_from=lo,
            targets_to=hi,
            stride=config.window.stride if part == "train" else 1,
            complete=series.complete,
        )
        starts.append(local + offset)
    return WindowSet(
        values=prepared.stacked,
        starts=np.concatenate(starts),
        lookback=lookback,
        horizon=horizon,
        n_targets=prepared.dataset.n_targets,
    )


def training_windows(config: Config, prepared: Prepared) -> WindowSet:
    """The training windows; refuses a dataset that has none."""
    windows = part_windows(config, prepared, "train")
    if len(windows) == 0:
        raise DataError(
            "no training window without missing values (data.missing: drop drops every "
            "window that touches a missing row); try ffill or interpolate",
            where=prepared.dataset.path,
        )
    return windows


def _part_rows(bounds: SplitBounds, part: str) -> tuple[int, int]:
    if part == "train":
        return 0, bounds.train_end
    if part == "validation":
        return bounds.train_end, bounds.validation_end
    if part == "test":
        return bounds.validation_end, bounds.length
    raise ValueError(f"unknown part {part!r}")


def check_positive(dataset: Dataset) -> None:
    """Refuse a target value <= 0: a model trained in log units cannot take it."""
    for series in dataset.series:
        targets = series.values[:, : dataset.n_targets]
        bad = np.flatnonzero((targets <= 0).any(axis=1))
        if len(bad):
            row = int(bad[0])
            column = dataset.columns[int(np.flatnonzero(targets[row] <= 0)[0])]
            where = "" if series.id is None else f"series '{series.id}': "
            raise DataError(
                f"{where}preprocessing.log needs positive targets, but {column!r} is "
                f"{targets[row].min():g} at {series.index[row]}",
                where=dataset.path,
            )
