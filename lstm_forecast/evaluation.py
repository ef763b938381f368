"""Score forecasts over every test origin against the naive baselines (numpy; no TensorFlow).

The model is any ``Forecaster``: a function from scaled input windows to scaled forecasts,
so the same code scores a Keras model or an ONNX graph.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .metrics import METRICS, mase_scale, naive_forecasts, score, seasonal_naive_forecasts
from .prepare import Prepared
from .windows import gather_windows, window_starts

# float32 (n, lookback, n_columns), scaled -> (n, horizon, n_targets), scaled
Forecaster = Callable[[np.ndarray], np.ndarray]
MODELS = ("model", "naive", "seasonal_naive")


@dataclass(frozen=True)
class SeriesForecasts:
    """One series' test forecasts, in original units, for scoring and plotting."""

    id: str | None
    index: pd.DatetimeIndex
    actual: np.ndarray  # (time, n_targets): the whole series
    train_end: int
    test_start: int
    origins: np.ndarray  # row of each origin's first forecast step
    forecasts: dict[str, np.ndarray]  # model name -> (n_origins, horizon, n_targets)
    scores: dict[str, dict[str, np.ndarray]]  # model -> metric -> per target

    def mean_scores(self) -> dict[str, dict[str, float]]:
        """Per model and metric, the mean over targets."""
        return {m: {k: float(np.mean(v)) for k, v in self.scores[m].items()} for m in MODELS}


@dataclass(frozen=True)
class Evaluation:
    targets: tuple[str, ...]
    horizon: int
    season_length: int
    series: tuple[SeriesForecasts, ...]

    @property
    def n_origins(self) -> int:
        return sum(len(s.origins) for s in self.series)

    def overall(self) -> dict[str, dict[str, float]]:
        """Per model and metric: the mean over series (each the mean over its targets)."""
        scored = [s for s in self.series if len(s.origins)]
        means = [s.mean_scores() for s in scored]
        return {
            model: {metric: _mean([m[model][metric] for m in means]) for metric in METRICS}
            for model in MODELS
        }

    def to_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "targets": list(self.targets),
            "horizon": self.horizon,
            "season_length": self.season_length,
            "origins": self.n_origins,
            "overall": _finite_or_none(self.overall()) if self.n_origins else None,
        }
        if len(self.series) > 1 or self.series[0].id is not None:
            result["series"] = {
                str(s.id): {"origins": len(s.origins)}
                | (_finite_or_none(s.mean_scores()) if len(s.origins) else {})
                for s in self.series
            }
        return result


def evaluate_test(
    prepared: Prepared, forecaster: Forecaster, *, lookback: int, horizon: int, season_length: int
) -> Evaluation:
    """Forecast from every origin whose whole horizon lies in each series' test part.

    Origins where seasonal naive has no season of history are skipped for every model,
    so all three are scored on the same origins. One forecaster call covers every series.
    """
    n_targets = prepared.dataset.n_targets
    plans = []
    for series, bounds, scaled in zip(
        prepared.dataset.series, prepared.bounds, prepared.scaled, strict=True
    ):
        starts = window_starts(
            len(series),
            lookback,
            horizon,
            targets_from=bounds.validation_end,
            targets_to=bounds.length,
            complete=series.complete,
        )
        starts = starts[
            _has_season(series.values[:, :n_targets], starts + lookback, horizon, season_length)
        ]
        plans.append((starts, gather_windows(scaled, starts, lookback, horizon, n_targets)[0]))
    inputs = np.concatenate([x for _, x in plans]).astype(np.float32)
    predicted = forecaster(inputs) if len(inputs) else np.empty((0, horizon, n_targets))
    results, first = [], 0
    for (starts, _), series, bounds, scaler in zip(
        plans, prepared.dataset.series, prepared.bounds, prepared.scalers, strict=True
    ):
        model = scaler.inverse_targets(
            np.asarray(predicted[first : first + len(starts)], dtype=np.float64)
        )
        first += len(starts)
        results.append(
            _score_series(
                series.id,
                series.index,
                series.values[:, :n_targets],
                bounds.train_end,
                bounds.validation_end,
                starts + lookback,
                model,
                horizon,
                season_length,
            )
        )
    return Evaluation(
        targets=prepared.dataset.targets,
        horizon=horizon,
        season_length=season_length,
        series=tuple(results),
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
    train_end: int,
    test_start: int,
    origins: np.ndarray,
    model: np.ndarray,
    horizon: int,
    season_length: int,
) -> SeriesForecasts:
    n_targets = actual.shape[1]
    forecasts = {
        "model": model,
        "naive": naive_forecasts(actual, origins, horizon, n_targets),
        "seasonal_naive": seasonal_naive_forecasts(
            actual, origins, horizon, n_targets, season_length
        ),
    }
    truth = actual[origins[:, None] + np.arange(horizon)]
    scale = mase_scale(actual[:train_end], season_length)
    scores = {name: score(truth, f, scale) for name, f in forecasts.items()} if len(origins) else {}
    return SeriesForecasts(
        id=sid,
        index=index,
        actual=actual,
        train_end=train_end,
        test_start=test_start,
        origins=origins,
        forecasts=forecasts,
        scores=scores,
    )


def format_table(evaluation: Evaluation) -> str:
    """The metrics table; for several series, their mean first, then one block per series."""
    if evaluation.n_origins == 0:
        return "no test origins to score (split.test is 0 or shorter than the horizon)"
    rows = [("mean" if len(evaluation.series) > 1 else "", evaluation.overall())]
    if len(evaluation.series) > 1:
        rows += [(str(s.id), s.mean_scores()) for s in evaluation.series if len(s.origins)]
    width = max(len("series"), *(len(name) for name, _ in rows)) if len(rows) > 1 else 0
    lead = f"{'series':{width}}  " if width else ""
    lines = [
        f"test: {evaluation.n_origins} forecast origins x {evaluation.horizon} steps, "
        f"season length {evaluation.season_length}",
        f"{lead}{'model':16}{'MAE':>12}{'RMSE':>12}{'sMAPE%':>10}{'MASE':>9}",
    ]
    for name, table in rows:
        for model in MODELS:
            row = table[model]
            lead = f"{name:{width}}  " if width else ""
            lines.append(
                f"{lead}{model:16}{row['mae']:12.4g}{row['rmse']:12.4g}"
                f"{row['smape']:10.2f}{row['mase']:9.3f}"
            )
    return "\n".join(lines)


def _mean(values: list[float]) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def _finite_or_none(table: dict[str, Any]) -> dict[str, Any]:
    """JSON has no NaN: an undefined metric (MASE of a constant train part) is null."""
    return {
        k: _finite_or_none(v) if isinstance(v, dict) else (v if np.isfinite(v) else None)
        for k, v in table.items()
    }
