"""Workers that each score their share of the series pool the scores (issue 38, item 2):
every worker ends with every series' scores as its worker computed them, and of the
others' series only what the report and a figure read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lstm_forecast.config import Config
from lstm_forecast.data import load_dataset
from lstm_forecast.features import Prepared, Preprocessing
from lstm_forecast.scoring.evaluation import (
    Evaluation,
    SeriesForecasts,
    evaluate_at,
    score_table_at,
)
from lstm_forecast.scoring.origins import validation_spread
from lstm_forecast.scoring.pooling import PooledSeries, pooled_evaluation, pooled_table
from lstm_forecast.scoring.score_table import UNSCORED, ScoreTable, SeriesScores

from .helpers import ThreadWorkers, run_workers
from .test_pooled_fit import IDS, shops_config

DRAWN = 2


def first_row_held(prepared: Prepared) -> object:
    """A forecaster without a network: each window's first scaled value, held, with a
    band around it for a quantile model."""
    coding = prepared.coding
    levels = len(coding.quantile_levels) or 1
    spread = np.linspace(-0.5, 0.5, levels) if levels > 1 else np.zeros(1)

    def forecast(windows: np.ndarray) -> np.ndarray:
        first = windows[:, :1, :1, None].astype(np.float64)
        return np.broadcast_to(first, (len(windows), coding.horizon, 1, levels)) + spread

    return forecast


def scored_share(
    config: Config, w: ThreadWorkers
) -> tuple[Evaluation, Evaluation, ScoreTable, ScoreTable]:
    share = load_dataset(config.data, share=w.share)
    _, prepared = Preprocessing.fit_transform(config, share, workers=w)
    forecaster = first_row_held(prepared)
    own = evaluate_at(prepared, forecaster, prepared.test_origins())  # type: ignore[arg-type]
    origins, _ = validation_spread(prepared)
    table = score_table_at(prepared, forecaster, origins)  # type: ignore[arg-type]
    return own, pooled_evaluation(own, w, drawn=DRAWN), table, pooled_table(table, w)


def by_id(evaluation: Evaluation) -> dict[str | None, SeriesForecasts]:
    return {s.id: s for s in evaluation.series}


@pytest.mark.parametrize("sets", [(), ("model.quantiles=[0.1, 0.5, 0.9]",)])
def test_every_worker_ends_with_every_series_scores_as_its_worker_computed_them(
    tmp_path: Path, sets: tuple[str, ...]
) -> None:
    config = shops_config(tmp_path, *sets)
    (own0, pooled0, table0, every0), (own1, pooled1, table1, every1) = run_workers(
        2, lambda w: scored_share(config, w)
    )
    assert sorted(s.id for s in own0.series + own1.series) == sorted(IDS)
    for pooled, own, other in ((pooled0, own0, own1), (pooled1, own1, own0)):
        assert [s.id for s in pooled.series] == [s.id for s in own0.series + own1.series]
        assert pooled.to_json() == pooled0.to_json()
        mine = by_id(pooled)
        for series in own.series:
            assert mine[series.id] is series  # its own series, whole
        theirs = [mine[s.id] for s in other.series]
        assert [pooled.series[k].id for k in range(-len(pooled.series), 0)] == list(mine)
        scored = [k for k, s in enumerate(other.series) if len(s.origins)]
        assert len(scored) > DRAWN
        for k, (sent, got) in enumerate(zip(other.series, theirs, strict=True)):
            assert got.scores.names == sent.scores.names
            np.testing.assert_array_equal(got.scores.values, sent.scores.values)
            np.testing.assert_array_equal(got.truth, sent.truth)
            for model, values in sent.forecasts.items():
                np.testing.assert_array_equal(got.forecasts[model], values)
            if sent.quantiles is not None:
                np.testing.assert_array_equal(got.quantiles, sent.quantiles)
            # A figure's series from four horizons before their test part; the rest from it.
            before = 4 * own.horizon if k in scored[:DRAWN] else 0
            assert got.test_start == min(before, sent.test_start)
            assert got.index[got.test_start] == sent.index[sent.test_start]
            assert list(got.index) == list(sent.index[sent.test_start - got.test_start :])
    for every in (every0, every1):
        assert every.names == table0.names == table1.names
        assert every.counts.tolist() == table0.counts.tolist() + table1.counts.tolist()
        np.testing.assert_array_equal(every.values, np.concatenate([table0.values, table1.values]))
    assert every0.overall() and every0.overall() == every1.overall()
    assert every0.n_origins == table0.n_origins + table1.n_origins


def test_a_table_s_overall_is_the_mean_of_its_series_finite_scores() -> None:
    nan = float("nan")

    def one_target(model: dict[str, float], naive: dict[str, float]) -> SeriesScores:
        scores = {"model": model, "naive": naive}
        return SeriesScores.of({m: {k: [v] for k, v in ms.items()} for m, ms in scores.items()})

    table = ScoreTable.of(
        [
            (2, one_target({"mase": 1.0, "mae": 4.0}, {"mase": 3.0, "mae": 2.0})),
            (0, UNSCORED),
            (1, one_target({"mase": nan, "mae": 2.0}, {"mase": 5.0, "mae": 6.0})),
        ]
    )
    assert table.n_origins == 3 and table.counts.tolist() == [2, 0, 1]
    assert table.names == (("model", "mase"), ("model", "mae"), ("naive", "mase"), ("naive", "mae"))
    assert table.overall() == {
        "model": {"mase": 1.0, "mae": 3.0},
        "naive": {"mase": 4.0, "mae": 4.0},
    }
    assert ScoreTable.of([(0, UNSCORED)]).overall() == {} and ScoreTable.of([]).n_origins == 0


@given(
    st.lists(st.integers(0, 4), max_size=5),
    st.integers(-12, 12),
    st.integers(-12, 12),
    st.integers(-3, 3).filter(bool),
)
def test_pooled_series_read_as_the_blocks_joined(
    lengths: list[int], start: int, stop: int, step: int
) -> None:
    counter = iter(range(100))
    blocks = [tuple(next(counter) for _ in range(n)) for n in lengths]
    joined = [item for block in blocks for item in block]
    pooled = PooledSeries(blocks)  # type: ignore[arg-type]  # any items read the same
    assert len(pooled) == len(joined) and list(pooled) == joined
    assert [pooled[k] for k in range(-len(joined), len(joined))] == joined + joined
    assert pooled[start:stop:step] == joined[start:stop:step]
    for outside in (len(joined), -len(joined) - 1):
        with pytest.raises(IndexError):
            pooled[outside]
