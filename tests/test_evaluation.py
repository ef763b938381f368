from __future__ import annotations

import numpy as np
import pandas as pd

from lstm_forecast.report.tables import format_table
from lstm_forecast.scoring.evaluation import Evaluation, SeriesForecasts
from lstm_forecast.scoring.score_table import SeriesScores


def scored(sid: str, model: float, snaive: float, origins: int = 2) -> SeriesForecasts:
    """A series whose scores are given (the forecasts themselves are not looked at)."""
    table = {"mae": 1.0, "rmse": 1.0, "smape": 1.0}
    scores = {
        name: {**{k: np.array([v]) for k, v in table.items()}, "mase": np.array([mase])}
        for name, mase in (("model", model), ("naive", 1.0), ("seasonal_naive", snaive))
    }
    return SeriesForecasts(
        id=sid,
        index=pd.date_range("2000-01", periods=10, freq="MS"),
        actual=np.zeros((10, 1)),
        train_end=5,
        test_start=8,
        origins=np.arange(origins) + 8,
        forecasts={},
        quantiles=None,
        scores=SeriesScores.of(scores if origins else {}),
    )


def test_share_of_series_beating_seasonal_naive_counts_only_comparable_series() -> None:
    evaluation = Evaluation(
        targets=("y",),
        horizon=1,
        season_length=12,
        quantile_levels=(),
        series=(
            scored("a", 0.5, 1.0),  # beats
            scored("b", 1.2, 1.0),  # loses
            scored("c", 1.0, 1.0),  # a tie is not a win
            scored("d", 0.1, float("nan")),  # constant train part: no MASE to compare
            scored("e", 0.1, 1.0, origins=0),  # too short to score
            scored("f", 1.1, 1.5),  # beats seasonal naive, not naive (1.0)
        ),
    )
    assert evaluation.share_beating(("seasonal_naive",)) == (2, 4)
    assert evaluation.share_beating() == (1, 4)  # both naives
    metrics = evaluation.to_json()
    assert metrics["model_beats_seasonal_naive"] == {"series": 2, "of": 4, "share": 2 / 4}
    assert metrics["model_beats_both_naives"] == {"series": 1, "of": 4, "share": 1 / 4}
    assert format_table(evaluation).splitlines()[-1] == (
        "model beats naive and seasonal naive (MASE) on 1 of 4 series (25 %)"
    )


def test_backtest_counts_series_beating_seasonal_naive_over_the_mean_of_folds() -> None:
    from lstm_forecast.report.tables import format_backtest
    from lstm_forecast.scoring.backtest import Backtest

    def fold(*series: SeriesForecasts) -> Evaluation:
        return Evaluation(("y",), 1, 12, (), series)

    result = Backtest(
        folds=(
            fold(scored("a", 0.5, 1.0, origins=1), scored("b", 2.0, 1.0, origins=1)),
            # a: mean 0.95, b: 1.1
            fold(scored("a", 1.4, 1.0, origins=1), scored("b", 0.2, 1.0, origins=1)),
        ),
        refit=False,
        seconds=0.0,
    )
    assert result.share_beating(("seasonal_naive",)) == (1, 2)
    assert result.share_beating() == (1, 2)  # naive's MASE is 1.0 here too
    assert format_backtest(result).splitlines()[-1] == (
        "model beats naive and seasonal naive (MASE, mean over folds) on 1 of 2 series (50 %)"
    )


def test_nothing_to_score_says_how_to_get_a_score() -> None:
    evaluation = Evaluation(("y",), 6, 12, (), (scored("a", 0.5, 1.0, origins=0),))
    assert format_table(evaluation) == (
        "no test origins to score (split.test is 0 or shorter than the horizon): to see how "
        "well the model forecasts, hold out a test part, e.g. --set split.test=12 (two "
        "horizons), or run backtest"
    )


def test_a_series_scores_are_one_array_read_as_the_scores_they_were() -> None:
    scores = {
        "model": {"mae": np.array([1.0, 3.0]), "mase": np.array([0.5, np.nan])},
        "naive": {"mae": np.array([2.0, 2.0]), "mase": np.array([1.0, 1.0])},
    }
    table = SeriesScores.of(scores)
    assert table.values.shape == (4, 2) and table.values.dtype == np.float64
    assert table.names == tuple((m, k) for m, metrics in scores.items() for k in metrics)
    for (model, metric), row in zip(table.names, table.values, strict=True):
        np.testing.assert_array_equal(row, scores[model][metric])
    means = table.means()
    assert means["model"]["mae"] == 2.0 and np.isnan(means["model"]["mase"])
    # Every series' names are one tuple, held once.
    assert SeriesScores.of(scores).names is table.names
    assert not SeriesScores.of({}) and table
