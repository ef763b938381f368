"""Figures for a run: loss curves, test forecasts, future forecasts (matplotlib, Agg).

Figures are built with ``matplotlib.figure.Figure`` directly, never pyplot, so no global
backend or state is touched and nothing needs a display.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..data import Dataset
from ..scoring.evaluation import Evaluation, SeriesForecasts
from . import MAX_PANELS


def loss_figure(history: dict[str, list[float]], best_epoch: int) -> Figure:
    figure = Figure(figsize=(7, 4), layout="constrained")
    ax = figure.add_subplot()
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], label="train")
    if "val_loss" in history:
        ax.plot(epochs, history["val_loss"], label="validation")
    ax.axvline(best_epoch, color="grey", linestyle=":", label=f"best epoch ({best_epoch})")
    positive = min(min(values) for values in history.values()) > 0
    ax.set(
        xlabel="epoch",
        ylabel="loss (scaled units)",
        yscale="log" if positive else "linear",
        title="Training loss",
    )
    ax.legend(loc="upper right")
    return figure


def test_forecast_figure(evaluation: Evaluation) -> Figure:
    """History, test actuals, and the model's and both naives' forecasts from origins
    that tile the test part (the first ``MAX_PANELS`` series with test origins)."""
    scored = evaluation.scored()
    drawn = list(itertools.islice(scored, MAX_PANELS))
    rest = "in the metrics (evaluate --forecasts writes every forecast)"
    figure = _panels(drawn, len(drawn) + sum(1 for _ in scored), rest)
    for ax, series in zip(figure.axes, drawn, strict=False):
        _draw_test_series(ax, series, evaluation)
    return figure


def future_forecast_figure(history: Dataset, futures: Sequence[pd.DataFrame]) -> Figure:
    """Recent history and the forecast of the first target for each series.

    ``futures``: per series of ``history``, the forecast indexed by future timestamps.
    """
    target = history.targets[0]
    figure = _panels(history.series[:MAX_PANELS], len(history.series), "in predict's forecast")
    for ax, series, future in zip(figure.axes, history.series, futures, strict=False):
        recent = slice(max(0, len(series) - 4 * len(future)), None)
        ax.plot(series.index[recent], series.values[recent, 0], color="black", label="history")
        bands = [c for c in future.columns if c.startswith(f"{target}_p")]
        if len(bands) >= 2:
            ax.fill_between(
                future.index,
                future[bands[0]],
                future[bands[-1]],
                color="tab:blue",
                alpha=0.15,
                label="interval",
            )
        ax.plot(future.index, future[target], color="tab:blue", marker=".", label="forecast")
        _label(ax, series.id, target)
    return figure


def _panels(shown: Sequence[object], total: int, rest: str) -> Figure:
    """A figure of one panel per shown series, saying how many series it leaves out and
    where they are (``rest``: "in the forecast predict wrote")."""
    count = max(len(shown), 1)
    figure = Figure(figsize=(11, 3.2 * count), layout="constrained")
    for row in range(count):
        figure.add_subplot(count, 1, row + 1)
    if total > len(shown):
        figure.suptitle(
            f"The first {len(shown)} of {total} series; the other {total - len(shown)} are {rest}",
            fontsize="medium",
        )
    return figure


def _label(ax: Axes, series_id: str | None, target: str) -> None:
    """Title and axis labels by the series and target, and the legend outside the data."""
    ax.set(
        title=target if series_id is None else f"{series_id}: {target}",
        xlabel="time",
        ylabel=target,
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize="small")


# How each baseline is drawn beside the model's forecast.
_BASELINES = (("naive", "tab:green", ":"), ("seasonal_naive", "tab:orange", "--"))


def _baselines(season_length: int) -> tuple[tuple[str, str, str], ...]:
    """Both naives; one when there is no season (seasonal naive is naive then)."""
    return _BASELINES if season_length > 1 else _BASELINES[:1]


def _draw_test_series(ax: Axes, series: SeriesForecasts, evaluation: Evaluation) -> None:
    horizon, target = evaluation.horizon, evaluation.targets[0]
    start = max(0, series.test_start - 4 * horizon)
    index, actual = series.index, series.actual[:, 0]
    ax.plot(index[start:], actual[start:], color="black", label="actual")
    test_part = (index[series.test_start], index[-1])
    ax.axvspan(*test_part, color="grey", alpha=0.12, label="test part")  # type: ignore[arg-type]
    if series.quantiles is not None:
        for k, origin in enumerate(series.origins[::horizon]):
            steps = index[origin : origin + horizon]
            band = series.quantiles[k * horizon, : len(steps), 0]
            ax.fill_between(
                steps,
                band[:, 0],
                band[:, -1],
                color="tab:blue",
                alpha=0.15,
                label="interval" if k == 0 else None,
            )
    drawn = (("model", "tab:blue", "-"), *_baselines(evaluation.season_length))
    for name, color, style in drawn:
        for k, origin in enumerate(series.origins[::horizon]):
            steps = index[origin : origin + horizon]
            ax.plot(
                steps,
                series.forecasts[name][k * horizon, : len(steps), 0],
                color=color,
                linestyle=style,
                label=name.replace("_", " ") if k == 0 else None,
            )
    _label(ax, series.id, target)


def backtest_figure(folds: Sequence[Evaluation]) -> Figure:
    """Actuals around the backtest, and each fold's model and naive forecasts."""
    first = folds[0]
    figure = _panels(first.series[:MAX_PANELS], len(first.series), "in backtest.csv")
    for panel, ax in enumerate(figure.axes):
        series = first.series[panel]
        horizon = first.horizon
        start = max(0, series.test_start - 2 * horizon)
        ax.plot(series.index[start:], series.actual[start:, 0], color="black", label="actual")
        for k, fold in enumerate(folds):
            scored = fold.series[panel]
            for origin_row, origin in enumerate(scored.origins):
                steps = scored.index[origin : origin + horizon]
                label = k == 0 and origin_row == 0
                if scored.quantiles is not None:
                    band = scored.quantiles[origin_row, : len(steps), 0]
                    ax.fill_between(
                        steps,
                        band[:, 0],
                        band[:, -1],
                        color="tab:blue",
                        alpha=0.15,
                        label="interval" if label else None,
                    )
                ax.plot(
                    steps,
                    scored.forecasts["model"][origin_row, : len(steps), 0],
                    color="tab:blue",
                    label="model" if label else None,
                )
                for name, color, style in _baselines(first.season_length):
                    ax.plot(
                        steps,
                        scored.forecasts[name][origin_row, : len(steps), 0],
                        color=color,
                        linestyle=style,
                        label=name.replace("_", " ") if label else None,
                    )
            ax.axvline(scored.index[scored.origins[0]], color="grey", linestyle=":", linewidth=0.8)
        _label(ax, series.id, first.targets[0])
    return figure


def anomaly_figure(history: Dataset, checked: pd.DataFrame, events: pd.DataFrame) -> Figure:
    """Each series' checked rows (the first target): actuals, the forecast and its band,
    the flagged observations and each event's span; ``checked`` and ``events`` are
    ``detect``'s tables with times as timestamps."""
    target = history.targets[0]
    if "target" in checked.columns:
        checked = checked[checked["target"] == target]
        events = events[events["target"] == target]
    spans = dict(tuple(events.groupby("series", sort=False)))
    by_series = dict(tuple(checked.groupby("series", sort=False)))
    shown = [s for s in history.series if ("" if s.id is None else s.id) in by_series]
    figure = _panels(shown[:MAX_PANELS], len(shown), "in detect's report")
    for ax, series in zip(figure.axes, shown, strict=False):
        rows = by_series["" if series.id is None else series.id]
        times = pd.DatetimeIndex(rows["time"])
        before = series.index < times[0]
        # Up to as many rows before as are checked, joined to the first checked one.
        context = slice(max(0, int(before.sum()) - len(rows)), int(before.sum()) + 1)
        ax.plot(series.index[context], series.values[context, 0], color="grey", label="before")
        ax.fill_between(
            times, rows["lower"], rows["upper"], color="tab:blue", alpha=0.15, label="band"
        )
        ax.plot(times, rows["forecast"], color="tab:blue", linewidth=0.8, label="forecast")
        ax.plot(times, rows["actual"], color="black", label="actual")
        flagged = rows["anomaly"].to_numpy()
        ax.scatter(
            times[flagged],
            rows["actual"][flagged],
            color="tab:red",
            zorder=3,
            label=f"anomaly ({int(flagged.sum())})",
        )
        own = spans.get("" if series.id is None else series.id, events.iloc[:0])
        for k, (start, end) in enumerate(zip(own["start"], own["end"], strict=True)):
            # A one-row event still shows: half a row either side of it.
            half = (times[1] - times[0]) / 2 if len(times) > 1 else pd.Timedelta(0)
            ax.axvspan(
                start - half,
                end + half,
                color="tab:red",
                alpha=0.12,
                label=f"event ({len(own)})" if k == 0 else None,
            )
        _label(ax, series.id, target)
    return figure


def importance_figure(table: pd.DataFrame, base_mase: float) -> Figure:
    """``explain``'s table as horizontal bars (most important on top), with the spread
    over repeats as error bars."""
    figure = Figure(figsize=(8, 0.35 * len(table) + 1.6), layout="constrained")
    ax = figure.add_subplot()
    rows = table.iloc[::-1]
    ax.barh(rows["input"], rows["mase_increase"], xerr=rows["spread"], color="tab:blue")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set(
        xlabel=f"increase of MASE when shuffled (the model's: {base_mase:.3f})",
        title="Permutation importance",
    )
    return figure
