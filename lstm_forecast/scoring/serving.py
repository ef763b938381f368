"""What a bundle serves, chosen after training on the validation origins (numpy; no
TensorFlow): the network's forecast, the exponential smoothing forecast over each series'
whole history (``features/smoothing.py``), or their mean (``model.serve``).

The network's validation error is optimistic: early stopping chose its epoch on those
same origins. ``auto`` serves the smoothing forecast or the mean, whichever scored lower
there, only when it beats the network's validation MASE by ``MARGIN``; else the network.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import cast

import numpy as np

from ..data.share import pooled_sum
from ..features import Prepared
from ..features.forecasts import Forecaster
from ..features.served import SOURCES, Served, Source, fit_models
from .evaluation import forecast_origins, score_forecasts, score_table_at
from .origins import origin_windows, scored_origins, validation_spread
from .pooling import pooled_table

# How much lower (a share of the network's) the validation MASE of the smoothing forecast
# or the mean must be to be served instead of the network: benchmarks/README.md.
MARGIN = 0.1
# Beyond this many training rows in all, the network alone is served: one global model
# over many series is where it leads (M4's hourly series), and fitting a smoothing model
# to every series would cost more than the training.
SMOOTHING_ROWS = 20_000


@dataclass(frozen=True)
class ServedChoice:
    """What is served, why, and each candidate's validation MASE (mean over series)."""

    served: Served
    why: str
    validation_mase: dict[str, float]


def choose_served(prepared: Prepared, forecaster: Forecaster, setting: str) -> ServedChoice:
    """``model.serve`` (``setting``) for ``prepared`` and its trained ``forecaster``:
    the smoothing models fit on each series' train part, and ``auto`` decided on the
    validation origins."""
    season = prepared.coding.season_length
    # The models ``model.baseline: smoothing`` reads, kept whatever is served.
    alone = Served(models=prepared.served.models, season=season)
    if setting == "network":
        return ServedChoice(alone, "model.serve: network", {})
    train_rows = int(pooled_sum(prepared.workers, sum(b.train_end for b in prepared.bounds)))
    if setting == "auto" and train_rows > SMOOTHING_ROWS:
        why = f"{train_rows} training rows: the network alone beyond {SMOOTHING_ROWS}"
        return ServedChoice(alone, why, {})
    fitted = Served(
        "network",
        prepared.served.models or fit_models(prepared.dataset, prepared.bounds, season),
        season,
    )
    scores = _validation_mase(prepared, forecaster, fitted)
    if setting != "auto":
        chosen = dataclasses.replace(fitted, source=cast(Source, setting))
        return ServedChoice(chosen, f"model.serve: {setting}", scores)
    if not scores:
        return ServedChoice(fitted, "no validation origin to compare on", scores)
    network = scores["network"]
    best: Source = min(("smoothing", "mean"), key=lambda name: scores[name])
    if np.isfinite(scores[best]) and scores[best] < (1 - MARGIN) * network:
        why = f"validation MASE {scores[best]:.3f} against the network's {network:.3f}"
        return ServedChoice(dataclasses.replace(fitted, source=best), why, scores)
    why = f"validation MASE {network:.3f}; the smoothing forecast's {scores['smoothing']:.3f}"
    return ServedChoice(fitted, why, scores)


def _validation_mase(
    prepared: Prepared, forecaster: Forecaster, fitted: Served
) -> dict[str, float]:
    """Mean validation MASE over series (every worker's) of the network, the smoothing
    forecast and their mean (empty without validation origins)."""
    spread, _ = validation_spread(prepared)
    origins = scored_origins(prepared, spread)
    if not pooled_sum(prepared.workers, sum(len(rows) for rows in origins)):
        return {}
    alone = dataclasses.replace(prepared, served=Served(season=fitted.season))
    network = forecast_origins(alone, forecaster, origins, origin_windows(alone, origins))
    scores: dict[str, float] = {}
    for source in SOURCES:
        served = dataclasses.replace(fitted, source=source)
        forecasts = served.apply(network, prepared.histories, origins)
        table = pooled_table(
            score_forecasts(prepared, origins, forecasts).table(), prepared.workers
        ).overall()
        scores[source] = table["model"]["mase"] if table else float("nan")
    return scores


def served_validation(
    prepared: Prepared, forecaster: Forecaster, served: Served
) -> tuple[float, int]:
    """The validation MASE (mean over series) of what ``served`` serves with
    ``forecaster``, and over how many origins (NaN and 0 without any)."""
    served_prepared = dataclasses.replace(prepared, served=served)
    spread, _ = validation_spread(prepared)
    table = pooled_table(score_table_at(served_prepared, forecaster, spread), prepared.workers)
    overall = table.overall()
    return (overall["model"]["mase"] if overall else float("nan")), table.n_origins
