"""What the report page shows, from what the commands computed: each series' chart (history,
the test part's forecasts beside both naives, the forecast after the data, anomaly events),
the metrics tables, the model beside its baselines, and the training's loss."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..data.timeindex import show_time
from ..data.timeparse import parse_time_text
from ..scoring.evaluation import Evaluation, SeriesForecasts
from . import svg
from .page import SeriesView, Table

# The most series drawn (every one is in the metrics table) and table rows shown.
MOST_CHARTS = 200
MOST_ROWS = 2000
# Beyond the test part (or the data's end), this many horizons of history are drawn.
HISTORY_HORIZONS = 4
_METRIC_NAMES = {
    "mae": "MAE",
    "rmse": "RMSE",
    "smape": "sMAPE %",
    "mase": "MASE",
    "mse": "MSE",
    "msis": "MSIS",
    "crps": "CRPS",
}
_NAIVES = (("naive", "naive", "naive"), ("seasonal_naive", "seasonal-naive", "seasonal naive"))


def series_views(
    evaluation: Evaluation,
    futures: Mapping[str | None, pd.DataFrame],
    events: pd.DataFrame | None,
) -> list[SeriesView]:
    """One chart per series (the first ``MOST_CHARTS``), of the first target."""
    views = []
    for k, series in enumerate(evaluation.series[:MOST_CHARTS]):
        chart = _series_chart(evaluation, series, futures.get(series.id), events)
        name = str(series.id) if series.id is not None else evaluation.targets[0]
        views.append(SeriesView(str(k), name, svg.render(chart), _scores_note(series)))
    return views


def _seconds(index: pd.DatetimeIndex) -> np.ndarray:
    epoch = pd.Timestamp(0, tz=index.tz)
    return np.asarray((index - epoch) / pd.Timedelta(seconds=1), dtype=float)


def _series_chart(
    evaluation: Evaluation,
    series: SeriesForecasts,
    future: pd.DataFrame | None,
    events: pd.DataFrame | None,
) -> svg.Chart:
    horizon, target = evaluation.horizon, evaluation.targets[0]
    index, x = series.index, _seconds(series.index)
    first = series.test_start if len(series.origins) else len(index)
    start = max(0, first - HISTORY_HORIZONS * horizon)
    lines = [svg.Line(x[start:], series.actual[start:, 0], "actual", "actual")]
    bands, spans = [], []
    if len(series.origins):
        spans.append(svg.Span(x[series.test_start], x[-1], "test-part", "test part"))
    for k, origin in enumerate(series.origins[::horizon]):
        steps = x[origin : origin + horizon]
        if series.quantiles is not None:
            band = series.quantiles[k * horizon, : len(steps), 0]
            bands.append(svg.Band(steps, band[:, 0], band[:, -1], "band", "interval"))
        point = series.forecasts["model"][k * horizon, : len(steps), 0]
        lines.append(svg.Line(steps, point, "model", "model (test part)"))
        for name, kind, words in _NAIVES[: 2 if evaluation.season_length > 1 else 1]:
            naive = series.forecasts[name][k * horizon, : len(steps), 0]
            lines.append(svg.Line(steps, naive, kind, words))
    if future is not None and target in future.columns:
        ahead = _seconds(pd.DatetimeIndex(future.index))
        point = future[target].to_numpy(float)
        lines.append(svg.Line(ahead, point, "forecast", "forecast", dots=True))
        quantiles = [c for c in future.columns if c.startswith(f"{target}_p")]
        if len(quantiles) >= 2:
            low, high = future[quantiles[0]].to_numpy(float), future[quantiles[-1]].to_numpy(float)
            bands.append(svg.Band(ahead, low, high, "band", "interval"))
    spans += _event_spans(events, series.id, evaluation.time_format)
    tz = index.tz

    def time_label(seconds: float) -> str:
        stamp = pd.Timestamp(round(seconds * 1e9), tz=tz)
        return show_time(stamp, evaluation.time_format)

    title = f"{series.id}: {target}" if series.id is not None else target
    return svg.Chart(title, lines, bands, spans, time_label)


def _event_spans(
    events: pd.DataFrame | None, series_id: str | None, time_format: str | None
) -> list[svg.Span]:
    if events is None or not len(events):
        return []
    own = events
    if series_id is not None and "series" in events.columns:
        own = events[events["series"].astype(str) == str(series_id)]
    spans = []
    for _, row in own.iterrows():
        start, end = (_time(str(row[c]), time_format) for c in ("start", "end"))
        if start is not None and end is not None:
            title = f"event {row['start']} to {row['end']}"
            spans.append(svg.Span(start, end, "event", "anomaly event", title))
    return spans


def _time(text: str, time_format: str | None) -> float | None:
    """Seconds of a time as the data writes it (None: it does not read)."""
    values = pd.Series([text.strip()], dtype="string")
    for fmt in (None, time_format) if time_format else (None,):
        parsed = parse_time_text(values, fmt).times
        if not parsed.isna().any():
            return float(_seconds(pd.DatetimeIndex(parsed))[0])
    return None


def _scores_note(series: SeriesForecasts) -> str:
    if not len(series.origins):
        return "No test origin: the chart shows the history and the forecast after it."
    means = series.mean_scores()
    figures = ", ".join(
        f"{name.replace('_', ' ')} {means[name]['mase']:.3f}"
        for name in ("model", "naive", "seasonal_naive")
    )
    return f"Test MASE: {figures} ({len(series.origins)} origins)."


def learned_table(against: Mapping[str, Any] | None) -> Table:
    """The model beside naive and seasonal naive, by part (``metrics.json``'s
    ``against_naives``)."""
    rows = []
    for part in ("validation", "test"):
        scores = (against or {}).get(part)
        if not scores:
            continue
        beaten = ", ".join(n.replace("_", " ") for n in scores.get("beaten_by", [])) or "none"
        rows.append(
            [
                part,
                str(scores["origins"]),
                *(_figure(scores.get(m)) for m in ("model", "naive", "seasonal_naive")),
                beaten,
            ]
        )
    header = ["part", "origins", "model MASE", "naive", "seasonal naive", "naives that beat it"]
    note = "" if rows else "The bundle records no comparison (trained without those parts)."
    return Table("MASE, mean over series (lower is better)", header, rows, note)


def loss_chart(history: pd.DataFrame | None, best_epoch: int | None) -> str:
    """The first ensemble member's training and validation loss by epoch."""
    if history is None or not len(history):
        return ""
    first = history[history["member"] == history["member"].min()]
    epochs = first["epoch"].to_numpy(float)
    lines = [svg.Line(epochs, first["loss"].to_numpy(float), "loss", "training loss")]
    if "val_loss" in first and first["val_loss"].notna().any():
        val = first["val_loss"].to_numpy(float)
        lines.append(svg.Line(epochs, val, "val-loss", "validation loss"))
    spans = []
    if best_epoch is not None:
        spans.append(svg.Span(best_epoch - 0.1, best_epoch + 0.1, "best", "best epoch (kept)"))
    return svg.render(svg.Chart("loss by epoch", lines, (), spans, lambda e: f"epoch {e:.0f}"))


def metrics_tables(table: Mapping[str, Any]) -> list[Table]:
    """The overall metrics by model, and each series' (worst model MASE first)."""
    overall = table.get("overall") or {}
    keys = list(dict.fromkeys(k for metrics in overall.values() for k in metrics))
    metrics = [_METRIC_NAMES.get(k, k) for k in keys]
    rows = [
        [model.replace("_", " "), *(_figure(m.get(k)) for k in keys)]
        for model, m in overall.items()
    ]
    tables = [Table("Mean over series", ["model", *metrics], rows)]
    by_series = table.get("series") or {}
    if by_series:
        ordered = sorted(by_series.items(), key=lambda kv: -(kv[1]["model"]["mase"] or 0.0))
        shown = ordered[:MOST_ROWS]
        header = ["series", "model MASE", "naive MASE", "seasonal naive MASE", "model sMAPE %"]
        rows = [
            [
                name,
                *(_figure(m[model]["mase"]) for model in ("model", "naive", "seasonal_naive")),
                _figure(m["model"]["smape"]),
            ]
            for name, m in shown
        ]
        note = (
            f"The {len(shown)} worst of {len(ordered)} series; evaluate --output writes all."
            if len(ordered) > len(shown)
            else ""
        )
        tables.append(Table("By series, worst model MASE first", header, rows, note))
    return tables


def frame_table(frame: pd.DataFrame, caption: str, most: int = MOST_ROWS) -> Table:
    """A CSV's rows as a table (numbers to 4 significant digits)."""
    shown = frame.head(most)
    rows = [[_cell(v) for v in row] for row in shown.itertuples(index=False)]
    note = f"The first {most} of {len(frame)} rows." if len(frame) > most else ""
    return Table(caption, [str(c) for c in frame.columns], rows, note)


def _cell(value: object) -> str:
    if isinstance(value, float | np.floating):
        return _figure(float(value))
    return str(value)


def _figure(value: float | None) -> str:
    return "" if value is None or not np.isfinite(value) else f"{value:.4g}"


def serves_line(against: Mapping[str, Any] | None, served: str) -> Sequence[str]:
    """What the bundle serves and why, in words."""
    if not against:
        return []
    why = against.get("why") or ""
    corrects = against.get("corrects") or ""
    lines = [f"It serves {served}" + (f" ({why})." if why else ".")]
    if corrects:
        lines.append(f"The network corrects the {corrects} forecast.")
    return lines
