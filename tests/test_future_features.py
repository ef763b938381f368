"""Future-known inputs (``data.future_features``): the network sees their values over the
horizon and uses them, nothing of the targets' future reaches it, and predict reads them
from the rows after each series' history, refusing rows it cannot use by series, column
and time."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_forecast.config import load_config
from lstm_forecast.data import load_dataset
from lstm_forecast.features import Preprocessing
from lstm_forecast.features.coding import WindowCoding

from .helpers import (
    assert_one_line_error,
    promo_frame,
    run_cli,
    sets,
    write_config,
    write_csv,
    write_long_csv,
)

DAYS, LOOKBACK, HORIZON = 400, 14, 7


def promo_config(folder: Path, data: Path, **data_keys: object) -> Path:
    return write_config(
        folder,
        data,
        data={"time_column": "day", **data_keys},
        window={"lookback": LOOKBACK, "horizon": HORIZON},
        split={"validation": 42, "test": 56},
        model={"layers": [8]},
        training={"epochs": 25, "early_stopping_patience": 5, "learning_rate": 0.01},
    )


def with_future(history: pd.DataFrame, promo: list[int]) -> pd.DataFrame:
    """``history`` and then one row per day of ``promo``: the target empty."""
    days = pd.date_range(pd.Timestamp(history["day"].iloc[-1]), periods=len(promo) + 1)[1:]
    ahead = pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "sales": np.nan, "promo": promo})
    return pd.concat([history, ahead], ignore_index=True)


@pytest.fixture(scope="module")
def promo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """A bundle trained with ``promo`` known ahead, and its data."""
    folder = tmp_path_factory.mktemp("promo")
    frame = promo_frame(DAYS)
    config = promo_config(folder, write_csv(folder / "promo.csv", frame), future_features=["promo"])
    ran = run_cli("train", config, "--quiet")
    assert ran.code == 0, ran.err
    return folder / "run", frame


@pytest.mark.slow
def test_the_network_uses_a_promotion_known_ahead(
    promo: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    """The same data and network with ``promo`` as a past-only feature: the target jumps
    on promotion days, which only the future-known column can foresee."""
    run_dir, frame = promo
    past_only = promo_config(tmp_path, write_csv(tmp_path / "promo.csv", frame), features=["promo"])
    ran = run_cli("train", past_only, "--quiet")
    assert ran.code == 0, ran.err
    known, unknown = (
        json.loads((run / "metrics.json").read_text())["overall"]["model"]["mase"]
        for run in (run_dir, tmp_path / "run")
    )
    assert known < 0.6 * unknown, (known, unknown)


@pytest.mark.slow
def test_a_planned_promotion_lifts_the_forecast_of_its_day(
    promo: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    run_dir, frame = promo
    plain = write_csv(tmp_path / "plain.csv", with_future(frame, [0] * HORIZON))
    third = write_csv(tmp_path / "third.csv", with_future(frame, [0, 0, 1, 0, 0, 0, 0]))
    forecasts = []
    for data in (plain, third):
        ran = run_cli("predict", run_dir, "--data", data)
        assert ran.code == 0, ran.err
        forecasts.append(pd.read_csv(pd.io.common.StringIO(ran.out))["sales"].to_numpy())
    lift = forecasts[1] - forecasts[0]
    assert lift[2] > 20, lift  # the generated lift is 40
    assert lift[2] > 4 * np.abs(np.delete(lift, 2)).max(), lift


def test_the_targets_future_never_reaches_the_network(tmp_path: Path) -> None:
    """Poison every target and past-only value after each window's origin: the network
    inputs and the offset its output is added to do not change; the promotion does."""
    frame = promo_frame(200)
    frame["price"] = np.arange(len(frame), dtype=float)
    config = load_config(
        promo_config(
            tmp_path,
            write_csv(tmp_path / "promo.csv", frame),
            features=["price"],
            future_features=["promo"],
            calendar_features=["weekday"],
        )
    )
    _, prepared = Preprocessing.fit_transform(config, load_dataset(config.data))
    windows, _ = prepared.windows("train").gather()
    assert windows.shape[1] == LOOKBACK + HORIZON
    coding = prepared.coding
    poisoned = windows.copy()
    poisoned[:, LOOKBACK:, :2] = 1e6  # sales and price over the horizon
    clean, poisoned_inputs = coding.encode(windows), coding.encode(poisoned)
    for a, b in zip(clean, poisoned_inputs, strict=True):
        np.testing.assert_array_equal(a, b)
    promo_changed = windows.copy()
    promo_changed[:, LOOKBACK:, 2] += 1.0
    assert not np.array_equal(coding.encode(promo_changed)[0], clean[0])


@settings(max_examples=40, deadline=None)
@given(
    window_norm=st.sampled_from(["none", "last", "mean"]),
    window_scale=st.sampled_from(["none", "std"]),
    baseline=st.sampled_from(["none", "naive", "seasonal_naive"]),
    poison=st.floats(-1e6, 1e6, allow_nan=False),
    row=st.integers(0, 2),
    column=st.integers(0, 1),
)
def test_no_coding_lets_a_value_after_the_origin_through(
    window_norm: str, window_scale: str, baseline: str, poison: float, row: int, column: int
) -> None:
    """Any coding, any value in a target or past-only column of a horizon row."""
    coding = WindowCoding(
        window_norm=window_norm,  # type: ignore[arg-type]
        window_scale=window_scale,  # type: ignore[arg-type]
        baseline=baseline,  # type: ignore[arg-type]
        season_length=2,
        lookback=4,
        horizon=3,
        n_targets=1,
        n_levelled=3,
        future_columns=(2, 3),
    )
    windows = np.random.default_rng(0).normal(size=(5, 7, 4)).astype(np.float32)
    changed = windows.copy()
    changed[:, 4 + row, column] = poison
    for a, b in zip(coding.encode(windows), coding.encode(changed), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (lambda f: f.iloc[:-2], ["ends at 2021-02-03 with 5 future rows", "(promo)", "add 7"]),
        (lambda f: f.iloc[:-7], ["ends at 2021-02-03 with 0 future rows"]),
        (
            lambda f: f.assign(promo=f["promo"].where(f.index != len(f) - 3)),
            ["future-known column 'promo' is empty at 2021-02-08 (line 406)"],
        ),
        (
            lambda f: f.assign(promo=f["promo"].astype(object).where(f.index != len(f) - 3, "yes")),
            ["column 'promo': non-numeric value 'yes' at line 406"],
        ),
        (
            lambda f: f.assign(day=f["day"].where(f.index != len(f) - 1, "2021-02-12")),
            ["future row at line 408 has time 2021-02-12", "step 7", "is 2021-02-10"],
        ),
    ],
    ids=["short", "none", "empty-value", "non-numeric", "off-the-grid"],
)
def test_future_rows_predict_cannot_use_are_refused_by_series_column_and_time(
    promo: tuple[Path, pd.DataFrame], tmp_path: Path, change: object, fragments: list[str]
) -> None:
    run_dir, frame = promo
    data = change(with_future(frame, [0, 1, 0, 0, 1, 0, 0]))  # type: ignore[operator]
    ran = run_cli("predict", run_dir, "--data", write_csv(tmp_path / "new.csv", data))
    assert_one_line_error(ran.code, ran.err, 2, str(tmp_path / "new.csv"), *fragments)


@pytest.mark.slow
def test_rows_beyond_the_horizon_are_left_with_a_warning(
    promo: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    run_dir, frame = promo
    longer = with_future(frame, [0] * (HORIZON + 3))
    ran = run_cli("predict", run_dir, "--data", write_csv(tmp_path / "new.csv", longer))
    assert ran.code == 0, ran.err
    assert "10 future rows after 2021-02-03; the first 7" in ran.err
    forecast = pd.read_csv(pd.io.common.StringIO(ran.out))
    assert forecast["day"].tolist() == longer["day"].iloc[DAYS : DAYS + HORIZON].tolist()


def test_a_long_format_file_names_the_series_short_of_future_rows(tmp_path: Path) -> None:
    from lstm_forecast.errors import DataError

    frames = {"a": promo_frame(60, seed=1), "b": promo_frame(60, seed=2)}
    config = load_config(
        promo_config(
            tmp_path,
            write_long_csv(tmp_path / "train.csv", frames),
            id_column="store",
            future_features=["promo"],
        )
    )
    future = {"a": with_future(frames["a"], [0] * HORIZON), "b": with_future(frames["b"], [0])}
    new = write_long_csv(tmp_path / "new.csv", future)
    with pytest.raises(DataError, match="series 'b' ends at 2020-02-29 with 1 future rows"):
        load_dataset(config.data, new, future_rows=HORIZON)
    future["b"] = with_future(frames["b"], [0] * HORIZON)
    dataset = load_dataset(config.data, write_long_csv(tmp_path / "ok.csv", future), future_rows=7)
    for series in dataset.series:
        assert len(series) == 60 and series.future is not None
        assert series.future.shape == (HORIZON, 2)
        assert np.isnan(series.future[:, 0]).all()  # the target: unknown
        np.testing.assert_array_equal(series.future[:, 1], 0.0)


@pytest.mark.slow
def test_a_warm_start_refuses_a_parent_with_other_future_features(
    promo: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    run_dir, frame = promo
    config = promo_config(tmp_path, write_csv(tmp_path / "promo.csv", frame), features=["promo"])
    ran = run_cli("train", config, "--init-from", run_dir, *sets("training.epochs=1"))
    assert_one_line_error(ran.code, ran.err, 2, "data.future_features")


@pytest.mark.slow
def test_report_without_the_future_rows_says_why_it_draws_no_forecast(
    promo: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    run_dir, _ = promo
    page = tmp_path / "r.html"
    ran = run_cli("report", run_dir, "--output", page)
    assert ran.code == 0, ran.err
    assert "No forecast after the data (the charts end with it):" in page.read_text()
