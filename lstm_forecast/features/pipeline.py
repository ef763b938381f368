"""Fitted preprocessing: how a dataset's rows become network inputs and forecasts return
to original units, learned on the train parts only (numpy; no TensorFlow).

``Preprocessing.fit_transform`` learns it while training; evaluate and predict rebuild it
from ``preprocessing.json`` (``to_json`` / ``from_json``) and go through the same
``transform`` or ``forecast_inputs``, so training and inference cannot disagree.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Config
from ..data import Dataset, Series
from ..data.share import ALONE, Workers
from ..data.timeindex import future_index
from ..errors import DataError, first_few
from . import record
from .coding import WindowCoding
from .fit import (
    calendar_for,
    check_same_freq,
    checked_split,
    embedding_start,
    fit_scalers,
    smoothing_served,
    static_scaler_for,
    train_ranges,
    trainable_parts,
    window_coding,
)
from .prepared import Prepared, model_rows, stacked_model_rows, stacked_rows
from .scaling import Scaler, check_loggable
from .served import Served


@dataclass(frozen=True)
class Preprocessing:
    """What training learned about the data, in plain numbers and names."""

    columns: tuple[str, ...]  # data columns: targets, then features
    n_targets: int
    freq: str
    time_format: str | None
    calendar_features: tuple[str, ...]
    coding: WindowCoding
    scalers: dict[str | None, Scaler]  # by series id (None: a single series)
    last_timestamps: dict[str | None, str]
    # Lowest and highest value of each column in each series' train part (predict warns
    # when its inputs are far outside them).
    train_ranges: dict[str | None, tuple[np.ndarray, np.ndarray]]
    # data.static_features and how they are standardised (across the training series).
    static_features: tuple[str, ...] = ()
    static_scaler: Scaler = field(default_factory=lambda: Scaler("none", np.zeros(0), np.ones(0)))
    # Series of the training file left out as too short (no forecast for them).
    skipped: frozenset[str] = frozenset()
    # model.series_embedding: each series' row in it is its place in ``scalers``.
    series_embedding: int = 0
    # What the bundle serves: the network, the smoothing forecast or their mean.
    served: Served = field(default_factory=Served)
    # A worker's share: its first series' place among all (its embedding row); 0: all.
    first_position: int = 0

    @property
    def lookback(self) -> int:
        return self.coding.lookback

    @property
    def horizon(self) -> int:
        return self.coding.horizon

    @property
    def future_rows(self) -> int:
        """Rows after each series' history that predict reads: the horizon when data
        columns are known ahead (``data.future_features``), else none."""
        known = any(c < len(self.columns) for c in self.coding.future_columns)
        return self.horizon if known else 0

    @classmethod
    def fit_transform(
        cls,
        config: Config,
        dataset: Dataset,
        *,
        warn_skipped: bool = True,
        workers: Workers = ALONE,
    ) -> tuple[Preprocessing, Prepared]:
        """Fit ``config``'s preprocessing on ``dataset``'s train parts; prepare it for training.

        Each series' scaler is fit on its own train part, and the coding follows the config
        (``baseline: auto`` decided on the train parts). Of several series, one too short
        for the split is left out with a warning (``skipped``; none without
        ``warn_skipped``), unless shorter than ``data.min_series_length``, which refuses it.
        With ``workers``, ``dataset`` is one worker's share, and what is decided across
        series is decided on every worker's alike (``fit.py``)."""

        dataset, skipped, bounds = trainable_parts(config, dataset, warn_skipped, workers)
        check_same_freq(dataset, workers)
        scalers = fit_scalers(config, dataset, bounds, workers)
        static_scaler = static_scaler_for(dataset, workers)
        first = embedding_start(config, dataset, workers)
        calendar = calendar_for(config, dataset, bounds, workers)
        stacked, offsets = stacked_model_rows(dataset, scalers, calendar, static_scaler, first)
        rows = [stacked[o : o + len(s)] for o, s in zip(offsets, dataset.series, strict=True)]
        coding = window_coding(config, dataset, bounds, rows, calendar, workers)
        served = smoothing_served(coding, dataset, bounds, workers)
        fitted = cls(
            columns=dataset.columns,
            n_targets=dataset.n_targets,
            freq=dataset.freq,
            time_format=dataset.time_format,
            calendar_features=calendar,
            coding=coding,
            scalers={s.id: scaler for s, scaler in zip(dataset.series, scalers, strict=True)},
            last_timestamps={s.id: s.index[-1].isoformat() for s in dataset.series},
            train_ranges=train_ranges(dataset, bounds),
            static_features=tuple(config.data.static_features),
            static_scaler=static_scaler,
            skipped=frozenset(skipped),
            series_embedding=config.model.series_embedding,
            served=served,
            first_position=first or 0,
        )
        prepared = Prepared(
            dataset, tuple(bounds), tuple(scalers), coding, stacked, offsets, skipped
        )
        if coding.smoothing_from is not None:  # the rows again, with the smoothing forecast
            smoothed = (
                fitted.rows(s, scaler, b.train_end)
                for s, scaler, b in zip(dataset.series, scalers, bounds, strict=True)
            )
            prepared = stacked_rows(dataset, bounds, scalers, coding, smoothed, skipped)
        return fitted, dataclasses.replace(prepared, served=served, workers=workers)

    def transform(self, config: Config, dataset: Dataset, *, unseen: bool = False) -> Prepared:
        """``dataset`` split by ``config.split`` and scaled as in training (every series
        long enough for the split). A series this preprocessing was not fit on is refused,
        or with ``unseen``, scaled from its own rows before its test part."""
        bounds = checked_split(config, dataset)
        scalers = self.scalers_for(dataset, [b.validation_end for b in bounds] if unseen else None)
        rows = (
            self.rows(s, scaler, b.train_end)
            for s, scaler, b in zip(dataset.series, scalers, bounds, strict=True)
        )
        prepared = stacked_rows(dataset, bounds, scalers, self.coding, rows)
        return dataclasses.replace(prepared, served=self.served)

    def forecast_inputs(
        self, dataset: Dataset, *, unseen: bool = False
    ) -> tuple[np.ndarray, list[Scaler]]:
        """The input window after the last row of every series ``(n_series, window_rows,
        n_inputs)``, and each series' scaler (to return forecasts to original units). With
        ``unseen``, a series not in training is scaled from its own rows (where the model
        allows it)."""
        for series in dataset.series:  # refused before any warning about the values
            if len(series) < self.lookback or not series.complete[-self.lookback :].all():
                raise DataError(
                    f"{_name(series)} needs {self.lookback} complete rows at its end to forecast "
                    f"from (window.lookback); it has {len(series)} rows",
                    where=dataset.path,
                )
        scalers = self.scalers_for(dataset, [len(s) for s in dataset.series] if unseen else None)
        inputs = []
        for series, scaler in zip(dataset.series, scalers, strict=True):
            inputs.append(self.windows_at(series, scaler, np.array([len(series)]), dataset.path))
        return np.concatenate(inputs), scalers

    def windows_at(
        self, series: Series, scaler: Scaler, origins: np.ndarray, where: Path
    ) -> np.ndarray:
        """``series``' input windows for forecasts whose first step is at each of
        ``origins`` (each needs ``lookback`` rows before it). When columns are known ahead,
        a window reaching past the series' end takes the horizon's rows from
        ``rows_ahead``, unless those columns are data the series must hold itself (read
        without its future rows). Missing cells read 0. The smoothing forecast
        (``model.baseline: smoothing``) starts from the rows before the first origin."""
        rows = self.rows(series, scaler, int(np.min(origins)) if len(origins) else len(series))
        if self.coding.future_columns and (series.future is not None or not self.future_rows):
            rows = np.concatenate([rows, self.rows_ahead(series, scaler, where)])
        return np.nan_to_num(self.coding.windows_at(rows, origins), nan=0.0)

    def rows_ahead(self, series: Series, scaler: Scaler, where: Path) -> np.ndarray:
        """The horizon's rows of a forecast window: the future-known columns (the series'
        ``future`` rows, the calendar of its future timestamps); the coding zeroes the rest."""
        future = series.future
        if future is None:
            if self.future_rows:  # load_dataset(future_rows=...) was not asked for them
                raise DataError(
                    f"{_name(series)} has no future rows for the future-known columns",
                    where=where,
                )
            future = np.full((self.horizon, len(self.columns)), np.nan)  # calendar only
        ahead = Series(
            id=series.id,
            index=future_index(series.index[-1], self.freq, self.horizon),
            values=future,
            static=series.static,
        )
        return np.nan_to_num(self.rows(ahead, scaler), nan=0.0)

    def rows(self, series: Series, scaler: Scaler, fit_rows: int | None = None) -> np.ndarray:
        """``series``' network-input rows (``model_rows``) as this preprocessing makes them.
        Under ``model.baseline: smoothing``, with the smoothing forecast after each row, its
        initial state fit on the first ``fit_rows`` rows (None: rows ahead of the series,
        which no forecast is made after: zeros)."""
        smoothing = None
        if self.coding.smoothing_from is not None:
            if fit_rows is None:
                smoothing = np.zeros((len(series), self.coding.n_smoothing))
            else:
                targets = series.values[:, : self.n_targets]
                smoothing = self.served.forecast_columns(
                    series.id, targets, scaler, self.horizon, fit_rows
                )
        return model_rows(
            series,
            scaler,
            self.calendar_features,
            self.static_scaler,
            self.series_index(series.id),
            smoothing,
        )

    def scalers_for(self, dataset: Dataset, own_rows: Sequence[int] | None = None) -> list[Scaler]:
        """Each series' scaler. A series this preprocessing was not fit on is refused,
        unless ``own_rows`` gives each series' rows to fit its own scaler on and the model
        has no series embedding (which has no row for it)."""
        unknown = self.unseen(dataset)
        if unknown and (own_rows is None or self.series_embedding):
            # A global model's file may hold thousands of series: name a few of each side.
            which = (
                f"series {unknown[0]!r} was"
                if len(unknown) == 1
                else f"{len(unknown)} series ({first_few(unknown)}) were"
            )
            why = (
                "a model with a series embedding (model.series_embedding) forecasts only "
                "the series it was trained on"
                if self.series_embedding
                else "{strict_series} refuses series the model was not trained on"
            )
            raise DataError(
                f"{which} not in the model's training data, which held {len(self.scalers)}: "
                f"{first_few(list(self.scalers))}; {why}",
                where=dataset.path,
                arguments=() if self.series_embedding else ("strict_series",),
            )
        if not unknown or own_rows is None:
            scalers = [self.scalers[s.id] for s in dataset.series]
        else:
            like = next(iter(self.scalers.values()))  # every series: the same kind and log
            scalers = [
                self.scalers[s.id]
                if s.id in self.scalers
                else Scaler.fit(like.kind, s.values[:end], like.n_logged)
                for s, end in zip(dataset.series, own_rows, strict=True)
            ]
        check_loggable(dataset, scalers)  # the model works in log units: can the data go?
        return scalers

    def unseen(self, dataset: Dataset) -> list[str | None]:
        """The series of ``dataset`` this preprocessing was not fit on."""
        return [s.id for s in dataset.series if s.id not in self.scalers]

    def series_index(self, sid: str | None) -> int | None:
        """The series' row in the model's series embedding (None without one)."""
        return self._positions[sid] if self.series_embedding else None

    @functools.cached_property
    def _positions(self) -> dict[str | None, int]:
        return {sid: self.first_position + k for k, sid in enumerate(self.scalers)}

    def with_coding(self, coding: WindowCoding) -> Preprocessing:
        """This preprocessing with the coding training ended with (intervals calibrated)."""
        return dataclasses.replace(self, coding=coding)

    def with_served(self, served: Served) -> Preprocessing:
        """This preprocessing with what the bundle serves, chosen after training."""
        return dataclasses.replace(self, served=served)

    def to_json(self) -> dict[str, Any]:
        """The content of ``preprocessing.json``: plain numbers and names."""
        return record.encode(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Preprocessing:
        """Raises ``KeyError``, ``TypeError`` or ``ValueError`` on a malformed record."""
        return cls(**record.decode(data))


def _name(series: Series) -> str:
    return "the series" if series.id is None else f"series '{series.id}'"
