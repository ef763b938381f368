"""Figures a user can read: labelled axes, a legend beside the data (never over it), both
naive baselines drawn, and many series shown as the first few with a line on the rest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lstm_forecast.report import plots
from lstm_forecast.report.plots import MAX_PANELS
from lstm_forecast.scoring.evaluation import Evaluation, SeriesForecasts
from lstm_forecast.scoring.score_table import UNSCORED

HORIZON = 4


def _series(sid: str | None, rng: np.random.Generator) -> SeriesForecasts:
    n = 40
    actual = rng.normal(10, 1, (n, 1))
    origins = np.arange(n - 2 * HORIZON, n - HORIZON + 1)
    forecasts = {
        name: rng.normal(10, 1, (len(origins), HORIZON, 1))
        for name in ("model", "naive", "seasonal_naive")
    }
    return SeriesForecasts(
        id=sid,
        index=pd.date_range("2000-01-01", periods=n, freq="MS"),
        actual=actual,
        train_end=n - 4 * HORIZON,
        test_start=n - 2 * HORIZON,
        origins=origins,
        forecasts=forecasts,
        quantiles=None,
        scores=UNSCORED,
    )


def _evaluation(n_series: int, season_length: int = 12) -> Evaluation:
    rng = np.random.default_rng(0)
    ids = [None] if n_series == 1 else [f"s{k}" for k in range(n_series)]
    return Evaluation(
        targets=("sales",),
        horizon=HORIZON,
        season_length=season_length,
        quantile_levels=(),
        series=tuple(_series(sid, rng) for sid in ids),
    )


def _drawn(figure: Figure) -> Figure:
    FigureCanvasAgg(figure).draw()
    return figure


def _legend_labels(figure: Figure) -> set[str]:
    return {t.get_text() for ax in figure.axes for t in ax.get_legend().get_texts()}


@pytest.mark.parametrize("draw", [plots.test_forecast_figure, lambda e: plots.backtest_figure([e])])
def test_axes_name_the_target_and_the_legend_sits_beside_the_data(draw) -> None:  # type: ignore[no-untyped-def]
    figure = _drawn(draw(_evaluation(2)))
    for ax in figure.axes:
        assert ax.get_ylabel() == "sales"
        assert ax.get_xlabel() == "time"
        legend = ax.get_legend().get_window_extent()
        assert legend.x0 >= ax.get_window_extent().x1  # right of the plotting area
    assert {"model", "naive", "seasonal naive"} <= _legend_labels(figure)


def test_without_a_season_only_naive_is_drawn_beside_the_model() -> None:
    labels = _legend_labels(_drawn(plots.test_forecast_figure(_evaluation(1, season_length=1))))
    assert "naive" in labels and "seasonal naive" not in labels


@pytest.mark.parametrize(
    ("draw", "where"),
    [
        (
            plots.test_forecast_figure,
            "in the metrics (evaluate --forecasts writes every forecast)",
        ),
        (lambda e: plots.backtest_figure([e]), "in backtest.csv"),
    ],
    ids=["test", "backtest"],
)
def test_many_series_show_the_first_few_and_say_where_the_others_are(draw, where: str) -> None:  # type: ignore[no-untyped-def]
    """Each figure names the file that has the series it leaves out (evaluate writes no
    CSV unless asked: "in the CSV" pointed nowhere)."""
    figure = _drawn(draw(_evaluation(MAX_PANELS + 3)))
    assert len(figure.axes) == MAX_PANELS
    assert [ax.get_title() for ax in figure.axes][:2] == ["s0: sales", "s1: sales"]
    assert figure.get_suptitle() == (
        f"The first {MAX_PANELS} of {MAX_PANELS + 3} series; the other 3 are {where}"
    )


def test_few_series_have_no_left_out_line() -> None:
    assert _drawn(plots.test_forecast_figure(_evaluation(2))).get_suptitle() == ""
