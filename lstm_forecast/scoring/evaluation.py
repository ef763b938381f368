"""Score forecasts at chosen origins against the naive baselines (numpy; no TensorFlow).

The model is any ``Forecaster``: a function from scaled input windows to scaled forecasts,
so the same code scores a Keras model or an ONNX graph.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..data.split import SplitBounds
from ..data.windows import gather_windows
from ..features import Prepared
from .metrics import (
    interval_scores,
    mase_scale,
    naive_forecasts,
    score,
    seasonal_naive_band,
    seasonal_naive_forecasts,
)

# float32 (n, window_rows, n_inputs), scaled -> (n, horizon, n_targets, n_quantiles), scaled
Forecaster = Callable[[np.ndarray], np.ndarray]


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
    scores: dict[str, dict[str, np.ndarray]]  # model -> metric -> per target

    def mean_scores(self) -> dict[str, dict[str, float]]:
        """Per model and metric, the mean over targets."""
        return {
            model: {k: float(np.mean(v)) for k, v in metrics.items()}
            for model, metrics in self.scores.items()
        }


@dataclass(frozen=True)
class Evaluation:
    targets: tuple[str, ...]
    horizon: int
    season_length: int
    quantile_levels: tuple[float, ...]
    series: tuple[SeriesForecasts, ...]
    # strftime format of the data's time column (times are shown as it writes them).
    time_format: str | None = None
    # Series the model was not trained on (scaled from their own rows), by id.
    unseen: tuple[str, ...] = ()

    @property
    def n_origins(self) -> int:
        return sum(len(s.origins) for s in self.series)

    def scored(self, seen: bool | None = None) -> list[SeriesForecasts]:
        """The series with test origins; of them, those in training only (``seen``), or
        only those not (``not seen``)."""
        return [
            s
            for s in self.series
            if len(s.origins) and (seen is None or (str(s.id) not in self.unseen) == seen)
        ]

    def overall(self, seen: bool | None = None) -> dict[str, dict[str, float]]:
        """Per model and metric: the mean over series (each the mean over its targets);
        over the series in training only (``seen``), or only those not (``not seen``)."""
        means = [s.mean_scores() for s in self.scored(seen)]
        if not means:
            return {}
        return {
            model: {metric: _mean([m[model][metric] for m in means]) for metric in metrics}
            for model, metrics in means[0].items()
        }

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

    def to_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "targets": list(self.targets),
            "horizon": self.horizon,
            "season_length": self.season_length,
            "quantiles": list(self.quantile_levels),
            "origins": self.n_origins,
            "overall": _finite_or_none(self.overall()) if self.n_origins else None,
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
                | (_finite_or_none(s.mean_scores()) if len(s.origins) else {})
                for s in self.series
            }
        return result


def evaluate_at(
    prepared: Prepared,
    forecaster: Forecaster,
    origins: Sequence[np.ndarray],
    *,
    quantile_levels: Sequence[float] = (),
) -> Evaluation:
    """Forecast from ``origins`` (per series, the row of each first forecast step) and
    score the model and both baselines there, in original units.

    Origins where seasonal naive lacks a season of history are skipped for every model,
    so all three are scored on the same origins. One forecaster call covers every series.
    """
    coding = prepared.coding
    lookback, horizon, n_targets = coding.lookback, coding.horizon, coding.n_targets
    season = coding.season_length
    kept = [
        rows[_has_season(s.values[:, :n_targets], rows, horizon, season)]
        for s, rows in zip(prepared.dataset.series, origins, strict=True)
    ]
    inputs = np.concatenate(
        [
            gather_windows(
                scaled, rows - lookback, lookback, horizon, n_targets, coding.window_rows
            )[0]
            for scaled, rows in zip(prepared.scaled, kept, strict=True)
        ]
    )
    width = max(len(quantile_levels), 1)
    predicted = forecaster(inputs) if len(inputs) else np.empty((0, horizon, n_targets, width))
    results, first = [], 0
    for series, bounds, scaler, rows in zip(
        prepared.dataset.series, prepared.bounds, prepared.scalers, kept, strict=True
    ):
        model = scaler.inverse_targets(np.moveaxis(predicted[first : first + len(rows)], 3, 2))
        first += len(rows)
        results.append(
            _score_series(
                series.id,
                series.index,
                series.values[:, :n_targets],
                bounds,
                rows,
                np.moveaxis(model, 2, 3),
                quantile_levels,
                season,
            )
        )
    return Evaluation(
        targets=prepared.dataset.targets,
        horizon=horizon,
        season_length=season,
        quantile_levels=tuple(quantile_levels),
        series=tuple(results),
        time_format=prepared.dataset.time_format,
    )


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


def _score_series(
    sid: str | None,
    index: pd.DatetimeIndex,
    actual: np.ndarray,
    bounds: SplitBounds,
    origins: np.ndarray,
    model: np.ndarray,
    quantile_levels: Sequence[float],
    season_length: int,
) -> SeriesForecasts:
    """``model``: ``(n_origins, horizon, n_targets, n_quantiles)`` in original units."""
    horizon, n_targets = model.shape[1], model.shape[2]
    point = quantile_levels.index(0.5) if quantile_levels else 0
    forecasts = {
        "model": model[..., point],
        "naive": naive_forecasts(actual, origins, horizon, n_targets),
        "seasonal_naive": seasonal_naive_forecasts(
            actual, origins, horizon, n_targets, season_length
        ),
    }
    truth = actual[origins[:, None] + np.arange(horizon)]
    scale = mase_scale(actual[: bounds.train_end], season_length)
    scores = {name: score(truth, f, scale) for name, f in forecasts.items()} if len(origins) else {}
    if scores and len(quantile_levels) > 1:
        # Every interval figure has a baseline beside it: seasonal naive's band of the
        # same levels, from its errors on the train part.
        band = seasonal_naive_band(
            actual, bounds.train_end, origins, horizon, n_targets, season_length, quantile_levels
        )
        for name, quantiles in (("model", model), ("seasonal_naive", band)):
            scores[name] |= interval_scores(truth, quantiles, quantile_levels, scale)
    return SeriesForecasts(
        id=sid,
        index=index,
        actual=actual,
        train_end=bounds.train_end,
        test_start=int(origins.min()) if len(origins) else bounds.validation_end,
        origins=origins,
        forecasts=forecasts,
        quantiles=model if len(quantile_levels) > 1 else None,
        scores=scores,
    )


def _mean(values: list[float]) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def _finite_or_none(table: dict[str, Any]) -> dict[str, Any]:
    """JSON has no NaN: an undefined metric (MASE of a constant train part) is null."""
    return {
        k: _finite_or_none(v) if isinstance(v, dict) else (v if np.isfinite(v) else None)
        for k, v in table.items()
    }
