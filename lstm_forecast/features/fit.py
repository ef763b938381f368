"""What training decides on the train parts: each series' scaler, the calendar features
and the window coding (its ``auto`` settings, the columns known ahead) (numpy; no
TensorFlow)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..config import Config
from ..data import Dataset
from ..data.share import ALONE, Workers, pooled, pooled_sum, raised_together
from ..data.split import SplitBounds, check_split, split_bounds, trainable_series
from ..data.timeindex import season_length_for
from ..errors import DataError
from .baselines import baseline_for, is_seasonal
from .calendar import automatic_calendar
from .coding import WindowCoding, typical_spread
from .scaling import Scaler, check_positive
from .served import Served, fit_models


def fit_scalers(
    config: Config, dataset: Dataset, bounds: Sequence[SplitBounds], workers: Workers = ALONE
) -> list[Scaler]:
    """One scaler per series, fit on its train part, in log units when
    ``preprocessing.log`` asks (``auto``: when every target value is positive, of every
    worker's series)."""
    log = config.preprocessing.log
    if log == "auto":
        some_not = any((s.values[:, : dataset.n_targets] <= 0).any() for s in dataset.series)
        log = not pooled_sum(workers, float(some_not))
    n_logged = dataset.n_targets if log else 0
    if n_logged:
        raised_together(workers, lambda: check_positive(dataset))
    return [
        Scaler.fit(config.preprocessing.scaler, s.values[: b.train_end], n_logged)
        for s, b in zip(dataset.series, bounds, strict=True)
    ]


def check_same_freq(dataset: Dataset, workers: Workers = ALONE) -> None:
    """Refuse shares of the series whose frequencies differ (each worker infers its own
    unless ``data.freq`` gives it)."""
    every = pooled(workers, np.array([dataset.freq]))
    if len(set(every)) > 1:
        raise DataError(
            f"the workers' shares of the series have different frequencies "
            f"({', '.join(sorted(set(map(str, every))))}); set data.freq",
            where=dataset.path,
        )


def static_scaler_for(dataset: Dataset, workers: Workers = ALONE) -> Scaler:
    """The standardisation of ``data.static_features`` across every worker's series."""
    return Scaler.fit("standard", pooled(workers, np.stack([s.static for s in dataset.series])))


def embedding_start(config: Config, dataset: Dataset, workers: Workers = ALONE) -> int | None:
    """With a series embedding, the row of this worker's first series: its place among
    every worker's series, in worker order (None without one)."""
    if not config.model.series_embedding:
        return None
    counts = workers.gather(np.array([len(dataset.series)]))
    return int(sum(c[0] for c in counts[: workers.share.index]))


def future_columns(config: Config, dataset: Dataset, n_calendar: int) -> tuple[int, ...]:
    """The model-row columns known over the horizon: ``data.future_features``, then the
    ``n_calendar`` calendar features' columns (``model_rows`` puts them after the data
    columns, two each)."""
    data = tuple(dataset.columns.index(c) for c in config.data.future_features)
    calendar = range(len(dataset.columns), len(dataset.columns) + 2 * n_calendar)
    return (*data, *calendar)


def calendar_for(
    config: Config, dataset: Dataset, bounds: Sequence[SplitBounds], workers: Workers = ALONE
) -> tuple[str, ...]:
    """``data.calendar_features``, with ``auto`` decided on the train parts (every
    worker's)."""
    chosen = config.data.calendar_features
    if chosen != "auto":
        return tuple(chosen)
    shortest = int(pooled(workers, np.array([min(b.train_end for b in bounds)])).min())
    return automatic_calendar(dataset.freq, config.window.lookback, shortest)


def window_coding(
    config: Config,
    dataset: Dataset,
    bounds: Sequence[SplitBounds],
    scaled: Sequence[np.ndarray],
    calendar: Sequence[str],
    workers: Workers = ALONE,
) -> WindowCoding:
    """The coding of the config, with its ``auto`` settings decided on the data (every
    worker's)."""
    chosen = config.evaluation.season_length
    season = season_length_for(dataset.freq) if chosen == "auto" else chosen
    train_parts = [
        s[: b.train_end, : dataset.n_targets] for s, b in zip(scaled, bounds, strict=True)
    ]  # views, no copies
    baseline, alpha = baseline_for(config, bounds, scaled, dataset.n_targets, season, workers)
    window_norm = config.preprocessing.window_norm
    if window_norm == "auto":
        # A seasonal window's last value sits somewhere in the cycle; its mean does not.
        # Under the whole-history smoothing forecast, the window is seen as under the naive
        # forecast ``auto`` would choose.
        seen_as = baseline
        if baseline == "smoothing":
            seen_as, _ = baseline_for(
                config, bounds, scaled, dataset.n_targets, season, workers, auto_only=True
            )
        window_norm = "mean" if is_seasonal(seen_as) else "last"
    typical = 1.0
    if config.preprocessing.window_scale != "none":
        typical = typical_spread(train_parts, config.window.lookback, workers)
    try:
        return WindowCoding(
            window_norm=window_norm,
            window_scale=config.preprocessing.window_scale,
            typical_spread=typical,
            baseline=baseline,
            baseline_alpha=alpha,
            season_length=season,
            lookback=config.window.lookback,
            horizon=config.window.horizon,
            n_targets=dataset.n_targets,
            n_levelled=len(dataset.columns),
            quantile_levels=tuple(config.model.quantiles),
            future_columns=future_columns(config, dataset, len(calendar)),
            # The smoothing forecast's columns go before a series embedding's index.
            smoothing_from=(
                scaled[0].shape[1] - (config.model.series_embedding > 0)
                if baseline == "smoothing"
                else None
            ),
        )
    except ValueError as exc:
        raise DataError(f"{exc}; raise the lookback or set evaluation.season_length") from None


# model.baseline: smoothing filters each row in Python (about 20 microseconds a row, again
# at predict): beyond this many rows in all it is refused.
SMOOTHING_BASELINE_ROWS = 1_000_000


def smoothing_served(
    coding: WindowCoding, dataset: Dataset, bounds: Sequence[SplitBounds], workers: Workers = ALONE
) -> Served:
    """Under ``model.baseline: smoothing``, the network served with the smoothing models
    its baseline reads (one per series and target, fit on the train parts); else the
    network alone (``model.serve`` may fit them after training)."""
    season = coding.season_length
    if coding.smoothing_from is None:
        return Served(season=season)
    rows = int(pooled_sum(workers, sum(len(s) for s in dataset.series)))
    if rows > SMOOTHING_BASELINE_ROWS:
        raise DataError(
            f"model.baseline: smoothing runs a smoothing filter over every row of every "
            f"series, one row at a time: {rows:,} rows is more than {SMOOTHING_BASELINE_ROWS:,}; "
            "it is meant for short series: choose auto or seasonal_naive",
            where=dataset.path,
        )
    return Served(models=fit_models(dataset, bounds, season), season=season)


def trainable_parts(
    config: Config, dataset: Dataset, warn_skipped: bool, workers: Workers = ALONE
) -> tuple[Dataset, dict[str, str], list[SplitBounds]]:
    """The series long enough to train on (``trainable_series``), those left out and
    why, and each one's split; refused on every worker where one worker's share is."""

    def split() -> tuple[Dataset, dict[str, str], list[SplitBounds]]:
        kept, skipped = trainable_series(config, dataset, warn_skipped)
        return kept, skipped, checked_split(config, kept)

    return raised_together(workers, split)


def checked_split(config: Config, dataset: Dataset) -> list[SplitBounds]:
    """Each series' split; refuses one too short for a training window and the parts."""
    bounds = []
    for series in dataset.series:
        part = split_bounds(len(series), config.split, config.window.horizon)
        check_split(series, part, config.window, config.split, dataset.path)
        bounds.append(part)
    return bounds


def train_ranges(
    dataset: Dataset, bounds: Sequence[SplitBounds]
) -> dict[str | None, tuple[np.ndarray, np.ndarray]]:
    """Each series' lowest and highest value of each column in its train part."""
    return {
        s.id: (
            np.nanmin(s.values[: b.train_end], axis=0),
            np.nanmax(s.values[: b.train_end], axis=0),
        )
        for s, b in zip(dataset.series, bounds, strict=True)
    }
