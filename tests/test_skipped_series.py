"""Long format: a series too short to train on is skipped with a warning, not fatal."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pytest

from lstm_forecast.config import load_config
from lstm_forecast.data import load_dataset
from lstm_forecast.errors import DataError
from lstm_forecast.features import Preprocessing
from lstm_forecast.report.tables import format_backtest
from lstm_forecast.workflows.backtest import backtest

from .helpers import monthly_frame, run_process, write_config, write_long_csv


def long_csv(path: Path, lengths: dict[str, int]) -> Path:
    frames = {sid: monthly_frame(n, seed=k) for k, (sid, n) in enumerate(lengths.items())}
    return write_long_csv(path, frames, "shop")


def shops_config(tmp_path: Path, lengths: dict[str, int], **data: object) -> Path:
    # lookback 12 + horizon 6, validation 6 and test 12 rows: 36 rows at least.
    csv = long_csv(tmp_path / "shops.csv", lengths)
    return write_config(tmp_path, csv, data={"id_column": "shop", **data})


def test_a_short_series_is_skipped_with_a_warning_naming_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = load_config(shops_config(tmp_path, {"a": 72, "b": 20, "c": 48}))
    with caplog.at_level(logging.WARNING, logger="lstm_forecast"):
        fitted, prepared = Preprocessing.fit_transform(config, load_dataset(config.data))
    assert [s.id for s in prepared.dataset.series] == ["a", "c"]
    assert list(prepared.skipped) == ["b"]
    assert "series 'b' has 20 rows but needs at least 36" in prepared.skipped["b"]
    (warning,) = caplog.messages
    assert warning.startswith(f"{tmp_path / 'shops.csv'}: series 'b' has 20 rows")
    assert warning.endswith("; skipped")
    assert len(prepared.bounds) == len(prepared.scalers) == 2
    assert fitted.to_json()["skipped_series"] == ["b"]


def test_many_skipped_series_are_named_up_to_ten_then_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lengths = {"long": 72, **{f"s{k:02d}": 20 for k in range(13)}}
    config = load_config(shops_config(tmp_path, lengths))
    with caplog.at_level(logging.WARNING, logger="lstm_forecast"):
        _, prepared = Preprocessing.fit_transform(config, load_dataset(config.data))
    assert len(prepared.skipped) == 13 and len(prepared.dataset.series) == 1
    assert len(caplog.messages) == 11
    assert "3 more series too short to train on were skipped" in caplog.messages[-1]


def test_min_series_length_refuses_instead_of_skipping(tmp_path: Path) -> None:
    config = load_config(shops_config(tmp_path, {"a": 72, "b": 20, "c": 30}, min_series_length=36))
    with pytest.raises(
        DataError,
        match=r"series 'b' has 20 rows, fewer than data.min_series_length \(36\); so have 1 more",
    ):
        Preprocessing.fit_transform(config, load_dataset(config.data))
    long_enough = load_config(shops_config(tmp_path, {"a": 72, "b": 40}, min_series_length=36))
    _, prepared = Preprocessing.fit_transform(long_enough, load_dataset(long_enough.data))
    assert len(prepared.dataset.series) == 2


def test_when_every_series_is_too_short_the_first_is_refused(tmp_path: Path) -> None:
    config = load_config(shops_config(tmp_path, {"a": 20, "b": 30}))
    with pytest.raises(DataError, match="series 'a' has 20 rows but needs at least 36"):
        Preprocessing.fit_transform(config, load_dataset(config.data))


@pytest.mark.slow
def test_train_evaluate_and_predict_go_on_without_the_short_series(tmp_path: Path) -> None:
    config = shops_config(tmp_path, {"a": 72, "b": 20, "c": 48})
    validated = run_process("validate", config)
    assert validated.code == 0, validated.err
    assert "skipped: 1 series too short to train on" in validated.out
    trained = run_process("train", config)
    assert trained.code == 0, trained.err
    assert "lstm-forecast: WARNING: " in trained.err
    assert "series 'b' has 20 rows" in trained.err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert set(metrics["series"]) == {"a", "c"}
    assert list(metrics["skipped_series"]) == ["b"]
    for command in ("evaluate", "predict"):
        done = run_process(command, tmp_path / "run")
        assert done.code == 0, done.err
        assert "1 series left out of training as too short have no forecast: 'b'" in done.err
    forecast = pd.read_csv(pd.io.common.StringIO(done.out))
    assert sorted(forecast["shop"].unique()) == ["a", "c"] and len(forecast) == 2 * 6


@pytest.mark.slow
@pytest.mark.parametrize("refit", [False, True])
def test_backtest_scores_the_other_series_and_names_a_skipped_one_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, refit: bool
) -> None:
    config = load_config(shops_config(tmp_path, {"a": 72, "b": 20, "c": 48}))
    with caplog.at_level(logging.WARNING, logger="lstm_forecast"):
        result = backtest(config, folds=2, refit=refit)
    # Named once, as the first fold (12 test rows, 36 rows needed) found it; with --refit
    # the second fold (6 test rows) skips it too, silently.
    (warning,) = [m for m in caplog.messages if "series 'b'" in m]
    assert "series 'b' has 20 rows but needs at least 36" in warning
    assert [[s.id for s in fold.series] for fold in result.folds] == [["a", "c"], ["a", "c"]]


@pytest.mark.slow
def test_backtest_labels_each_series_with_its_own_origins(tmp_path: Path) -> None:
    # All start in 2000-01; 'a' (72 rows) ends in 2005-12, 'c' (48 rows) in 2003-12, and
    # 'b' (20 rows) is skipped as too short: its dates are no fold's.
    config = load_config(shops_config(tmp_path, {"a": 72, "b": 20, "c": 48}))
    result = backtest(config, folds=2)
    table = result.table()
    model = table[(table["model"] == "model") & (table["fold"] != "mean")]
    origins = {(row.fold, row.series): row.origin[:7] for row in model.itertuples()}
    assert origins == {
        ("1", "a"): "2005-01",
        ("2", "a"): "2005-07",
        ("1", "c"): "2003-01",
        ("2", "c"): "2003-07",
    }
    printed = format_backtest(result).splitlines()
    assert [line.split()[:3] for line in printed[2:8]] == [
        ["1", "by", "series"],
        ["1", "by", "series"],
        ["1", "by", "series"],
        ["2", "by", "series"],
        ["2", "by", "series"],
        ["2", "by", "series"],
    ]
    assert printed[-2].startswith("by series: the series end at different times")


@pytest.mark.slow
def test_backtest_prints_the_shared_origin_when_the_series_end_together(tmp_path: Path) -> None:
    config = load_config(shops_config(tmp_path, {"a": 48, "c": 48}))  # both 2000-01 to 2003-12
    printed = format_backtest(backtest(config, folds=2))
    assert "by series" not in printed
    assert [line.split()[:2] for line in printed.splitlines()[2:8:3]] == [
        ["1", "2003-01"],
        ["2", "2003-07"],
    ]
