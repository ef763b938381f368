"""``evaluate``'s files for other programs: the metrics at full precision, by series and
overall, as JSON or CSV; and every scored origin's forecasts beside the actuals, in long
format, from which any other metric can be computed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data.timeindex import show_time
from ..scoring.evaluation import MODELS, Evaluation, SeriesForecasts
from ..scoring.metrics import finite_mean, finite_or_none


def metrics_text(evaluation: Evaluation, path: Path) -> str:
    """The metrics as ``path``'s suffix names them: JSON (``overall`` and ``series``,
    every model's metrics, null where undefined; ``series`` for long-format data) or CSV
    (``series, model, metric, value``; the overall rows under ``series`` "mean")."""
    table = metrics_table(evaluation)
    if path.suffix.lower() == ".json":
        return json.dumps(table, indent=2, allow_nan=False) + "\n"
    rows = [
        {"series": name, "model": model, "metric": metric, "value": value}
        for name, models in [("mean", table["overall"]), *table["series"].items()]
        for model, metrics in models.items()
        for metric, value in metrics.items()
    ]
    return pd.DataFrame(rows).to_csv(index=False, float_format="%.17g")


def forecasts_text(evaluation: Evaluation) -> str:
    """Every scored origin's forecast, one row per series, origin, step and target:
    ``series`` (long-format data), ``origin`` and ``time`` (the first step's time and
    this step's, as the data writes times), ``step``, ``target``, ``actual``, each model's
    point forecast and, with a band, the model's quantiles (``model_p10``...)."""
    frames = [_series_frame(evaluation, s) for s in evaluation.series if len(s.origins)]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if evaluation.series and evaluation.series[0].id is None and len(frame):
        frame = frame.drop(columns="series")
    return frame.to_csv(index=False, float_format="%.17g")


def metrics_table(evaluation: Evaluation) -> dict[str, Any]:
    """Every model's metrics by series and their mean over series (as the table's), with
    the mean squared error added (per target over origins and steps, then over targets)."""
    scored = {str(s.id): _with_mse(s) for s in evaluation.series if len(s.origins)}
    overall = {
        model: {
            metric: finite_mean([table[model][metric] for table in scored.values()])
            for metric in metrics
        }
        for model, metrics in next(iter(scored.values()), {}).items()
    }
    named = any(s.id is not None for s in evaluation.series)  # long-format data
    return {
        "targets": list(evaluation.targets),
        "horizon": evaluation.horizon,
        "origins": evaluation.n_origins,
        "overall": finite_or_none(overall),
        "series": {k: finite_or_none(v) for k, v in scored.items()} if named else {},
    }


def _with_mse(series: SeriesForecasts) -> dict[str, dict[str, float]]:
    table = series.mean_scores()
    for model in MODELS:
        squared = (series.forecasts[model] - series.truth) ** 2
        table[model]["mse"] = float(np.mean(np.mean(squared, axis=(0, 1))))
    return table


def _series_frame(evaluation: Evaluation, series: SeriesForecasts) -> pd.DataFrame:
    n_origins, horizon, n_targets = series.forecasts["model"].shape
    origin, step, target = np.meshgrid(
        np.arange(n_origins), np.arange(horizon), np.arange(n_targets), indexing="ij"
    )
    rows = series.origins[origin] + step
    frame = pd.DataFrame(
        {
            "series": str(series.id),
            "origin": _times(series.index[series.origins[origin.ravel()]], evaluation),
            "time": _times(series.index[rows.ravel()], evaluation),
            "step": step.ravel() + 1,
            "target": np.asarray(evaluation.targets)[target.ravel()],
            "actual": series.actual[rows, target].ravel(),
        }
    )
    for model in MODELS:
        frame[model] = series.forecasts[model].ravel()
    if series.quantiles is not None:
        for k, level in enumerate(evaluation.quantile_levels):
            frame[f"model_p{100 * level:g}"] = series.quantiles[..., k].ravel()
    return frame


def _times(index: pd.DatetimeIndex, evaluation: Evaluation) -> list[str]:
    return [show_time(t, evaluation.time_format) for t in index]
