"""The short-series suite of the accuracy benchmark: the files of
``../shared/datasets/short_series/`` (its README), the kind of series most forecasting is
done on (60 to 240 rows), scored as ``accuracy.py`` scores (3 origins tiling the last
3 horizons, the network trained once before the first origin, MASE scaled by seasonal
naive's in-sample error) against naive, seasonal naive, and statsforecast's AutoETS and
AutoARIMA refit at each origin.

Each single series is one dataset; the multi-series tourism file (96 series of 36
quarters) is one global model, scored per series and averaged. Horizons: 12 monthly,
8 quarterly, 6 annual, 10 for the Box & Jenkins index; tourism 4 (3 x 8 quarters would
leave 12 of its 36 for training). Lookbacks are the ones ``init`` drafts for each file.

    uv run --group bench python benchmarks/short_series.py                 # seed 42
    uv run --group bench python benchmarks/short_series.py --seeds 42 7 123

``--set section.key=value`` changes our config, as in ``accuracy.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Sequence

import numpy as np

# benchmarks/ is on sys.path when run
from accuracy import (
    ORIGINS,
    REPO,
    Forecasts,
    Model,
    Result,
    Spec,
    auto_arima,
    auto_ets,
    fit_ours,
    load_spec_dataset,
    make_ours,
    naive,
    origins_for,
    run,
    score,
    seasonal_naive,
)

SHORT = REPO.parent / "shared" / "datasets" / "short_series"

# name, file, time column, target, frequency, horizon, lookback (init's), season length
SINGLE = [
    Spec("nottem", "nottem.csv", "month", "temp_f", "MS", 12, 24, 12, folder=SHORT),
    Spec(
        "monthly_milk",
        "monthly_milk.csv",
        "month",
        "pounds_per_cow",
        "MS",
        12,
        24,
        12,
        folder=SHORT,
    ),
    Spec(
        "ice_cream_heater",
        "ice_cream_heater.csv",
        "month",
        "heater",
        "MS",
        12,
        24,
        12,
        folder=SHORT,
    ),
    Spec("johnson_johnson", "johnson_johnson.csv", "quarter", "eps", "QS", 8, 16, 4, folder=SHORT),
    Spec("austres", "austres.csv", "quarter", "residents_thousands", "QS", 8, 16, 4, folder=SHORT),
    Spec("woolyrnq", "woolyrnq.csv", "quarter", "tonnes", "QS", 8, 16, 4, folder=SHORT),
    Spec("lake_huron", "lake_huron.csv", "year", "level_ft", "YS", 6, 24, 1, folder=SHORT),
    Spec("nhtemp", "nhtemp.csv", "year", "temp_f", "YS", 6, 12, 1, folder=SHORT),
    # An index without a calendar (written as days): no season.
    Spec("bjsales", "bjsales.csv", "day", "sales", "D", 10, 28, 1, folder=SHORT),
]
TOURISM = Spec(
    "australian_tourism", "australian_tourism_long.csv", "quarter", "trips", "QS", 4, 4, 4,
    id_column="region", folder=SHORT,
)  # fmt: skip
SEEDLESS = ("naive", "seasonal_naive", "auto_ets", "auto_arima")
BASELINES: dict[str, Model] = {
    "naive": naive,
    "seasonal_naive": seasonal_naive,
    "auto_ets": auto_ets,
    "auto_arima": auto_arima,
}


def series_values(spec: Spec) -> dict[str, np.ndarray]:
    """Every series of a long-format file, by id, as our loader reads them."""
    return {str(s.id): s.values[:, 0] for s in load_spec_dataset(spec).series}


def mean_result(results: Sequence[Result]) -> Result:
    """The mean over series (as ``evaluate`` averages them); fit seconds summed."""
    return Result(
        float(np.mean([r.mase for r in results])),
        float(np.mean([r.smape for r in results])),
        float(np.mean([r.rmse for r in results])),
        float(np.sum([r.fit_seconds for r in results])),
    )


def run_global(
    spec: Spec, overrides: Sequence[str], seed: int, seedless: dict[tuple[str, str], Result]
) -> dict[str, Result]:
    """One network over every series of ``spec``'s file, and each baseline per series."""
    from lstm_forecast.scoring.evaluation import evaluate_at

    values = series_values(spec)
    origins = {sid: origins_for(y, spec) for sid, y in values.items()}
    _, fitted = fit_ours(spec, ORIGINS, [*overrides, f"training.seed={seed}"])
    order = [str(s.id) for s in fitted.prepared.dataset.series]
    evaluation = evaluate_at(
        fitted.prepared, fitted.forecaster, [np.array(origins[sid]) for sid in order]
    )
    ours = []
    for series in evaluation.series:
        sid = str(series.id)
        if len(series.origins) != ORIGINS:
            raise RuntimeError(f"{spec.name} {sid}: only {len(series.origins)} origins scored")
        point = Forecasts(series.forecasts["model"][:, :, 0], 0.0)
        ours.append(score(values[sid], point, origins[sid], spec))
    results = {"ours": dataclasses.replace(mean_result(ours), fit_seconds=fitted.seconds)}
    for name, model in BASELINES.items():
        if (spec.name, name) not in seedless:
            per_series = [
                score(y, model(y, origins[sid], spec, seed), origins[sid], spec)
                for sid, y in values.items()
            ]
            seedless[spec.name, name] = mean_result(per_series)
        results[name] = seedless[spec.name, name]
    for name, result in results.items():
        print(f"  seed {seed} {spec.name:18} {name:15} MASE {result.mase:.5f}", file=sys.stderr)
    return results


def geometric_mean(ratios: Sequence[float]) -> float:
    return float(np.exp(np.mean(np.log(ratios))))


def report(runs: dict[int, dict[str, dict[str, Result]]], single: Sequence[str]) -> str:
    """The summary over the single series, then a table by file with each acceptance
    bound: the 3-seed mean of ours against 1.05 x the better of the two naives."""
    seeds = list(runs)
    models = ["ours", *SEEDLESS]
    lines = [
        "## Geometric mean over the single series of MASE relative to seasonal naive",
        "",
        "| model | " + " | ".join(f"seed {s}" for s in seeds) + " | mean |",
        "|---|" + "---|" * (len(seeds) + 1),
    ]
    for model in models:
        values = [
            geometric_mean(
                [runs[s][d][model].mase / runs[s][d]["seasonal_naive"].mase for d in single]
            )
            for s in seeds
        ]
        lines.append(
            f"| {model} | " + " | ".join(f"{v:.3f}" for v in values) + f" | {np.mean(values):.3f} |"
        )
    lines += [
        "",
        "## MASE by file (ours: mean over the seeds; bound: 1.05 x the better naive)",
        "",
        "| file | ours | by seed | naive | seasonal naive | AutoETS | AutoARIMA | bound | within |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    first = runs[seeds[0]]
    for dataset in first:
        ours = [runs[s][dataset]["ours"].mase for s in seeds]
        row = first[dataset]
        bound = 1.05 * min(row["naive"].mase, row["seasonal_naive"].mase)
        lines.append(
            f"| {dataset} | {np.mean(ours):.3f} | "
            + " / ".join(f"{v:.3f}" for v in ours)
            + f" | {row['naive'].mase:.3f} | {row['seasonal_naive'].mase:.3f} | "
            f"{row['auto_ets'].mase:.3f} | {row['auto_arima'].mase:.3f} | {bound:.3f} | "
            f"{'yes' if np.mean(ours) <= bound else 'no'} |"
        )
    fit = [runs[s][d]["ours"].fit_seconds for s in seeds for d in first]
    lines += ["", f"ours: training {np.median(fit):.1f} s median, {max(fit):.1f} s at most"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42])
    names = [s.name for s in (*SINGLE, TOURISM)]
    parser.add_argument("--datasets", nargs="+", default=names, choices=names)
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE"
    )
    args = parser.parse_args()
    single = [s for s in SINGLE if s.name in args.datasets]
    models: dict[str, Model] = {"ours": make_ours(args.overrides), **BASELINES}
    started = time.perf_counter()
    seedless: dict[tuple[str, str], Result] = {}
    runs: dict[int, dict[str, dict[str, Result]]] = {}
    for seed in args.seeds:
        runs[seed] = run(single, models, seed, seedless)
        if TOURISM.name in args.datasets:
            runs[seed][TOURISM.name] = run_global(TOURISM, args.overrides, seed, seedless)
    command = "uv run --group bench python benchmarks/short_series.py " + " ".join(sys.argv[1:])
    print(f"Command: `{command.strip()}`; {(time.perf_counter() - started) / 60:.1f} minutes\n")
    print(report(runs, [s.name for s in single]))


if __name__ == "__main__":
    main()
