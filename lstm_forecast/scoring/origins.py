"""Which origins are scored (numpy; no TensorFlow): those where every model has the
history it needs, an even spread of them where there are many, their input windows, and
how many series' origins are forecast at a time."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from ..data.share import ALONE, Workers, pooled_sum
from ..features import Prepared
from .metrics import seasonal_naive_forecasts


def scored_origins(prepared: Prepared, origins: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Per series, the origins that can be scored: those where seasonal naive has a whole
    season of history, so every model is scored on the same origins."""
    n_targets, horizon = prepared.coding.n_targets, prepared.coding.horizon
    return [
        rows[_has_season(s.values[:, :n_targets], rows, horizon, prepared.coding.season_length)]
        for s, rows in zip(prepared.dataset.series, origins, strict=True)
    ]


def _has_season(
    actual: np.ndarray, origins: np.ndarray, horizon: int, season_length: int
) -> np.ndarray:
    """Bool per origin: seasonal naive has the (complete) history it needs."""
    enough = origins >= season_length
    ready = np.zeros(len(origins), dtype=bool)
    snaive = seasonal_naive_forecasts(
        actual, origins[enough], horizon, actual.shape[1], season_length
    )
    ready[enough] = np.isfinite(snaive).all(axis=(1, 2))
    return ready


def origin_windows(prepared: Prepared, origins: Sequence[np.ndarray]) -> np.ndarray:
    """The input windows of every origin, series after series (scaled)."""
    coding = prepared.coding
    windows = [
        coding.windows_at(scaled, rows)
        for scaled, rows in zip(prepared.scaled, origins, strict=True)
    ]
    return np.concatenate(windows) if windows else np.empty((0, coding.window_rows, 0))


# Validation origins scored against the naives at most (about: each series keeps one):
# every window of a long file's validation part would take longer to score than the
# training (benchmarks/README.md, issue 38), and its mean MASE needs far fewer.
MOST_VALIDATION_ORIGINS = 100_000


def spread_origins(
    origins: Sequence[np.ndarray], most: int, workers: Workers = ALONE
) -> tuple[list[np.ndarray], int]:
    """Every ``step``-th origin of each series, counted back from its last, for the least
    step that leaves about ``most`` in all (each series keeps one; all: every worker's
    series); and the step."""
    total = int(pooled_sum(workers, sum(len(rows) for rows in origins)))
    step = max(1, -(-total // most))
    return [rows[::-1][::step][::-1] for rows in origins], step


def validation_spread(prepared: Prepared) -> tuple[list[np.ndarray], int]:
    """``prepared``'s validation origins, spread to about ``MOST_VALIDATION_ORIGINS``, and
    the step (``spread_origins``)."""
    return spread_origins(prepared.validation_origins(), MOST_VALIDATION_ORIGINS, prepared.workers)


def origin_chunks(counts: Sequence[int], most: int) -> Iterator[tuple[int, int]]:
    """Consecutive ranges of positions whose ``counts`` add up to ``most`` or fewer (one
    position alone where its own count is more)."""
    start, total = 0, 0
    for position, count in enumerate(counts):
        if total and total + count > most:
            yield start, position
            start, total = position, 0
        total += count
    if start < len(counts):
        yield start, len(counts)
