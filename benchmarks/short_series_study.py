"""Approaches for short series, measured before any ships (issue 34): what each would have
scored on the short-series suite (``short_series.py``) and on the accuracy benchmark's
datasets, on the same 3 test origins, beside the network as it ships.

``combine``: the network beside the window smoothing forecast that fits the training
windows best (naive, seasonal naive, ses, theta and their seasonal forms, each a linear
map of the window, in log units when the history is positive: what ``model.baseline``
can be), their mean, the weight of the two (0, 0.25 .. 1) that scores best on the
validation origins, and (``--folds K``) the one of network, smoothing and mean that scores
best on K earlier origins, the network retrained before each (out of sample); and
AutoETS over the whole history (refit at each origin) alone and averaged with the network.

``bootstrap``: one global model over the series and ``--copies`` moving-block-bootstrap
copies of its train part (Bergmeir, Hyndman and Benitez 2016; Bandara et al. 2021): log
when positive, a moving-average trend and mean seasonal profile, the remainder resampled
in blocks of two seasons; after the train part a copy's trend stays flat (``--extend
drift``: goes on at its slope), so no validation or test row reaches a copy. Scored on
the series itself.

    uv run --group bench python benchmarks/short_series_study.py combine --suite short
    uv run --group bench python benchmarks/short_series_study.py combine --suite accuracy --folds 3
    uv run --group bench python benchmarks/short_series_study.py bootstrap --suite short --copies 10
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

# benchmarks/ is on sys.path when run
from accuracy import (
    ORIGINS,
    SPECS,
    Forecasts,
    Spec,
    auto_ets,
    fit_ours,
    load_spec_dataset,
    load_values,
    origins_for,
    score,
)
from short_series import SINGLE

SUITES = {"short": SINGLE, "accuracy": SPECS}
SMOOTHERS = ("naive", "seasonal_naive", "ses", "theta", "seasonal_ses", "seasonal_theta")
# The columns that are test MASEs (the others say what was chosen, or on what).
SCORED = (
    "network",
    "smoothing",
    "mean",
    "weighted on validation",
    "chosen on folds",
    "AutoETS",
    "mean with AutoETS",
    "with copies",
)
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # of the network, against the smoothing forecast


@dataclasses.dataclass(frozen=True)
class Trained:
    """The network trained before ``n_before`` horizons from the end, and the smoothing
    forecast fit on the same training windows."""

    network: Callable[[list[int]], np.ndarray]  # origins -> (n, horizon), original units
    smoothing: Callable[[list[int]], np.ndarray]
    smoother: str
    validation_origins: list[int]
    train_end: int


def trained(spec: Spec, y: np.ndarray, n_before: int, seed: int) -> Trained:
    from lstm_forecast.features.baselines import (
        _fits,
        baseline_rows,
        choice_windows,
        choose_baseline,
    )
    from lstm_forecast.scoring.evaluation import evaluate_at

    lookback, horizon, m = spec.lookback, spec.horizon, spec.season_length
    _, fitted = fit_ours(spec, n_before, [f"training.seed={seed}"])
    prepared = fitted.prepared
    bounds = prepared.bounds[0]
    logged = bool(np.all(y[: bounds.validation_end] > 0))
    z = np.log(y) if logged else y
    windows = choice_windows(
        [(z[:, None], lookback, bounds.train_end - horizon)], lookback, horizon
    )
    candidates = [s for s in SMOOTHERS if _fits(s, m, lookback) and (m > 1 or "seasonal" not in s)]
    smoother, alpha = choose_baseline(windows, candidates, lookback, m)  # type: ignore[arg-type]
    rows = baseline_rows(smoother, alpha, lookback, horizon, m)

    def network(origins: list[int]) -> np.ndarray:
        evaluation = evaluate_at(prepared, fitted.forecaster, [np.array(origins)])
        return evaluation.series[0].forecasts["model"][:, :, 0]

    def smoothing(origins: list[int]) -> np.ndarray:
        forecasts = np.stack([rows @ z[o - lookback : o] for o in origins])
        return np.exp(forecasts) if logged else forecasts

    validation = [int(o) for o in prepared.validation_origins()[0]]
    return Trained(network, smoothing, smoother, validation, bounds.train_end)


def seasonal_naive_mase(y: np.ndarray, origins: list[int], spec: Spec) -> float:
    m, steps = spec.season_length, np.arange(spec.horizon)
    forecasts = np.stack([y[o + steps - m * (steps // m + 1)] for o in origins])
    return score(y, Forecasts(forecasts, 0.0), origins, spec).mase


def combine(spec: Spec, seed: int, folds: int) -> dict[str, float | str]:
    y = load_values(spec)
    test = origins_for(y, spec)

    def mase(forecasts: np.ndarray, origins: list[int]) -> float:
        return score(y, Forecasts(forecasts, 0.0), origins, spec).mase

    model = trained(spec, y, ORIGINS, seed)
    network, smoothing = model.network(test), model.smoothing(test)
    val = model.validation_origins
    val_network, val_smoothing = model.network(val), model.smoothing(val)
    on_validation = [mase(w * val_network + (1 - w) * val_smoothing, val) for w in WEIGHTS]
    weight = WEIGHTS[int(np.argmin(on_validation))]
    row: dict[str, float | str] = {
        "smoother": model.smoother,
        "validation origins": len(val),
        "validation network": mase(val_network, val),
        "validation smoothing": mase(val_smoothing, val),
        "network": mase(network, test),
        "smoothing": mase(smoothing, test),
        "mean": mase((network + smoothing) / 2, test),
        "weight": weight,
        "weighted on validation": mase(weight * network + (1 - weight) * smoothing, test),
        "seasonal naive": seasonal_naive_mase(y, test, spec),
    }
    # A statistical forecast of the whole history, not a window: AutoETS refit at each
    # origin, as accuracy.py scores it, and its mean with the network.
    ets = auto_ets(y, test, spec, seed).point
    row["AutoETS"] = mase(ets, test)
    row["mean with AutoETS"] = mase((network + ets) / 2, test)
    if folds:
        errors = {"network": 0.0, "smoothing": 0.0, "mean": 0.0}
        for k in range(1, folds + 1):
            origin = [test[0] - k * spec.horizon]
            earlier = trained(spec, y, ORIGINS + k, seed)
            truth = y[origin[0] : origin[0] + spec.horizon]
            fold_network, fold_smoothing = earlier.network(origin)[0], earlier.smoothing(origin)[0]
            errors["network"] += float(np.abs(fold_network - truth).mean())
            errors["smoothing"] += float(np.abs(fold_smoothing - truth).mean())
            errors["mean"] += float(np.abs((fold_network + fold_smoothing) / 2 - truth).mean())
        pick = min(errors, key=errors.__getitem__)
        row["fold pick"] = pick
        row["chosen on folds"] = row[pick]
    return row


def decompose(z: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trend (a centred moving average over a season, or 5 rows), mean seasonal profile,
    remainder."""
    width = m if m > 1 else 5
    kernel = (
        np.r_[0.5, np.ones(width - 1), 0.5] / width if width % 2 == 0 else np.ones(width) / width
    )
    half = len(kernel) // 2
    trend = np.convolve(z, kernel, mode="same")
    trend[:half], trend[-half:] = trend[half], trend[-half - 1]
    season = np.zeros(len(z))
    if m > 1:
        profile = np.array([(z - trend)[i::m].mean() for i in range(m)])
        season = (profile - profile.mean())[np.arange(len(z)) % m]
    return trend, season, z - trend - season


def blocks(remainder: np.ndarray, length: int, block: int, rng: np.random.Generator) -> np.ndarray:
    """``length`` rows of ``remainder`` resampled in moving blocks of ``block`` rows."""
    drawn: list[float] = []
    while len(drawn) < length + block:
        start = rng.integers(0, len(remainder) - block + 1)
        drawn.extend(remainder[start : start + block])
    offset = rng.integers(0, block)
    return np.array(drawn[offset : offset + length])


def bootstrap(spec: Spec, seed: int, copies: int, extend: str) -> dict[str, float | str]:
    from lstm_forecast.scoring.evaluation import evaluate_at

    y = load_values(spec)
    test = origins_for(y, spec)
    m = spec.season_length
    plain = trained(spec, y, ORIGINS, seed)
    history = y[: plain.train_end]  # no validation or test row reaches a copy
    logged = bool(np.all(history > 0))
    trend, season, remainder = decompose(np.log(history) if logged else history, m)
    later = np.arange(len(y) - len(history))
    # After the train part: the trend's last value, or it goes on at its mean slope over
    # the last two seasons (at least 4 rows).
    span = min(max(2 * m, 4), len(trend) - 1)
    slope = (trend[-1] - trend[-1 - span]) / span if extend == "drift" else 0.0
    trend = np.r_[trend, trend[-1] + slope * (later + 1)]
    season = np.r_[season, season[len(history) - m + later % m] if m > 1 else np.zeros(len(later))]
    rng = np.random.default_rng(seed)
    series = load_spec_dataset(spec).series[0]
    times = series.index.strftime("%Y-%m-%d")
    frames = [pd.DataFrame({"time": times, "id": "series", "value": y})]
    for copy in range(copies):
        values = trend + season + blocks(remainder, len(y), max(2 * m, 4), rng)
        frames.append(
            pd.DataFrame(
                {"time": times, "id": f"copy{copy}", "value": np.exp(values) if logged else values}
            )
        )
    with tempfile.TemporaryDirectory() as folder:
        pd.concat(frames).to_csv(Path(folder) / "long.csv", index=False)
        together = dataclasses.replace(
            spec, csv="long.csv", folder=Path(folder), time_column="time", target="value",
            id_column="id", symbol=None,
        )  # fmt: skip
        _, fitted = fit_ours(together, ORIGINS, [f"training.seed={seed}"])
    order = [str(s.id) for s in fitted.prepared.dataset.series]
    origins = [np.array(test if sid == "series" else [], dtype=int) for sid in order]
    evaluation = evaluate_at(fitted.prepared, fitted.forecaster, origins)
    (scored,) = [s for s in evaluation.series if str(s.id) == "series"]
    forecasts = Forecasts(scored.forecasts["model"][:, :, 0], 0.0)
    return {
        "network": score(y, Forecasts(plain.network(test), 0.0), test, spec).mase,
        "with copies": score(y, forecasts, test, spec).mase,
        "seasonal naive": seasonal_naive_mase(y, test, spec),
        "seconds with copies": fitted.network.seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", choices=["combine", "bootstrap"])
    parser.add_argument("--suite", choices=list(SUITES), default="short")
    parser.add_argument("--datasets", nargs="+", default=None)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--folds", type=int, default=0, help="combine: earlier origins to choose on"
    )
    parser.add_argument("--copies", type=int, default=10, help="bootstrap: copies of each series")
    parser.add_argument("--extend", choices=["flat", "drift"], default="flat", help="bootstrap")
    args = parser.parse_args()
    specs = [s for s in SUITES[args.suite] if args.datasets is None or s.name in args.datasets]
    rows = {}
    for spec in specs:
        if args.study == "combine":
            rows[spec.name] = combine(spec, args.seed, args.folds)
        else:
            rows[spec.name] = bootstrap(spec, args.seed, args.copies, args.extend)
        print(f"  {spec.name}: {rows[spec.name]}", file=sys.stderr)
    columns = [k for k, v in next(iter(rows.values())).items() if k != "seasonal naive"]
    print(f"seed {args.seed}, suite {args.suite}: geometric mean of MASE / seasonal naive's")
    for column in (c for c in columns if c in SCORED):
        ratios = [float(r[column]) / float(r["seasonal naive"]) for r in rows.values()]
        print(f"  {column:24} {np.exp(np.mean(np.log(ratios))):.3f}")
    print("\n| dataset | " + " | ".join(columns) + " | seasonal naive |")
    print("|---|" + "---|" * (len(columns) + 1))
    for name, row in rows.items():
        cells = [f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c]) for c in columns]
        print(f"| {name} | " + " | ".join(cells) + f" | {float(row['seasonal naive']):.3f} |")


if __name__ == "__main__":
    main()
