"""What a bundle serves: the network's forecast, the whole-history smoothing forecast
(``smoothing``), or their mean; and the smoothing models, one per series and target,
fit on the train parts. Chosen once at training (``workflows/forecaster.py``) and
recorded in ``preprocessing.json``, so every forecast path applies the same choice.

A band (quantiles) stays the network's: its width, calibrated at training, moves with
the served point forecast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

import numpy as np

from ..data import Dataset
from ..data.split import SplitBounds
from .forecasts import Forecasts
from .scaling import Scaler
from .smoothing import TRENDS, Form, Smoothing, Weights, fit_smoothing

Source = Literal["network", "smoothing", "mean"]
SOURCES: tuple[Source, ...] = get_args(Source)
# Per series id (None: a single series), one smoothing model per target (None: too few
# finite rows to fit one).
Models = dict[str | None, tuple[Smoothing | None, ...]]


@dataclass(frozen=True)
class Served:
    """The served forecast's source and the smoothing models it needs."""

    source: Source = "network"
    models: Models = field(default_factory=dict)
    season: int = 1  # the season a series seen first at predict is fit with

    @property
    def uses_smoothing(self) -> bool:
        return self.source != "network"

    def words(self) -> str:
        return served_words(self.source)

    def apply(
        self,
        network: Forecasts,
        histories: Sequence[tuple[str | None, np.ndarray]],
        origins: Sequence[np.ndarray],
    ) -> Forecasts:
        """The served forecasts, given the network's (every origin, series after series)
        and each series' id and rows in original units ``(length, >= n_targets)``."""
        if not self.uses_smoothing or not len(network):
            return network
        point = network.point
        served = point.copy()
        first = 0
        for (series_id, values), rows in zip(histories, origins, strict=True):
            part = slice(first, first + len(rows))
            first += len(rows)
            if not len(rows):
                continue
            before = values[: int(np.min(rows))]
            for target, model in enumerate(self._models_of(series_id, before, point.shape[2])):
                if model is None:
                    continue
                smoothed = model.forecast(values[:, target], point.shape[1], rows)
                if self.source == "mean":
                    smoothed = (smoothed + point[part, :, target]) / 2
                served[part, :, target] = np.where(
                    np.isfinite(smoothed), smoothed, point[part, :, target]
                )
        # Every quantile moves with the point forecast (the median when there is a band).
        shift = served - point
        return replace(network, values=network.values + shift[..., None])

    def forecast_columns(
        self,
        series_id: str | None,
        values: np.ndarray,
        scaler: Scaler,
        horizon: int,
        fit_rows: int,
    ) -> np.ndarray:
        """``(length, n_targets x horizon)``, scaled as the targets are: on each row, the
        series' smoothing forecast made after it (``model.baseline: smoothing``), target
        after target; the initial state is fit on the first ``fit_rows`` rows of the
        targets' ``values`` ``(length, n_targets)``, as is the model of a series not in
        training. A target without a model (too few rows) repeats its last value."""
        n_targets = values.shape[1]
        columns = []
        for target, model in enumerate(self._models_of(series_id, values[:fit_rows], n_targets)):
            history = np.asarray(values[:, target], dtype=np.float64)
            if model is None:
                forecasts = np.repeat(history[:, None], horizon, axis=1)
            else:
                forecasts = model.after_each_row(history, horizon, fit_rows)
            columns.append(scaler.transform_target(forecasts, target))
        return np.concatenate(columns, axis=1)

    def _models_of(
        self, series_id: str | None, before: np.ndarray, n_targets: int
    ) -> tuple[Smoothing | None, ...]:
        """The series' models; a series not in training gets its own, fit on its rows
        ``before`` the first origin."""
        if series_id in self.models:
            return self.models[series_id]
        return tuple(fit_smoothing(before[:, t], self.season) for t in range(n_targets))

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "season": self.season,
            "models": [
                {"id": series_id, "targets": [_model_json(m) for m in models]}
                for series_id, models in self.models.items()
            ],
        }

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> Served:
        source = record["source"]
        if source not in SOURCES:
            raise ValueError(f"served source {source!r} is not one of {', '.join(SOURCES)}")
        models: Models = {
            entry["id"]: tuple(_model_of(m) for m in entry["targets"]) for entry in record["models"]
        }
        return cls(source, models, int(record["season"]))


def fit_models(dataset: Dataset, bounds: Sequence[SplitBounds], season: int) -> Models:
    """Per series of ``dataset``, one smoothing model per target, fit on its train part."""
    return {
        series.id: tuple(
            fit_smoothing(series.values[: part.train_end, t], season)
            for t in range(dataset.n_targets)
        )
        for series, part in zip(dataset.series, bounds, strict=True)
    }


def served_words(source: str, network: str = "the network's forecast") -> str:
    """What ``source`` serves, in words (``network``: how to call the network's forecast)."""
    if source == "smoothing":
        return "the exponential smoothing forecast of each series' whole history"
    if source == "mean":
        return f"the mean of {network} and the exponential smoothing forecast"
    return network


def _model_json(model: Smoothing | None) -> dict[str, Any] | None:
    if model is None:
        return None
    form, weights = model.form, model.weights
    return {
        "trend": form.trend,
        "season": form.season,
        "log": form.log,
        "alpha": weights.alpha,
        "beta": weights.beta,
        "gamma": weights.gamma,
        "phi": weights.phi,
        "aicc": model.aicc,
    }


def _model_of(record: dict[str, Any] | None) -> Smoothing | None:
    if record is None:
        return None
    trend, season, log = record["trend"], record["season"], record["log"]
    if trend not in TRENDS or not isinstance(season, int) or season < 1:
        raise ValueError(f"a smoothing model's trend {trend!r} or season {season!r} is invalid")
    weights = Weights(*(float(record[k]) for k in ("alpha", "beta", "gamma", "phi")))
    if not all(0 <= w <= 1 for w in (weights.alpha, weights.beta, weights.gamma, weights.phi)):
        raise ValueError(f"a smoothing model's weights must lie in [0, 1]: {weights}")
    return Smoothing(Form(trend, season, bool(log)), weights, float(record["aicc"]))
