"""Score forecasts at chosen origins against the naive baselines (numpy; no TensorFlow).

The model is any ``Forecaster`` (``features.forecasts``): a function from scaled input
windows to scaled forecasts, so the same code scores a Keras model or an ONNX graph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..data import Series
from ..data.split import SplitBounds
from ..features import Prepared
from ..features.forecasts import Forecaster, Forecasts, forecast_in_units
from .metrics import (
    finite_or_none,
    interval_scores,
    mase_scale,
    naive_forecasts,
    score,
    seasonal_naive_band,
    seasonal_naive_forecasts,
)
from .origins import origin_chunks, origin_windows, scored_origins
from .score_table import ScoreTable, SeriesScores

MODELS = ("model", "naive", "seasonal_naive")
# A model worth its training beats both: seasonal naive alone flatters it on a series
# without a season, where naive is the one to beat.
BOTH_NAIVES = ("naive", "seasonal_naive")


@dataclass(frozen=True)
class SeriesForecasts:
    """One series' forecasts at its origins, in original units, for scoring and plotting."""

    id: str | None
    index: pd.DatetimeIndex
    actual: np.ndarray  # (time, n_targets): the whole series
    train_end: int  # rows before this were the train part (the MASE scale comes from them)
    test_start: int  # first row scored
    origins: np.ndarray  # row of each origin's first forecast step
    forecasts: dict[str, np.ndarray]  # model name -> (n_origins, horizon, n_targets)
    quantiles: np.ndarray | None  # the model's (n_origins, horizon, n_targets, n_quantiles)
    scores: SeriesScores  # per model and metric, per target

    @property
    def truth(self) -> np.ndarray:
        """``(n_origins, horizon, n_targets)``: the actuals each forecast is scored on."""
        horizon = self.forecasts["model"].shape[1]
        return self.actual[self.origins[:, None] + np.arange(horizon)]

    def mean_scores(self) -> dict[str, dict[str, float]]:
        """Per model and metric, the mean over targets."""
        return self.scores.means()


@dataclass(frozen=True)
class Evaluation:
    targets: tuple[str, ...]
    horizon: int
    season_length: int
    quantile_levels: tuple[float, ...]
    series: Sequence[SeriesForecasts]  # a tuple, or of workers' series ``PooledSeries``
    # strftime format of the data's time column (times are shown as it writes them).
    time_format: str | None = None
    # Series the model was not trained on (scaled from their own rows), by id.
    unseen: tuple[str, ...] = ()

    @property
    def n_origins(self) -> int:
        return sum(len(s.origins) for s in self.series)

    def scored(self, seen: bool | None = None) -> Iterator[SeriesForecasts]:
        """The series with test origins, one at a time; of them, those in training only
        (``seen``), or only those not (``not seen``)."""
        return (
            s
            for s in self.series
            if len(s.origins) and (seen is None or (str(s.id) not in self.unseen) == seen)
        )

    def overall(self, seen: bool | None = None) -> dict[str, dict[str, float]]:
        """Per model and metric: the mean over series (each the mean over its targets);
        over the series in training only (``seen``), or only those not (``not seen``)."""
        return ScoreTable.of((len(s.origins), s.scores) for s in self.scored(seen)).overall()

    def share_beating(self, baselines: Sequence[str] = BOTH_NAIVES) -> tuple[int, int]:
        """How many scored series the model beats every one of ``baselines`` on (lower
        MASE, the mean over targets), and how many series have a MASE for all of them (a
        constant train part has none)."""
        wins = compared = 0
        for series in self.series:
            if not len(series.origins):
                continue
            means = series.mean_scores()
            model = means["model"]["mase"]
            others = [means[b]["mase"] for b in baselines]
            if np.isfinite([model, *others]).all():
                compared += 1
                wins += model < min(others)
        return wins, compared

    def table(self) -> ScoreTable:
        """Its figures without the forecasts."""
        return ScoreTable.of((len(s.origins), s.scores) for s in self.series)

    def to_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "targets": list(self.targets),
            "horizon": self.horizon,
            "season_length": self.season_length,
            "quantiles": list(self.quantile_levels),
            "origins": self.n_origins,
            "overall": finite_or_none(self.overall()) if self.n_origins else None,
        }
        if len(self.series) > 1 or self.series[0].id is not None:
            for key, baselines in (
                ("model_beats_seasonal_naive", ("seasonal_naive",)),
                ("model_beats_both_naives", BOTH_NAIVES),
            ):
                wins, compared = self.share_beating(baselines)
                result[key] = {
                    "series": wins,
                    "of": compared,
                    "share": wins / compared if compared else None,
                }
            result["series"] = {
                str(s.id): {"origins": len(s.origins)}
                | (finite_or_none(s.mean_scores()) if len(s.origins) else {})
                for s in self.series
            }
        return result


# Origins forecast at a time: their windows and forecasts (about 100 MB at a lookback of 56
# with five inputs) are what scoring holds beyond the data, however many there are.
CHUNK_ORIGINS = 65_536


def evaluate_at(
    prepared: Prepared, forecaster: Forecaster, origins: Sequence[np.ndarray]
) -> Evaluation:
    """Forecast from ``origins`` (per series, the row of each first forecast step) and
    score the model and both baselines there, in original units (``CHUNK_ORIGINS`` at a
    time). Only the ``scored_origins`` among them are scored."""
    return _evaluation(prepared, list(_scored_in_chunks(prepared, forecaster, origins)))


def score_table_at(
    prepared: Prepared,
    forecaster: Forecaster,
    origins: Sequence[np.ndarray],
    seen: Callable[[SeriesForecasts], object] | None = None,
) -> ScoreTable:
    """``evaluate_at``'s figures, each series' forecasts dropped once scored (``seen``
    first, if given): for many origins (every validation window of every series), in
    memory of one chunk."""

    def scores(series: SeriesForecasts) -> tuple[int, SeriesScores]:
        if seen is not None:
            seen(series)
        return len(series.origins), series.scores

    return ScoreTable.of(map(scores, _scored_in_chunks(prepared, forecaster, origins)))


def _scored_in_chunks(
    prepared: Prepared, forecaster: Forecaster, origins: Sequence[np.ndarray]
) -> Iterator[SeriesForecasts]:
    """Each series scored at its ``scored_origins``, forecast a chunk of series at a time."""
    scored = scored_origins(prepared, origins)
    for start, stop in origin_chunks([len(rows) for rows in scored], CHUNK_ORIGINS):
        part, rows = prepared.series_slice(start, stop), scored[start:stop]
        forecasts = forecast_origins(part, forecaster, rows, origin_windows(part, rows))
        yield from _score_all(part, rows, forecasts)


def forecast_origins(
    prepared: Prepared, forecaster: Forecaster, origins: Sequence[np.ndarray], windows: np.ndarray
) -> Forecasts:
    """``forecaster``'s forecasts of ``windows`` (``origin_windows``, perhaps changed) in
    original units, as the bundle serves them (``prepared.served``)."""
    counts = [len(rows) for rows in origins]
    network = forecast_in_units(forecaster, windows, prepared.scalers, prepared.coding, counts)
    return prepared.served.apply(network, prepared.histories, origins)


def score_forecasts(
    prepared: Prepared, origins: Sequence[np.ndarray], forecasts: Forecasts
) -> Evaluation:
    """Score ``forecasts`` (of every origin, series after series) and both baselines at
    ``origins`` (``scored_origins``) against the actuals."""
    return _evaluation(prepared, _score_all(prepared, origins, forecasts))


def _score_all(
    prepared: Prepared, origins: Sequence[np.ndarray], forecasts: Forecasts
) -> list[SeriesForecasts]:
    return [
        _score_series(series, bounds, rows, part, prepared.coding.season_length)
        for series, bounds, rows, part in zip(
            prepared.dataset.series,
            prepared.bounds,
            origins,
            forecasts.split([len(rows) for rows in origins]),
            strict=True,
        )
    ]


def _evaluation(prepared: Prepared, series: Sequence[SeriesForecasts]) -> Evaluation:
    coding = prepared.coding
    return Evaluation(
        targets=prepared.dataset.targets,
        horizon=coding.horizon,
        season_length=coding.season_length,
        quantile_levels=coding.quantile_levels,
        series=tuple(series),
        time_format=prepared.dataset.time_format,
    )


def _score_series(
    series: Series,
    bounds: SplitBounds,
    origins: np.ndarray,
    model: Forecasts,
    season_length: int,
) -> SeriesForecasts:
    n_targets = model.values.shape[2]
    actual = series.values[:, :n_targets]
    horizon = model.values.shape[1]
    forecasts = {
        "model": model.point,
        "naive": naive_forecasts(actual, origins, horizon, n_targets),
        "seasonal_naive": seasonal_naive_forecasts(
            actual, origins, horizon, n_targets, season_length
        ),
    }
    truth = actual[origins[:, None] + np.arange(horizon)]
    scale = mase_scale(actual[: bounds.train_end], season_length)
    scores = {name: score(truth, f, scale) for name, f in forecasts.items()} if len(origins) else {}
    if scores and model.has_band:
        # Every interval figure has a baseline beside it: seasonal naive's band of the
        # same levels, from its errors on the train part.
        band = seasonal_naive_band(
            actual, bounds.train_end, origins, horizon, n_targets, season_length, model.levels
        )
        for name, quantiles in (("model", model.values), ("seasonal_naive", band)):
            scores[name] |= interval_scores(truth, quantiles, model.levels, scale)
    return SeriesForecasts(
        id=series.id,
        index=series.index,
        actual=actual,
        train_end=bounds.train_end,
        test_start=int(origins.min()) if len(origins) else bounds.validation_end,
        origins=origins,
        forecasts=forecasts,
        quantiles=model.values if model.has_band else None,
        scores=SeriesScores.of(scores),
    )
