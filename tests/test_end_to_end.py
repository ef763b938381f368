"""Train tiny versions of the shipped configs through the CLI, then evaluate and predict."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.bundle.layout import REQUIRED_FILES
from lstm_forecast.bundle.store import write_manifest

from .bundles import SharedBundle
from .helpers import (
    CONFIGS,
    REPO,
    TINY,
    assert_one_line_error,
    monthly_frame,
    run_cli,
    run_process,
    sets,
    train_tiny,
    write_config,
    write_csv,
    write_long_csv,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def airline(
    shared_airline: SharedBundle, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str]:
    return shared_airline.copy(tmp_path_factory.mktemp("airline")), shared_airline.out


def test_train_writes_every_bundle_file_and_prints_the_table(
    shared_airline: SharedBundle,
) -> None:
    run_dir, out = shared_airline.folder / "run", shared_airline.out
    written = {*REQUIRED_FILES, "model.onnx", "plots/loss.png", "plots/test_forecast.png"}
    for name in (*written, "manifest.json"):
        assert (run_dir / name).is_file(), name
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert set(manifest["files"]) == written
    for model in ("model", "naive", "seasonal_naive"):
        assert any(line.startswith(model + " ") for line in out.splitlines())
    assert "MAE" in out and "RMSE" in out and "sMAPE%" in out and "MASE" in out
    metadata = json.loads((run_dir / "metadata.json").read_text())
    assert metadata["schema"] == 1 and metadata["seed"] == 42 and len(metadata["data_sha256"]) == 64
    assert list(pd.read_csv(run_dir / "history.csv").columns) == [
        "member",
        "epoch",
        "loss",
        "val_loss",
    ]
    assert not list(run_dir.parent.glob(".run.staging-*"))


def test_evaluate_reproduces_the_training_metrics(airline: tuple[Path, str]) -> None:
    run_dir, train_out = airline
    code, out, _ = run_cli("evaluate", run_dir)
    assert code == 0
    assert out.strip() == train_out.strip()
    assert run_cli("evaluate", run_dir, "--data", REPO / "data" / "airline.csv")[1] == out
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert set(metrics["overall"]) == {"model", "naive", "seasonal_naive"}
    assert metrics["origins"] == 13 and metrics["season_length"] == 12


def test_predict_prints_the_next_twelve_months(airline: tuple[Path, str], tmp_path: Path) -> None:
    run_dir, _ = airline
    code, out, _ = run_cli("predict", run_dir)
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0] == "month,passengers"
    assert [line.split(",")[0] for line in lines[1:]] == [f"1961-{m:02d}" for m in range(1, 13)]
    output, plot = tmp_path / "forecast.csv", tmp_path / "forecast.png"
    code, out, _ = run_cli("predict", run_dir, "--output", output, "--plot", plot)
    assert code == 0 and out == ""
    assert output.read_text().strip().splitlines() == lines
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["forecast.csv", "forecast.png"]


def test_predict_matches_columns_by_name(airline: tuple[Path, str], tmp_path: Path) -> None:
    run_dir, _ = airline
    frame = pd.read_csv(REPO / "data" / "airline.csv")
    frame["extra"] = 1
    reordered = tmp_path / "reordered.csv"
    frame[["extra", "passengers", "month"]].to_csv(reordered, index=False)
    code, out, _ = run_cli("predict", run_dir, "--data", reordered)
    assert code == 0
    assert out == run_cli("predict", run_dir)[1]


def test_predict_reads_parquet_as_it_reads_the_csv(
    airline: tuple[Path, str], tmp_path: Path
) -> None:
    run_dir, _ = airline
    parquet = tmp_path / "airline.parquet"
    pd.read_csv(REPO / "data" / "airline.csv", dtype={"month": str}).to_parquet(parquet)
    code, out, err = run_cli("predict", run_dir, "--data", parquet)
    assert code == 0, err
    assert out == run_cli("predict", run_dir)[1]


def test_tampered_bundle_is_refused_with_exit_3(airline: tuple[Path, str], tmp_path: Path) -> None:
    tampered = tmp_path / "tampered"
    shutil.copytree(airline[0], tampered)
    path = tampered / "preprocessing.json"
    path.write_text(path.read_text().replace('"lookback": 24', '"lookback": 25'))
    ran = run_process("predict", tampered)
    assert ran.code == 3
    assert ran.out == ""
    assert ran.err.strip() == (
        f"lstm-forecast: error: {path}: SHA-256 does not match "
        "manifest.json: the file was changed after the bundle was "
        "written"
    )


def test_retraining_replaces_the_bundle_only_when_complete(
    airline: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir = tmp_path / "airline"
    shutil.copytree(airline[0], run_dir)
    before = (run_dir / "manifest.json").read_bytes()

    def broken_fit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated crash in the middle of training")

    monkeypatch.setattr("lstm_forecast.nn.training.train_member", broken_fit)
    code, _, err = run_cli("train", CONFIGS / "airline.yaml", "--set", f"output.dir={run_dir}")
    assert code == 1 and "internal error: RuntimeError" in err
    assert (run_dir / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["airline"]  # no staging left
    monkeypatch.undo()
    train_tiny("airline", run_dir, "training.seed=7")
    assert json.loads((run_dir / "metadata.json").read_text())["seed"] == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == ["airline"]


def test_stocks_forecasts_each_symbol_after_its_own_last_date(tmp_path: Path) -> None:
    run_dir = tmp_path / "stocks"
    out = train_tiny("stocks", run_dir)
    assert "GOOG" in out and "mean" in out
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert set(metrics["series"]) == {"MSFT", "AMZN", "IBM", "GOOG", "AAPL"}
    scores = metrics["series"].values()
    wins = sum(s["model"]["mase"] < s["seasonal_naive"]["mase"] for s in scores)
    assert metrics["model_beats_seasonal_naive"] == {"series": wins, "of": 5, "share": wins / 5}
    both = sum(
        s["model"]["mase"] < min(s["naive"]["mase"], s["seasonal_naive"]["mase"]) for s in scores
    )
    assert metrics["model_beats_both_naives"] == {"series": both, "of": 5, "share": both / 5}
    assert f"model beats naive and seasonal naive (MASE) on {both} of 5 series" in out
    code, out, _ = run_cli("predict", run_dir)
    assert code == 0
    forecast = pd.read_csv(pd.io.common.StringIO(out))
    history = pd.read_csv(REPO / "data" / "stocks.csv", parse_dates=["date"])
    assert list(forecast.columns) == ["symbol", "date", "price"]
    for symbol, rows in forecast.groupby("symbol"):
        last = history.loc[history.symbol == symbol, "date"].max()
        expected = pd.date_range(last, periods=13, freq="MS")[1:].strftime("%Y-%m-%d")
        assert rows["date"].tolist() == list(expected), symbol


@pytest.mark.parametrize("config", ["sunspots", "seattle_weather"])
def test_other_shipped_configs_train_evaluate_and_predict(config: str, tmp_path: Path) -> None:
    run_dir = tmp_path / config
    train_tiny(config, run_dir, "training.epochs=1")
    assert run_cli("evaluate", run_dir)[0] == 0
    code, out, _ = run_cli("predict", run_dir)
    horizon = 12 if config == "sunspots" else 7
    assert code == 0 and len(out.strip().splitlines()) == horizon + 1


@pytest.fixture(scope="module")
def sales_bundle(shared_sales: SharedBundle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_sales.copy(tmp_path_factory.mktemp("sales"))


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (
            ("--plot", "forecast.csv"),
            "--plot: a figure is written as .png, .svg, .pdf; this name ends in '.csv'",
        ),
        (("--plot", "forecast"), "this name has no suffix"),
        (
            ("--output", "forecast.xlsx"),
            "--output: the forecast is written as CSV text; this name ends in '.xlsx'",
        ),
        (("--output", "f.png", "--plot", "./f.png"), "this name ends in '.png'"),
    ],
)
def test_predict_refuses_a_plot_it_cannot_draw_before_touching_anything(
    sales_bundle: Path, tmp_path: Path, names: tuple[str, ...], message: str
) -> None:
    # A slip such as --plot forecast.csv must not overwrite yesterday's forecast with an image.
    (tmp_path / "forecast.csv").write_text("yesterday's forecast\n")
    paths = [tmp_path / n if not n.startswith("--") else n for n in names]
    code, out, err = run_cli("predict", sales_bundle, *paths)
    assert code == 2 and out == "" and message in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["forecast.csv"]
    assert (tmp_path / "forecast.csv").read_text() == "yesterday's forecast\n"


@pytest.mark.parametrize("suffix", ["svg", "pdf"])
def test_plot_format_follows_the_suffix(sales_bundle: Path, tmp_path: Path, suffix: str) -> None:
    plot = tmp_path / f"test.{suffix}"
    code, _, err = run_cli("evaluate", sales_bundle, "--plot", plot)
    assert code == 0, err
    assert plot.read_bytes()[:5] == {"svg": b"<?xml", "pdf": b"%PDF-"}[suffix]


def test_predict_needs_lookback_complete_rows(sales_bundle: Path, tmp_path: Path) -> None:
    short = write_csv(tmp_path / "short.csv", monthly_frame(11))
    code, _, err = run_cli("predict", sales_bundle, "--data", short)
    assert code == 2
    assert "needs 12 complete rows at its end to forecast from (window.lookback)" in err


def test_predict_refuses_data_of_another_frequency(sales_bundle: Path, tmp_path: Path) -> None:
    daily = monthly_frame(40)
    daily["month"] = pd.date_range("2001-01-01", periods=40, freq="D").strftime("%Y-%m-%d")
    code, _, err = run_cli("predict", sales_bundle, "--data", write_csv(tmp_path / "d.csv", daily))
    assert code == 2 and "not on the grid of frequency MS" in err


def test_predict_strict_series_refuses_a_series_it_was_not_trained_on(
    sales_bundle: Path, tmp_path: Path
) -> None:
    frame = monthly_frame(24)
    frame.insert(0, "store", "north")
    data = write_csv(tmp_path / "long.csv", frame)
    folder = tmp_path / "long"
    folder.mkdir()
    config = write_config(folder, data, data={"id_column": "store"}, split={"test": 0})
    code, _, err = run_cli("train", config, "--quiet")
    assert code == 0, err
    frame["store"] = "south"
    strict = "--strict-series"
    code, _, err = run_cli("predict", folder / "run", "--data", write_csv(data, frame), strict)
    assert code == 2
    assert "series 'south' was not in the model's training data, which held 1: 'north'" in err
    # Thousands of unknown series make one short line, not a list of every id.
    many = write_long_csv(data, {f"s{k}": frame.drop(columns="store") for k in range(2000)})
    code, _, err = run_cli("predict", folder / "run", "--data", many, strict)
    assert code == 2 and len(err.strip().splitlines()) == 1 and len(err) < 400
    assert (
        "2000 series ('s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9' and 1990 more)"
        in err
    )


def test_predict_when_the_training_csv_moved(tmp_path: Path) -> None:
    # Its own bundle: the shared one names a CSV other tests read.
    (tmp_path / "train").mkdir()
    original = write_csv(tmp_path / "train" / "sales.csv", monthly_frame(72))
    run_dir = tmp_path / "train" / "run"
    train_tiny(write_config(tmp_path / "train", original), run_dir)
    elsewhere = tmp_path / "elsewhere" / "sales.csv"
    elsewhere.parent.mkdir()
    original.rename(elsewhere)
    code, _, err = run_cli("predict", run_dir)
    assert code == 2 and "not here; pass the data with --data" in err
    code, out, _ = run_cli("predict", run_dir, "--data", elsewhere)
    assert code == 0 and len(out.splitlines()) == 7


def test_constant_series_gives_finite_forecasts(tmp_path: Path) -> None:
    frame = monthly_frame(60)
    frame["sales"] = 5.0
    config = write_config(tmp_path, write_csv(tmp_path / "c.csv", frame))
    code, out, err = run_cli("train", config, "--quiet")
    assert code == 0 and err == ""
    assert "nan" in out  # MASE is undefined when the train part never changes
    assert (
        json.loads((tmp_path / "run" / "metrics.json").read_text())["overall"]["model"]["mase"]
        is None
    )
    code, out, _ = run_cli("predict", tmp_path / "run")
    values = pd.read_csv(pd.io.common.StringIO(out))["sales"]
    assert code == 0 and values.notna().all() and (values.abs() < 1e6).all()


def test_quantiles_calendar_log_and_ensemble_together(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        write_csv(tmp_path / "s.csv", monthly_frame(72)),
        model={"quantiles": [0.1, 0.5, 0.9]},
        data={"calendar_features": ["month"]},
        preprocessing={"log": True},
        training={"ensemble": 2, "reduce_lr_patience": 1},
    )
    code, out, err = run_cli("train", config, "--quiet")
    assert code == 0, err
    assert "cover%" in out and "pinball" in out
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert 0.0 <= metrics["overall"]["model"]["coverage"] <= 1.0
    # Every interval figure has seasonal naive's band of the same levels beside it.
    code, out, _ = run_cli("evaluate", tmp_path / "run")
    header, *rows = [line.split() for line in out.splitlines()[1:5]]
    assert code == 0 and header[-4:] == ["cover%", "pinball", "MSIS", "CRPS"]
    assert [len(r) for r in rows] == [9, 5, 9]  # model, naive (no band), seasonal naive
    for name in ("model", "seasonal_naive"):
        figures = metrics["overall"][name]
        assert figures["msis"] > 0 and 0 < figures["crps"] < 1, figures
    assert "msis" not in metrics["overall"]["naive"]
    assert metrics["quantiles"] == [0.1, 0.5, 0.9]
    history = pd.read_csv(tmp_path / "run" / "history.csv")
    assert sorted(history["member"].unique()) == [0, 1]
    code, out, _ = run_cli("predict", tmp_path / "run")
    forecast = pd.read_csv(pd.io.common.StringIO(out))
    assert list(forecast.columns) == ["month", "sales", "sales_p10", "sales_p90"]
    assert len(forecast) == 6 and (forecast["sales"] > 0).all()


def test_log_needs_positive_targets(tmp_path: Path) -> None:
    frame = monthly_frame(72)
    frame.loc[30, "sales"] = 0.0
    config = write_config(
        tmp_path, write_csv(tmp_path / "s.csv", frame), preprocessing={"log": True}
    )
    code, _, err = run_cli("train", config)
    assert code == 2
    assert "'sales' is 0 at 2002-07 (line 32): preprocessing.log: true needs positive" in err


@pytest.mark.parametrize("refit", [False, True], ids=["once", "refit"])
def test_backtest_prints_folds_for_model_and_baselines(tmp_path: Path, refit: bool) -> None:
    args = [
        "backtest",
        CONFIGS / "airline.yaml",
        "--folds",
        "3",
        "--output",
        tmp_path,
        *sets(*TINY),
    ]
    code, out, err = run_cli(*args, *(["--refit"] if refit else []))
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("backtest: 3 folds x 12 steps")
    assert ("--refit" in lines[0]) == refit
    origins = {"1": "1958-01", "2": "1959-01", "3": "1960-01"}  # as airline.csv writes them
    for fold, origin in origins.items():
        for model in ("model", "naive", "seasonal_naive"):
            assert any(line.split()[:3] == [fold, origin, model] for line in lines), (fold, model)
    assert any(line.split()[:2] == ["mean", "model"] for line in lines)
    table = pd.read_csv(tmp_path / "backtest.csv")
    assert len(table) == 4 * 3  # 3 folds + mean, 3 models each
    assert (tmp_path / "backtest.png").read_bytes()[:4] == b"\x89PNG"
    # fold 1's seasonal naive is "the same month last year": check one number by hand
    y = pd.read_csv(REPO / "data" / "airline.csv")["passengers"].to_numpy(float)
    snaive = table[(table.fold == "1") & (table.model == "seasonal_naive")].iloc[0]
    assert snaive["mae"] == pytest.approx(abs(y[108:120] - y[96:108]).mean(), rel=1e-5)


def test_backtest_creates_its_default_output_folder(tmp_path: Path) -> None:
    # <output.dir>-backtest does not exist before the first backtest of a config.
    tiny = sets(*TINY, f"output.dir={tmp_path / 'runs' / 'airline'}")
    code, _, err = run_cli("backtest", CONFIGS / "airline.yaml", "--folds", "1", *tiny)
    assert code == 0, err
    folder = tmp_path / "runs" / "airline-backtest"
    assert len(pd.read_csv(folder / "backtest.csv")) == 2 * 3  # fold 1 + mean, 3 models
    assert (folder / "backtest.png").read_bytes()[:4] == b"\x89PNG"


def test_backtest_needs_room_for_its_folds(tmp_path: Path) -> None:
    code, _, err = run_cli("backtest", CONFIGS / "airline.yaml", "--folds", "9")
    assert code == 2 and "needs at least" in err


def test_a_value_a_log_model_cannot_take_is_read_as_its_floor_with_one_warning(
    sales_bundle: Path, tmp_path: Path
) -> None:
    """A 0 in tonight's data does not fail the nightly predict: it is read as half the
    smallest training value, and the warning says so and how to avoid it."""
    frame = monthly_frame(72)
    frame.loc[70, "sales"] = 0.0
    frame.loc[71, "sales"] = -1.0
    data = write_csv(tmp_path / "n.csv", frame)
    code, out, err = run_cli("predict", sales_bundle, "--data", data)
    assert code == 0, err
    assert len(out.splitlines()) == 7
    (warning,) = [line for line in err.splitlines() if "works in logs" in line]
    assert "'sales' is 0 at 2005-11 (line 72) (2 in all): the bundle works in logs" in warning
    assert "reads each as half the smallest training value (" in warning
    assert warning.endswith(
        "retrain with preprocessing.log: false to forecast values <= 0 as they are"
    )
    record = json.loads((sales_bundle / "preprocessing.json").read_text())
    floor = record["series"][0]["scaler"]["log_floor"][0]
    assert floor == pytest.approx(monthly_frame(72)["sales"].iloc[:54].min() / 2)


def test_a_bundle_without_a_floor_refuses_a_value_it_cannot_take_and_says_the_fix(
    sales_bundle: Path, tmp_path: Path
) -> None:
    """Bundles written before the floor keep refusing, now with the fix in one line."""
    old = tmp_path / "old"
    shutil.copytree(sales_bundle, old)
    path = old / "preprocessing.json"
    record = json.loads(path.read_text())
    for series in record["series"]:
        del series["scaler"]["log_floor"]
    path.write_text(json.dumps(record))
    write_manifest(old)
    frame = monthly_frame(72)
    frame.loc[70, "sales"] = -1.0
    code, _, err = run_cli("predict", old, "--data", write_csv(tmp_path / "n.csv", frame))
    assert_one_line_error(
        code,
        err,
        2,
        "'sales' is -1 at 2005-11 (line 72): the bundle works in logs (preprocessing.log) and "
        "cannot "
        "take a value <= 0; retrain with preprocessing.log: false",
    )


def test_divergence_stops_writes_nothing_and_suggests_a_fix(tmp_path: Path) -> None:
    frame = monthly_frame(60)
    frame["sales"] = np.linspace(1e18, 3e18, 60)  # unscaled, the squared error overflows
    config = write_config(
        tmp_path,
        write_csv(tmp_path / "huge.csv", frame),
        preprocessing={"scaler": "none", "log": False, "window_norm": "none"},
        model={"baseline": "none"},
        training={"epochs": 5, "loss": "mse"},  # huber grows only linearly
    )
    code, out, err = run_cli("train", config, "--quiet")
    assert code == 2 and out == ""
    assert "the training loss became inf" in err and "lower training.learning_rate" in err
    assert not (tmp_path / "run").exists()


def test_same_seed_and_data_give_identical_metrics_and_forecast_bytes(tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "sales.csv", monthly_frame(72))
    outputs = []
    for attempt in ("a", "b"):
        folder = tmp_path / attempt
        folder.mkdir()
        code, _, err = run_cli("train", write_config(folder, csv), "--quiet")
        assert code == 0, err
        forecast = folder / "forecast.csv"
        code, _, err = run_cli("predict", folder / "run", "--output", forecast)
        assert code == 0, err
        again = folder / "again.csv"
        assert run_cli("predict", folder / "run", "--output", again)[0] == 0
        assert again.read_bytes() == forecast.read_bytes()
        metrics = json.loads((folder / "run" / "metrics.json").read_text())
        outputs.append((metrics, forecast.read_bytes()))
    assert outputs[0] == outputs[1]


def test_predict_warns_when_inputs_are_far_outside_the_training_range(
    sales_bundle: Path, tmp_path: Path
) -> None:
    frame = monthly_frame(72)
    code, _, err = run_cli("predict", sales_bundle, "--data", write_csv(tmp_path / "n.csv", frame))
    assert code == 0 and "far outside" not in err
    frame.loc[71, "sales"] = 10_000.0  # the train part spans about 100 to 160
    code, out, err = run_cli(
        "predict", sales_bundle, "--data", write_csv(tmp_path / "f.csv", frame)
    )
    assert code == 0 and len(out.splitlines()) == 7
    assert "lstm-forecast: WARNING: " in err
    assert "column 'sales' has 10000 in the last 12 rows, far outside the training range" in err


def test_predict_data_missing_a_feature_column_is_refused_by_name(tmp_path: Path) -> None:
    frame = monthly_frame(72)
    frame["promo"] = np.arange(72) % 3
    csv = write_csv(tmp_path / "sales.csv", frame)
    code, _, err = run_cli(
        "train", write_config(tmp_path, csv, data={"features": ["promo"]}), "--quiet"
    )
    assert code == 0, err
    without = write_csv(tmp_path / "without.csv", frame.drop(columns="promo"))
    code, out, err = run_cli("predict", tmp_path / "run", "--data", without)
    assert code == 2 and out == ""
    assert "column 'promo' not found; the file has columns 'month', 'sales'" in err


def tensorboard_scalars(folder: Path) -> dict[str, list[float]]:
    """Every scalar in the TensorBoard event files under ``folder``, by tag."""
    import tensorflow as tf

    scalars: dict[str, list[float]] = {}
    for events in sorted(folder.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(events)):
            for value in event.summary.value:
                number = float(tf.make_ndarray(value.tensor))
                scalars.setdefault(value.tag, []).append(number)
    return scalars


def test_tensorboard_logs_losses_and_learning_rate_per_member(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    train_tiny(
        "airline",
        tmp_path / "run",
        "training.epochs=3",
        "training.ensemble=2",
        f"training.tensorboard={logs}",
        "model.baseline=seasonal_naive",  # one network (auto would train two on airline)
    )
    metadata = json.loads((tmp_path / "run" / "metadata.json").read_text())
    assert sorted(p.name for p in logs.iterdir()) == ["member_1", "member_2"]
    for member in ("member_1", "member_2"):
        train = tensorboard_scalars(logs / member / "train")
        validation = tensorboard_scalars(logs / member / "validation")
        assert len(train["epoch_loss"]) == 3 and all(np.isfinite(train["epoch_loss"]))
        assert train["epoch_learning_rate"] == pytest.approx([0.001] * 3)
        assert len(validation["epoch_loss"]) == 3
    assert "tensorboard" not in json.dumps(metadata)  # logs are not part of the bundle


def test_one_global_model_over_a_thousand_series(tmp_path: Path) -> None:
    """1,000 generated series train as one network; predict forecasts every one of them in
    one run; metrics.json has each series and the share beating seasonal naive."""
    frames = {
        f"item{k:04d}": monthly_frame(40, seed=k).assign(sales=lambda f, k=k: f.sales + k)
        for k in range(1000)
    }
    data = write_long_csv(tmp_path / "items.csv", frames, "item")
    config = write_config(
        tmp_path,
        data,
        data={"id_column": "item"},
        window={"lookback": 12, "horizon": 3},
        split={"validation": 3, "test": 6},
        training={"epochs": 1, "batch_size": 256},
    )
    code, out, err = run_cli("train", config, "--quiet")
    assert code == 0, err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert len(metrics["series"]) == 1000
    # stdout: the mean and the 10 worst series, not 3,000 lines; the bundle has them all.
    lines = out.splitlines()
    assert len(lines) <= 60, out
    assert lines[-1].endswith(
        f"the 10 series above have the highest model MASE; 990 more series: every series in "
        f"{tmp_path / 'run' / 'metrics.json'}"
    ), out
    worst = sorted(metrics["series"], key=lambda sid: -metrics["series"][sid]["model"]["mase"])
    shown = {line.split()[0] for line in lines if line.startswith("item")}
    assert shown == set(worst[:10])
    share = metrics["model_beats_seasonal_naive"]
    assert share["of"] == 1000 and share["share"] == share["series"] / 1000
    code, out, err = run_cli("predict", tmp_path / "run")
    assert code == 0, err
    forecast = pd.read_csv(pd.io.common.StringIO(out))
    assert forecast["item"].nunique() == 1000 and len(forecast) == 3000
    assert forecast.groupby("item")["month"].first().eq("2003-05").all()


def production_bundle(tmp_path: Path) -> Path:
    """A tiny bundle trained on all of 48 monthly rows (``split.test: 0``)."""
    data = write_csv(tmp_path / "sales.csv", monthly_frame(48))
    folder = tmp_path / "production"
    folder.mkdir()
    config = write_config(folder, data, split={"test": 0})
    assert run_cli("train", config, "--quiet", *sets(*TINY)).code == 0
    return folder / "run"


def test_evaluate_plot_without_a_test_part_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    run_dir = production_bundle(tmp_path)
    code, out, err = run_cli("evaluate", run_dir, "--plot", tmp_path / "test.png")
    assert code == 2 and out == ""
    assert "nothing to plot: no test origins to score (split.test is 0" in err
    assert not (tmp_path / "test.png").exists()


def test_predict_refuses_output_and_plot_that_are_one_file(
    sales_bundle: Path, tmp_path: Path
) -> None:
    (tmp_path / "forecast.csv").write_text("yesterday's forecast\n")
    (tmp_path / "forecast.png").symlink_to(tmp_path / "forecast.csv")
    code, _, err = run_cli(
        "predict",
        sales_bundle,
        "--output",
        tmp_path / "forecast.csv",
        "--plot",
        tmp_path / "forecast.png",
    )
    assert code == 2 and "--output and --plot name the same file" in err
    assert (tmp_path / "forecast.csv").read_text() == "yesterday's forecast\n"


def test_predict_data_advice_says_how_it_applies_to_a_bundle(
    sales_bundle: Path, tmp_path: Path
) -> None:
    frame = monthly_frame(36)
    frame.loc[30, "sales"] = np.nan
    data = write_csv(tmp_path / "gap.csv", frame)
    code, _, err = run_cli("predict", sales_bundle, "--data", data)
    assert code == 2
    assert "set data.missing to drop, ffill or interpolate; a bundle reads data as it was " in err
    assert "trained (its config.yaml), so fix the file, or retrain with that setting " in err
    assert "(predict takes --missing for data.missing)" in err
    # predict takes that one setting: the gap is filled and the forecast made.
    code, out, err = run_cli("predict", sales_bundle, "--data", data, "--missing", "ffill")
    assert code == 0, err
    assert len(out.strip().splitlines()) == 1 + 6
    code, _, err = run_cli("predict", sales_bundle, "--data", data, "--missing", "guess")
    assert code == 2 and "'guess' is not one of" in err


def test_predict_missing_choices_are_data_missing_values() -> None:
    from typing import get_args

    from lstm_forecast.cli.options import MISSING_POLICIES
    from lstm_forecast.config import MissingPolicy

    assert get_args(MissingPolicy) == MISSING_POLICIES


def test_a_production_bundle_is_scored_on_newer_data_with_evaluate_test(tmp_path: Path) -> None:
    run_dir = production_bundle(tmp_path)
    newer = write_csv(tmp_path / "newer.csv", monthly_frame(60))
    code, out, err = run_cli("evaluate", run_dir, "--data", newer, "--test", "12")
    assert code == 0, err
    assert out.startswith("test: 7 forecast origins x 6 steps")  # every origin in 12 rows
    code, out, err = run_cli("evaluate", run_dir, "--data", newer, "--test", "3")
    assert code == 2 and out == ""
    assert "--test 3 is shorter than the horizon (6)" in err


def test_evaluate_writes_full_precision_metrics_and_every_forecast(
    sales_bundle: Path, tmp_path: Path
) -> None:
    """The MSE a user recomputes from --forecasts is the one in --output, to 1e-9; the
    CSV form of the metrics holds the same numbers."""
    metrics, forecasts, table = tmp_path / "m.json", tmp_path / "f.csv", tmp_path / "m.csv"
    code, _, err = run_cli("evaluate", sales_bundle, "--output", metrics, "--forecasts", forecasts)
    assert code == 0, err
    written = json.loads(metrics.read_text())
    frame = pd.read_csv(forecasts)
    assert len(frame) == written["origins"] * written["horizon"] == 7 * 6
    assert list(frame.columns[:5]) == ["origin", "time", "step", "target", "actual"]
    for model in ("model", "naive", "seasonal_naive"):
        mse = float(((frame[model] - frame["actual"]) ** 2).mean())
        assert abs(mse - written["overall"][model]["mse"]) <= 1e-9 * max(mse, 1.0)
        mae = float((frame[model] - frame["actual"]).abs().mean())
        assert mae == pytest.approx(written["overall"][model]["mae"], rel=1e-12)
    assert run_cli("evaluate", sales_bundle, "--output", table).code == 0
    rows = pd.read_csv(table)
    (value,) = rows[(rows.model == "model") & (rows.metric == "mse")]["value"]
    assert value == written["overall"]["model"]["mse"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--output", "m.xlsx"), "--output: the metrics are written as .json or .csv"),
        (("--forecasts", "f.json"), "--forecasts: the forecasts are written as CSV text"),
        (("--output", "x.csv", "--forecasts", "x.csv"), "--forecasts names the same file"),
    ],
)
def test_evaluate_refuses_outputs_it_would_not_write_as_named(
    sales_bundle: Path, tmp_path: Path, args: tuple[str, ...], fragment: str
) -> None:
    paths = [str(tmp_path / a) if not a.startswith("--") else a for a in args]
    code, out, err = run_cli("evaluate", sales_bundle, *paths)
    assert_one_line_error(code, err, 2, fragment)
    assert out == "" and not list(tmp_path.iterdir())
