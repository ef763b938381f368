"""Accuracy benchmark: lstm-forecast's default config against naive, seasonal naive,
statsforecast's AutoETS and the tutorials' recipe, on every dataset in data/.

Protocol (the same for every model): 3 forecast origins whose horizons tile the last
3 x horizon points of each series. Neural models are trained once on the data before the
first origin (with their own validation part, in time order) and then forecast each
origin from the true history, without refitting; AutoETS refits at each origin. Metrics
per origin in original units, then averaged over the origins: MASE (scaled by the
in-sample seasonal-naive MAE with lag m on the data before the first origin), sMAPE and
RMSE. Summary: the geometric mean over datasets of MASE relative to seasonal naive.

    uv run --group bench python benchmarks/accuracy.py        # seed 42, report on stdout
    uv run --group bench python benchmarks/accuracy.py --seeds 42 7 123 \
        --output benchmarks/RESULTS.md

``--set section.key=value`` changes our config (to measure an option); without it the
shipped defaults are used, with only the data and window keys set per dataset.
``--origins K`` scores K origins instead of 3 (a longer test part, for the series long
enough to hold one).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import datetime as dt
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

if TYPE_CHECKING:  # typing only: the imports cost seconds, and run in the workers
    from lstm_forecast.config import Config
    from lstm_forecast.scoring.evaluation import SeriesForecasts
    from lstm_forecast.workflows.forecaster import TrainedForecaster

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
ORIGINS = 3  # the protocol; --origins measures others


@dataclass(frozen=True)
class Spec:
    """One benchmark series and the settings it is scored with."""

    name: str
    csv: str
    time_column: str
    target: str
    freq: str
    horizon: int
    lookback: int
    season_length: int  # m of seasonal naive and MASE
    symbol: str | None = None  # in a long-format file: the one series scored
    id_column: str | None = None  # a long-format file's series column
    folder: Path = DATA  # where ``csv`` is


# m: airline 12 and sunspots 1 as the issue sets them; elsewhere the tool's own
# `evaluation.season_length: auto` for the frequency (7 daily, 12 monthly). Stocks use a
# 6-month horizon: GOOG's 68 rows leave too little history for 3 x 12 months.
SPECS = [
    Spec("airline", "airline.csv", "month", "passengers", "MS", 12, 24, 12),
    Spec("sunspots", "sunspots.csv", "month", "sunspots", "MS", 12, 96, 1),
    Spec("seattle_temp_max", "seattle_weather.csv", "date", "temp_max", "D", 7, 28, 7),
    *(
        Spec(f"stocks_{s}", "stocks.csv", "date", "price", "MS", 6, 12, 12, s, "symbol")
        for s in ("MSFT", "AMZN", "IBM", "GOOG", "AAPL")
    ),
]


@dataclass(frozen=True)
class Result:
    mase: float
    smape: float
    rmse: float
    fit_seconds: float
    coverage: float | None = None  # share of actuals inside the model's interval, if any


@dataclass(frozen=True)
class Forecasts:
    point: np.ndarray  # (n_origins, horizon)
    fit_seconds: float
    interval: tuple[np.ndarray, np.ndarray] | None = None  # lowest and highest quantile


# A model: (values, origins, spec, seed) -> its forecasts at the origins.
Model = Callable[[np.ndarray, list[int], Spec, int], Forecasts]


def naive(y: np.ndarray, origins: list[int], spec: Spec, seed: int) -> Forecasts:
    return Forecasts(np.array([np.repeat(y[o - 1], spec.horizon) for o in origins]), 0.0)


def seasonal_naive(y: np.ndarray, origins: list[int], spec: Spec, seed: int) -> Forecasts:
    m, steps = spec.season_length, np.arange(spec.horizon)
    return Forecasts(np.array([y[o + steps - m * (steps // m + 1)] for o in origins]), 0.0)


def auto_ets(y: np.ndarray, origins: list[int], spec: Spec, seed: int) -> Forecasts:
    from statsforecast.models import AutoETS

    started = time.perf_counter()
    fits = [
        AutoETS(season_length=spec.season_length).forecast(y=y[:o], h=spec.horizon, level=[80])
        for o in origins
    ]
    seconds = time.perf_counter() - started
    # Its own 80 % prediction interval, for comparison with ours (the 10-90 % band).
    interval = (np.array([f["lo-80"] for f in fits]), np.array([f["hi-80"] for f in fits]))
    return Forecasts(np.array([f["mean"] for f in fits]), seconds, interval)


def auto_arima(y: np.ndarray, origins: list[int], spec: Spec, seed: int) -> Forecasts:
    from statsforecast.models import AutoARIMA

    started = time.perf_counter()
    fits = [
        AutoARIMA(season_length=spec.season_length).forecast(y=y[:o], h=spec.horizon)
        for o in origins
    ]
    return Forecasts(np.array([f["mean"] for f in fits]), time.perf_counter() - started)


def tutorial(y: np.ndarray, origins: list[int], spec: Spec, seed: int) -> Forecasts:
    """The recipe of the tutorials: one MinMax scaler over the series (here fit on the
    history only, to keep the comparison free of leakage), LSTM(50, relu), Dense, adam/mse,
    a fixed 100 epochs, batch 32."""
    import keras

    keras.utils.set_random_seed(seed)
    history = y[: origins[0]]
    low, high = history.min(), history.max()
    scaled = (y - low) / (high - low)
    lookback, horizon = spec.lookback, spec.horizon
    starts = np.arange(len(history) - lookback - horizon + 1)
    x = scaled[starts[:, None] + np.arange(lookback)][..., None]
    t = scaled[starts[:, None] + lookback + np.arange(horizon)]
    model = keras.Sequential(
        [
            keras.Input((lookback, 1)),
            keras.layers.LSTM(50, activation="relu"),
            keras.layers.Dense(horizon),
        ]
    )
    # XLA: the same model and training, about 2.8 x faster on this CPU (a relu LSTM cannot
    # take the cuDNN path, so Keras allows it); without it the recipe alone took 12 of the
    # 3-seed run's minutes. Its "fit s" are XLA's, ours are not (Keras refuses XLA for
    # tanh LSTMs, and turning cuDNN off to allow it made ours 3.7 x slower). Keras also
    # refuses XLA once TensorFlow's op determinism is on, which our training turns on for
    # the whole process: `main` runs the recipe in a process of its own.
    model.compile(optimizer="adam", loss="mse", jit_compile=True)
    started = time.perf_counter()
    model.fit(x, t, epochs=100, batch_size=32, verbose=0)
    seconds = time.perf_counter() - started
    inputs = np.stack([scaled[o - lookback : o] for o in origins])[..., None]
    return Forecasts(np.asarray(model(inputs, training=False)) * (high - low) + low, seconds)


def in_own_process(model: Model, pool: concurrent.futures.Executor) -> Model:
    """``model``, run in ``pool``'s worker process instead of this one."""

    def remote(y: np.ndarray, origins: list[int], spec: Spec, seed: int) -> Forecasts:
        return pool.submit(model, y, origins, spec, seed).result()

    return remote


def make_ours(overrides: Sequence[str]) -> Model:
    def ours(y: np.ndarray, origins: list[int], spec: Spec, seed: int) -> Forecasts:
        """Our shipped default config, with only the data and window keys set; trained on
        the data before the first origin (split.test covers the 3 horizons)."""
        _, fitted = fit_ours(spec, len(origins), [*overrides, f"training.seed={seed}"])
        series = our_forecasts(fitted, spec, origins)
        interval = None
        if series.quantiles is not None:
            interval = (series.quantiles[:, :, 0, 0], series.quantiles[:, :, 0, -1])
        return Forecasts(series.forecasts["model"][:, :, 0], fitted.seconds, interval)

    return ours


def fit_ours(
    spec: Spec, n_origins: int, overrides: Sequence[str], callbacks: Sequence[Any] = ()
) -> tuple[Config, TrainedForecaster]:
    """Our config for ``spec`` with ``overrides``, and the forecaster it trains on the data
    before the first of ``n_origins`` origins (``callbacks`` ride along with Keras')."""
    from lstm_forecast.config import load_config
    from lstm_forecast.data import load_dataset
    from lstm_forecast.nn.hooks import TrainingHooks
    from lstm_forecast.workflows.forecaster import train_forecaster

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{spec.name}.yaml"
        path.write_text(yaml.safe_dump(_our_config(spec, folder, n_origins)))
        config = load_config(path, overrides)
    dataset = _only_series(load_dataset(config.data), spec.symbol)
    return config, train_forecaster(config, dataset, hooks=TrainingHooks(callbacks=callbacks))


def our_forecasts(fitted: TrainedForecaster, spec: Spec, origins: list[int]) -> SeriesForecasts:
    """The series' scored forecasts of ``fitted`` at ``origins`` (every one, or an error)."""
    from lstm_forecast.scoring.evaluation import evaluate_at

    evaluation = evaluate_at(fitted.prepared, fitted.forecaster, [np.array(origins)])
    (series,) = evaluation.series
    if len(series.origins) != len(origins):
        raise RuntimeError(f"{spec.name}: only {len(series.origins)} origins scored")
    return series


def origins_for(y: np.ndarray, spec: Spec, n_origins: int = ORIGINS) -> list[int]:
    """``n_origins`` origins whose horizons tile the end of ``y``."""
    return [len(y) - (n_origins - k) * spec.horizon for k in range(n_origins)]


def _our_config(spec: Spec, folder: str, n_origins: int) -> dict[str, object]:
    data: dict[str, object] = {
        "path": str(spec.folder / spec.csv),
        "time_column": spec.time_column,
        "target": spec.target,
        "freq": spec.freq,
    }
    if spec.id_column is not None:
        data["id_column"] = spec.id_column
    return {
        "name": spec.name,
        "data": data,
        "window": {"lookback": spec.lookback, "horizon": spec.horizon},
        "split": {"test": n_origins * spec.horizon},
        "evaluation": {"season_length": spec.season_length},
        "output": {"dir": str(Path(folder) / "run")},
    }


def _only_series(dataset, symbol: str | None):  # type: ignore[no-untyped-def]
    if symbol is None:
        return dataset
    return dataclasses.replace(dataset, series=tuple(s for s in dataset.series if s.id == symbol))


def load_spec_dataset(spec: Spec):  # type: ignore[no-untyped-def]
    """``spec``'s file as our own loader reads it: its series (the one ``symbol`` names,
    or every one)."""
    from lstm_forecast.config import DataConfig
    from lstm_forecast.data import load_dataset

    config = DataConfig(
        path=spec.folder / spec.csv,
        time_column=spec.time_column,
        target=spec.target,
        freq=spec.freq,
        id_column=spec.id_column,
    )
    return _only_series(load_dataset(config), spec.symbol)


def load_values(spec: Spec) -> np.ndarray:
    """The target as our own loader reads it (same parsing and checks for every model)."""
    return load_spec_dataset(spec).series[0].values[:, 0]


def score(y: np.ndarray, predicted: Forecasts, origins: list[int], spec: Spec) -> Result:
    forecasts = np.asarray(predicted.point, dtype=np.float64)
    history = y[: origins[0]]
    m = spec.season_length
    scale = np.mean(np.abs(history[m:] - history[:-m]))
    mase, smape, rmse = [], [], []
    for forecast, origin in zip(forecasts, origins, strict=True):
        actual = y[origin : origin + spec.horizon]
        error = forecast - actual
        mase.append(np.mean(np.abs(error)) / scale)
        smape.append(100 * np.mean(2 * np.abs(error) / (np.abs(actual) + np.abs(forecast))))
        rmse.append(np.sqrt(np.mean(error**2)))
    coverage = None
    if predicted.interval is not None:
        actual = np.stack([y[o : o + spec.horizon] for o in origins])
        lower, upper = predicted.interval
        coverage = float(np.mean((actual >= lower) & (actual <= upper)))
    return Result(
        float(np.mean(mase)),
        float(np.mean(smape)),
        float(np.mean(rmse)),
        predicted.fit_seconds,
        coverage,
    )


# Models whose forecasts do not depend on the seed: fit once, reused for every seed.
SEEDLESS = {"naive", "seasonal_naive", "auto_ets", "auto_arima"}


def run(
    specs: Sequence[Spec],
    models: dict[str, Model],
    seed: int,
    seedless: dict[tuple[str, str], Result],
    n_origins: int = ORIGINS,
) -> dict[str, dict[str, Result]]:
    results: dict[str, dict[str, Result]] = {}
    for spec in specs:
        y = load_values(spec)
        origins = origins_for(y, spec, n_origins)
        results[spec.name] = {}
        for name, model in models.items():
            if (spec.name, name) in seedless:
                results[spec.name][name] = seedless[spec.name, name]
                continue
            scored = score(y, model(y, origins, spec, seed), origins, spec)
            if name in SEEDLESS:
                seedless[spec.name, name] = scored
            results[spec.name][name] = scored
            # Five digits here (three in the report): a near-tie between models is settled.
            print(f"  seed {seed} {spec.name:18} {name:15} MASE {scored.mase:.5f}", file=sys.stderr)
    return results


def geometric_mean_relative(
    results: dict[str, dict[str, Result]], model: str, baseline: str
) -> float:
    """NaN when the model's MASE is not finite on some dataset (see ``failures``)."""
    ratios = [r[model].mase / r[baseline].mase for r in results.values()]
    return float(np.exp(np.mean(np.log(ratios))))


def failures(runs: dict[int, dict[str, dict[str, Result]]], model: str) -> list[str]:
    """Where ``model`` forecast NaN or infinity (a network whose training diverged), as
    "dataset at seed N"."""
    return [
        f"{dataset} at seed {seed}"
        for seed, results in runs.items()
        for dataset, by_model in results.items()
        if not np.isfinite(by_model[model].mase)
    ]


def _spread(values: Sequence[float]) -> float:
    """Largest minus smallest; NaN when any is (max and min would skip a NaN silently)."""
    return max(values) - min(values) if np.all(np.isfinite(values)) else float("nan")


def figure(value: float) -> str:
    """A MASE or ratio for the report: "failed" rather than "nan" for a diverged model."""
    return f"{value:.3f}" if np.isfinite(value) else "failed"


def report(
    runs: dict[int, dict[str, dict[str, Result]]],
    models: Sequence[str],
    command: str,
    seconds: float,
    seed_seconds: dict[int, float],
    n_origins: int = ORIGINS,
) -> str:
    seeds = list(runs)
    first = runs[seeds[0]]
    lines = [
        "# Accuracy benchmark",
        "",
        f"Command: `{command}`  ",
        f"Run: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{seconds / 60:.1f} minutes in all ("
        + ", ".join(f"seed {s}: {t / 60:.1f}" for s, t in seed_seconds.items())
        + "; the seedless models are fit with the first seed).",
        "",
        f"Protocol: {n_origins} origins tiling the last {n_origins} x horizon points; "
        "neural models trained once before the first origin (own validation part, in time "
        "order), no refit; AutoETS refit per origin. Metrics per origin in original units, "
        "averaged.",
        "",
        "## Summary: geometric mean over datasets of MASE relative to seasonal naive",
        "",
        "| model | " + " | ".join(f"seed {s}" for s in seeds) + " | spread |",
        "|---|" + "---|" * (len(seeds) + 1),
    ]
    for model in models:
        values = [geometric_mean_relative(runs[s], model, "seasonal_naive") for s in seeds]
        lines.append(
            f"| {model} | "
            + " | ".join(figure(v) for v in values)
            + f" | {figure(_spread(values))} |"
        )
    failed = {model: failures(runs, model) for model in models}
    if any(failed.values()):
        lines += ["", "Failed: non-finite forecasts (the network's training diverged):", ""]
        lines += [f"- {model}: {', '.join(where)}" for model, where in failed.items() if where]
    lines += ["", "Relative to naive instead (for reference):", ""]
    for model in models:
        values = [geometric_mean_relative(runs[s], model, "naive") for s in seeds]
        lines.append(f"- {model}: " + ", ".join(figure(v) for v in values))
    with_intervals = [m for m in models if first[next(iter(first))][m].coverage is not None]
    if with_intervals:
        lines += [
            "",
            "10-90 % interval coverage (share of actuals inside the interval), mean over datasets:",
            "",
        ]
        for model in with_intervals:
            values = [np.mean([r[model].coverage for r in runs[s].values()]) for s in seeds]
            lines.append(f"- {model}: " + ", ".join(f"{100 * v:.1f} %" for v in values))
    lines += ["", f"## Per dataset (seed {seeds[0]}; MASE per seed for the neural models)", ""]
    for dataset, by_model in first.items():
        lines += [
            f"### {dataset}",
            "",
            "| model | MASE | sMAPE % | RMSE | fit s | 10-90 % coverage | MASE by seed |",
            "|---|---|---|---|---|---|---|",
        ]
        for model in models:
            r = by_model[model]
            by_seed = ", ".join(figure(runs[s][dataset][model].mase) for s in seeds)
            cover = "" if r.coverage is None else f"{100 * r.coverage:.0f} %"
            lines.append(
                f"| {model} | {figure(r.mase)} | {r.smape:.2f} | {r.rmse:.4g} | "
                f"{r.fit_seconds:.1f} | {cover} | {by_seed} |"
            )
        lines.append("")
    return "\n".join(lines)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text}")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42])
    parser.add_argument("--datasets", nargs="+", default=[s.name for s in SPECS])
    parser.add_argument(
        "--origins", type=_positive, default=ORIGINS, help="forecast origins per series (default 3)"
    )
    parser.add_argument(
        "--models", nargs="+", default=["ours", "tutorial", "auto_ets", "naive", "seasonal_naive"]
    )
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE"
    )
    parser.add_argument("--output", type=Path, default=None, help="write the report here")
    args = parser.parse_args()
    # One worker, started fresh (spawn), that never runs our training: see ``tutorial``.
    recipe_process = concurrent.futures.ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn")
    )
    available: dict[str, Model] = {
        "ours": make_ours(args.overrides),
        "ours_intervals": make_ours([*args.overrides, "model.quantiles=[0.1, 0.5, 0.9]"]),
        "tutorial": in_own_process(tutorial, recipe_process),
        "auto_ets": auto_ets,
        "auto_arima": auto_arima,
        "naive": naive,
        "seasonal_naive": seasonal_naive,
    }
    models = {name: available[name] for name in args.models}
    for baseline in ("naive", "seasonal_naive"):
        models.setdefault(baseline, available[baseline])
    specs = [s for s in SPECS if s.name in args.datasets]
    started = time.perf_counter()
    seedless: dict[tuple[str, str], Result] = {}
    runs: dict[int, dict[str, dict[str, Result]]] = {}
    seed_seconds: dict[int, float] = {}
    with recipe_process:
        for seed in args.seeds:
            seed_started = time.perf_counter()
            runs[seed] = run(specs, models, seed, seedless, args.origins)
            seed_seconds[seed] = time.perf_counter() - seed_started
    command = "uv run --group bench python benchmarks/accuracy.py " + " ".join(sys.argv[1:])
    text = report(
        runs,
        list(models),
        command.strip(),
        time.perf_counter() - started,
        seed_seconds,
        args.origins,
    )
    print(text)
    if args.output is not None:
        args.output.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
