"""``predict``: forecast ``horizon`` steps after the last row of every series, in one
batched call of the bundle's network (ONNX Runtime: no TensorFlow on the cron path)."""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from ..bundle.atomic import write_atomically
from ..bundle.layout import Bundle
from ..bundle.store import load_bundle
from ..config import MissingPolicy
from ..data import Dataset, Series
from ..data.timeindex import format_times, future_index
from ..errors import first_few
from ..features import Preprocessing
from ..features.forecasts import Forecasts, forecast_in_units
from .bundle_data import read_bundle_data, read_bundle_tails
from .outputs import locked_outputs, save_figure

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Forecast:
    frame: pd.DataFrame  # [id_column,] time_column, targets...: the CSV users get
    steps: tuple[pd.DatetimeIndex, ...]  # per series: its future timestamps
    value_columns: tuple[str, ...]  # the forecast columns of ``frame``
    dataset: Dataset  # the history it continues
    unseen: tuple[str | None, ...] = ()  # series not in training, scaled from their own rows

    def to_csv(self) -> str:
        """The forecast as users get it, on stdout or in ``--output``."""
        text = io.StringIO()
        self.write_csv(text)
        return text.getvalue()

    def write_csv(self, handle: IO[str] | IO[bytes]) -> None:
        """``to_csv`` written to ``handle`` as it is made: the text is never held whole."""
        self.frame.to_csv(handle, index=False, float_format="%.8g", encoding="utf-8")

    @property
    def futures(self) -> tuple[pd.DataFrame, ...]:
        """Per series: the forecast columns indexed by future timestamp (for plots)."""
        rows = 0
        futures = []
        for steps in self.steps:
            part = self.frame.iloc[rows : rows + len(steps)][list(self.value_columns)]
            futures.append(part.set_axis(steps))
            rows += len(steps)
        return tuple(futures)


def predict(
    run_dir: str | Path,
    data_path: Path | None = None,
    *,
    output: Path | None = None,
    plot: Path | None = None,
    missing: MissingPolicy | None = None,
    strict_series: bool = False,
) -> Forecast:
    """Forecast ``horizon`` steps after the last row of each series of the bundle's
    training data, or of ``data_path``. With ``output``, write the CSV there atomically;
    with ``plot``, draw history and forecast (the suffix names the format); with
    ``missing``, read gaps in the data by that policy instead of the bundle's
    ``data.missing``.

    A series the model was not trained on is forecast from its own history (scaled by
    its own rows) with a warning naming it, when the model has no series embedding;
    ``strict_series`` refuses it instead, as a model with an embedding does."""
    with locked_outputs(output=output, plot=plot):
        # A plot draws each series' history: the whole file is read for it.
        bundle = load_bundle(Path(run_dir))
        forecast = forecast_bundle(bundle, data_path, missing, strict_series, tails=plot is None)
        if output is not None:
            write_atomically(output, forecast.write_csv)
        if plot is not None:
            from ..report import plots

            save_figure(plots.future_forecast_figure(forecast.dataset, forecast.futures), plot)
    return forecast


def forecast_frame(
    run_dir: str | Path, frame: pd.DataFrame, *, strict_series: bool = False
) -> pd.DataFrame:
    """The forecast of every series in ``frame`` (whole series, with the columns the
    bundle's data file has: time and values, and the series column of a long-format
    file), as ``predict`` writes it: one row per series and step. Each series' forecast
    reads only its own rows, so forecasting a frame's series in parts (the partitions of
    a Parquet dataset, split by series, on several machines) gives the same numbers, bit
    for bit, as forecasting it whole (docs/scaling-out.md)."""
    bundle = load_bundle(Path(run_dir))
    future_rows = bundle.preprocessing.future_rows
    dataset = read_bundle_data(bundle, frame=frame, future_rows=future_rows)
    return _forecast_dataset(bundle, dataset, strict_series).frame


def forecast_bundle(
    bundle: Bundle,
    data_path: Path | None = None,
    missing: MissingPolicy | None = None,
    strict_series: bool = False,
    *,
    tails: bool = False,
) -> Forecast:
    """``predict``'s forecast for a bundle already loaded (``report`` reads one bundle for
    its scores and its forecast). With ``tails``, only each series' last rows are read
    where they give the same forecast (``read_bundle_tails``): the forecast's ``dataset``
    then holds those rows."""
    future_rows = bundle.preprocessing.future_rows
    dataset = None
    if tails:
        dataset = read_bundle_tails(bundle, data_path, missing=missing, future_rows=future_rows)
        if dataset is not None:
            _log.info(
                f"{dataset.path}: read the last {bundle.preprocessing.lookback} rows of each "
                "series, all a forecast reads"
            )
    if dataset is None:
        dataset = read_bundle_data(bundle, data_path, missing=missing, future_rows=future_rows)
    return _forecast_dataset(bundle, dataset, strict_series)


def _forecast_dataset(bundle: Bundle, dataset: Dataset, strict_series: bool) -> Forecast:
    pre = bundle.preprocessing
    inputs, scalers = pre.forecast_inputs(dataset, unseen=not strict_series)
    unseen = tuple(pre.unseen(dataset))
    if unseen:
        _log.warning(
            f"{dataset.path}: {len(unseen)} series not in the model's training data, each "
            f"forecast from its own history (scaled by its own rows): {first_few(unseen)}"
        )
    for series in dataset.series:
        if series.id not in unseen:
            _warn_if_far_outside(series, pre, dataset.path)
    network = forecast_in_units(bundle.forecaster, inputs, scalers, pre.coding)
    histories = [(s.id, s.values) for s in dataset.series]
    forecasts = pre.served.apply(network, histories, [np.array([len(s)]) for s in dataset.series])
    steps, times = _future_times(dataset, pre.horizon)
    columns = _forecast_columns(forecasts, dataset.targets)
    data_cfg = bundle.config.data
    frame = pd.DataFrame({data_cfg.time_column: times, **columns})
    if data_cfg.id_column is not None:
        ids = np.repeat(np.array([s.id for s in dataset.series], dtype=object), pre.horizon)
        frame.insert(0, data_cfg.id_column, ids)
    return Forecast(
        frame=frame,
        steps=tuple(steps),
        value_columns=tuple(columns),
        dataset=dataset,
        unseen=unseen,
    )


def _future_times(dataset: Dataset, horizon: int) -> tuple[list[pd.DatetimeIndex], list[str]]:
    """Per series its future timestamps, and all of them as the input wrote its times.
    Series usually end together: their timestamps are made and formatted once."""
    made: dict[pd.Timestamp, tuple[pd.DatetimeIndex, list[str]]] = {}
    steps, times = [], []
    for series in dataset.series:
        last = series.index[-1]
        if last not in made:
            future = future_index(last, dataset.freq, horizon)
            made[last] = (future, format_times(future, dataset.time_format))
        steps.append(made[last][0])
        times.extend(made[last][1])
    return steps, times


def _warn_if_far_outside(series: Series, pre: Preprocessing, path: Path) -> None:
    """Warn when an input window holds values more than one training range beyond the
    training range: the network never saw such levels, so its forecast is a guess."""
    low, high = pre.train_ranges[series.id]
    span = np.maximum(high - low, np.abs(high) * 1e-3 + 1e-12)
    window = series.values[-pre.lookback :]
    for column, name in enumerate(pre.columns):
        values = window[:, column]
        far = (values < low[column] - span[column]) | (values > high[column] + span[column])
        if far.any():
            where = "" if series.id is None else f"series '{series.id}': "
            worst = values[far][np.argmax(np.abs(values[far] - (low[column] + high[column]) / 2))]
            _log.warning(
                f"{path}: {where}column {name!r} has {worst:g} in the last "
                f"{pre.lookback} rows, far outside the training range "
                f"[{low[column]:g}, {high[column]:g}]; the forecast may be unreliable"
            )


def _forecast_columns(forecasts: Forecasts, targets: Sequence[str]) -> dict[str, np.ndarray]:
    """A row per series and step. Columns: each target (its median when there are
    quantiles), then ``<target>_p<level>`` for the other quantiles."""
    point = forecasts.point.reshape(-1, len(targets))
    values = forecasts.values.reshape(len(point), len(targets), -1)
    columns: dict[str, np.ndarray] = {}
    for t, target in enumerate(targets):
        columns[target] = point[:, t]
        for q, level in enumerate(forecasts.levels):
            if level != 0.5:
                columns[f"{target}_p{100 * level:g}"] = values[:, t, q]
    return columns
