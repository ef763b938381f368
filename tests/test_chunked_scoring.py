"""Scoring a chunk of series at a time (``CHUNK_ORIGINS``) gives what scoring all at once
gives, and the validation comparison with the naives scores an even spread of origins."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lstm_forecast.config import load_config
from lstm_forecast.data import load_dataset
from lstm_forecast.features import Prepared, Preprocessing
from lstm_forecast.scoring import evaluation
from lstm_forecast.scoring.evaluation import evaluate_at, score_table_at
from lstm_forecast.scoring.origins import origin_chunks, spread_origins

from .helpers import write_config, write_long_csv


def prepared_stores(tmp_path: Path, n_series: int = 7) -> Prepared:
    """Monthly series of different lengths (so their origins differ), fit as train does."""
    rng = np.random.default_rng(5)
    frames = {}
    for k in range(n_series):
        rows = 60 + 7 * k
        months = pd.date_range("2000-01", periods=rows, freq="MS").strftime("%Y-%m")
        level = 100 + 10 * k + np.cumsum(rng.normal(size=rows))
        frames[f"s{k}"] = pd.DataFrame({"month": months, "sales": level.round(3)})
    csv = write_long_csv(tmp_path / "sales.csv", frames)
    config = load_config(
        write_config(tmp_path, csv, data={"id_column": "store"}, split={"validation": 12})
    )
    return Preprocessing.fit_transform(config, load_dataset(config.data))[1]


def forecaster(windows: np.ndarray) -> np.ndarray:
    """A stand-in network: each window's scaled inputs, summed, as every step's forecast
    (different for every window, so a misplaced window changes a score)."""
    horizon = 6
    level = windows[:, :, 0].mean(axis=1) + 0.01 * windows[:, :, 0].sum(axis=1)
    return np.repeat(level[:, None, None, None], horizon, axis=1)


def test_scoring_in_chunks_equals_scoring_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared = prepared_stores(tmp_path)
    origins = prepared.validation_origins()
    assert sum(map(len, origins)) > 20  # else one chunk below would hold every origin
    whole = evaluate_at(prepared, forecaster, origins)
    monkeypatch.setattr(evaluation, "CHUNK_ORIGINS", 5)
    chunked = evaluate_at(prepared, forecaster, origins)
    assert [s.id for s in chunked.series] == [s.id for s in whole.series]
    for a, b in zip(chunked.series, whole.series, strict=True):
        np.testing.assert_array_equal(a.origins, b.origins)
        for name in b.forecasts:
            np.testing.assert_array_equal(a.forecasts[name], b.forecasts[name])
    assert chunked.overall() == whole.overall()
    table = score_table_at(prepared, forecaster, origins)
    assert table.n_origins == whole.n_origins
    assert table.overall() == whole.overall()


def test_a_slice_of_series_has_their_rows_alone(tmp_path: Path) -> None:
    prepared = prepared_stores(tmp_path)
    part = prepared.series_slice(2, 5)
    assert [s.id for s in part.dataset.series] == ["s2", "s3", "s4"]
    for mine, whole in zip(part.scaled, prepared.scaled[2:5], strict=True):
        np.testing.assert_array_equal(mine, whole)
    assert part.bounds == prepared.bounds[2:5] and part.scalers == prepared.scalers[2:5]
    assert len(prepared.series_slice(7, 7).dataset.series) == 0


@given(st.lists(st.integers(0, 30), max_size=40), st.integers(1, 50))
def test_chunks_cover_every_position_once_within_the_most(counts: list[int], most: int) -> None:
    ranges = list(origin_chunks(counts, most))
    assert [p for start, stop in ranges for p in range(start, stop)] == list(range(len(counts)))
    for start, stop in ranges:
        assert stop > start
        # more only where one position alone holds more
        assert sum(counts[start:stop]) <= most or np.count_nonzero(counts[start:stop]) == 1


@given(st.lists(st.integers(0, 300), min_size=1, max_size=30), st.integers(1, 500))
def test_a_spread_keeps_each_series_last_origin_and_about_the_most(
    lengths: list[int], most: int
) -> None:
    origins = [np.arange(n) + 10 for n in lengths]
    spread, step = spread_origins(origins, most)
    total = sum(lengths)
    if total <= most:
        assert step == 1
        assert all(np.array_equal(a, b) for a, b in zip(spread, origins, strict=True))
        return
    assert sum(map(len, spread)) <= most + len(lengths)
    for rows, kept in zip(origins, spread, strict=True):
        if len(rows):
            assert kept[-1] == rows[-1]
            assert set(np.diff(kept)) <= {step}
