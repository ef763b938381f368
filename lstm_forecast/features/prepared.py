"""Series split and scaled, stacked along time: what training and evaluation consume, and
the windows of each part cut from it (numpy; no TensorFlow).

``Preprocessing`` (``pipeline``) makes a ``Prepared``; test statistics never reach a scaler
or a training target: the leakage test poisons the test part to prove it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..data import Dataset, Series
from ..data.row_files import row_array
from ..data.share import ALONE, Workers
from ..data.split import SplitBounds
from ..data.windows import WindowSet, stack_series, window_starts
from .calendar import calendar_columns
from .coding import WindowCoding
from .scaling import Scaler
from .served import Served

PARTS = ("train", "validation", "test")


@dataclass(frozen=True)
class Prepared:
    """Every series split and scaled, stacked along time in one float32 array."""

    dataset: Dataset
    bounds: tuple[SplitBounds, ...]
    scalers: tuple[Scaler, ...]  # one per series of ``dataset``, in its order
    coding: WindowCoding
    stacked: np.ndarray  # (total rows, n_inputs), model inputs; series i starts at offsets[i]
    offsets: np.ndarray
    # Series of the file left out as too short to train on: id -> why (``dataset`` lacks them).
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)
    # What is served beside (or instead of) the network's forecast; set after training.
    served: Served = dataclasses.field(default_factory=Served)
    # When ``dataset`` is one worker's share of the series: every worker training the model.
    workers: Workers = ALONE

    @property
    def histories(self) -> list[tuple[str | None, np.ndarray]]:
        """Each series' id and rows in original units, as the smoothing forecast reads them."""
        return [(s.id, s.values) for s in self.dataset.series]

    @property
    def scaled(self) -> tuple[np.ndarray, ...]:
        """Each series' model-input rows (views into ``stacked``)."""
        return tuple(
            self.stacked[offset : offset + len(series)]
            for series, offset in zip(self.dataset.series, self.offsets, strict=True)
        )

    def series_slice(self, start: int, stop: int) -> Prepared:
        """The series ``start`` to ``stop`` (positions in ``dataset.series``) alone, their
        rows a view of ``stacked``: what scoring reads a chunk of series at a time."""
        end = int(self.offsets[stop]) if stop < len(self.offsets) else len(self.stacked)
        first = int(self.offsets[start]) if start < len(self.offsets) else end
        series = self.dataset.series[start:stop]
        return dataclasses.replace(
            self,
            dataset=dataclasses.replace(self.dataset, series=series),
            bounds=self.bounds[start:stop],
            scalers=self.scalers[start:stop],
            stacked=self.stacked[first:end],
            offsets=self.offsets[start:stop] - first,
        )

    def windows(self, part: str, stride: int = 1) -> WindowSet:
        """Windows whose targets lie in ``part`` (train, validation or test) of every series.

        Inputs may come from earlier parts; targets never leave their part. Training
        windows step by ``stride`` (``window.stride``); validation and test take every origin.
        """
        lookback, horizon = self.coding.lookback, self.coding.horizon
        # Filled in place: a long file has tens of millions of windows, and a window's
        # targets begin on a distinct row of the part, so the part's rows bound them.
        parts = [_part_rows(bounds, part) for bounds in self.bounds]
        # int32 where every row is addressable so (half of int64's memory), on the
        # boundary TensorFlow reads in place.
        kind = np.int32 if len(self.stacked) < 2**31 else np.int64
        starts = row_array((sum(max(hi - lo, 0) for lo, hi in parts),), kind)
        filled = 0
        for series, (lo, hi), offset in zip(self.dataset.series, parts, self.offsets, strict=True):
            local = window_starts(
                len(series),
                lookback,
                horizon,
                targets_from=lo,
                targets_to=hi,
                stride=stride if part == "train" else 1,
                complete=series.complete,
            )
            starts[filled : filled + len(local)] = local + offset
            filled += len(local)
        return WindowSet(
            values=self.stacked,
            starts=starts[:filled],
            lookback=lookback,
            horizon=horizon,
            n_targets=self.dataset.n_targets,
            input_rows=self.coding.window_rows,
        )

    def test_origins(self) -> list[np.ndarray]:
        """Per series, every origin (row of the first forecast step) whose whole horizon
        lies in its test part."""
        return self._origins_in(lambda b: (b.validation_end, b.length))

    def validation_origins(self) -> list[np.ndarray]:
        """Per series, every origin whose whole horizon lies in its validation part."""
        return self._origins_in(lambda b: (b.train_end, b.validation_end))

    def _origins_in(self, part: Callable[[SplitBounds], tuple[int, int]]) -> list[np.ndarray]:
        lookback, horizon = self.coding.lookback, self.coding.horizon
        origins = []
        for series, bounds in zip(self.dataset.series, self.bounds, strict=True):
            start, end = part(bounds)
            starts = window_starts(
                len(series),
                lookback,
                horizon,
                targets_from=start,
                targets_to=end,
                complete=series.complete,
            )
            origins.append(starts + lookback)
        return origins

    def origins_before_end(self, rows: int) -> list[np.ndarray]:
        """Per series, the one origin ``rows`` rows before its end (a backtest's fold)."""
        return [np.array([len(series) - rows]) for series in self.dataset.series]


def stacked_rows(
    dataset: Dataset,
    bounds: Sequence[SplitBounds],
    scalers: Sequence[Scaler],
    coding: WindowCoding,
    rows: Iterable[np.ndarray],
    skipped: dict[str, str] | None = None,
) -> Prepared:
    """``rows`` (each series' ``model_rows``) stacked into one ``Prepared``; made one at a
    time (a generator), they are never all held beside the stack."""
    stacked, offsets = stack_series(rows, [len(s) for s in dataset.series])
    return Prepared(
        dataset=dataset,
        bounds=tuple(bounds),
        scalers=tuple(scalers),
        coding=coding,
        stacked=stacked,
        offsets=offsets,
        skipped=skipped or {},
    )


def stacked_model_rows(
    dataset: Dataset,
    scalers: Sequence[Scaler],
    calendar_features: Sequence[str],
    static_scaler: Scaler,
    first_index: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Every series' ``model_rows`` (no smoothing columns; with a series embedding, its
    position in ``dataset`` after ``first_index``) stacked as each is made, and their
    offsets (``stack_series``)."""
    rows = (
        model_rows(
            s,
            scaler,
            calendar_features,
            static_scaler,
            None if first_index is None else first_index + k,
        )
        for k, (s, scaler) in enumerate(zip(dataset.series, scalers, strict=True))
    )
    return stack_series(rows, [len(s) for s in dataset.series])


def model_rows(
    series: Series,
    scaler: Scaler,
    calendar_features: Sequence[str],
    static_scaler: Scaler,
    series_index: int | None = None,
    smoothing: np.ndarray | None = None,
) -> np.ndarray:
    """The rows a window is cut from: scaled columns, then calendar columns, then the
    series' scaled static features repeated on every row, then the ``smoothing`` columns
    (``model.baseline: smoothing``), then (with a series embedding) the series' index in
    it on every row (float32; exact for any index below 2**24)."""
    scaled = scaler.transform(series.values)
    calendar = calendar_columns(series.index, calendar_features)
    static = static_scaler.transform(series.static)
    columns = [scaled, calendar, np.broadcast_to(static, (len(series), len(static)))]
    if smoothing is not None:
        columns.append(smoothing)
    if series_index is not None:
        columns.append(np.full((len(series), 1), float(series_index)))
    return np.concatenate(columns, axis=1).astype(np.float32)


def _part_rows(bounds: SplitBounds, part: str) -> tuple[int, int]:
    if part == "train":
        return 0, bounds.train_end
    if part == "validation":
        return bounds.train_end, bounds.validation_end
    if part == "test":
        return bounds.validation_end, bounds.length
    raise ValueError(f"unknown part {part!r}")
