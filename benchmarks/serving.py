"""How ``model.serve: auto`` chooses (issue 34): per dataset of the short-series suite and
the accuracy benchmark, the validation and test MASE of the network, of the
whole-history exponential smoothing forecast and of their mean (the network trained once,
``model.serve: network``, then each served in turn on the same origins), and the
geometric mean over datasets of MASE relative to seasonal naive that each rule would give:
the network always, the smoothing forecast always, ``auto`` at several margins (the
smoothing forecast or the mean, whichever scored lower on validation, served when at
least the margin below the network's validation MASE), and ``auto`` serving the smoothing
forecast or the mean wherever the network's validation MASE is not below that of the naive
forecast it corrects. Each dataset's row also shows both naives' validation MASE and how
many validation origins there were.

    uv run --group bench python benchmarks/serving.py                   # both suites, seed 42
    uv run --group bench python benchmarks/serving.py --suite short --seed 7
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import sys
from collections.abc import Callable

import numpy as np

# benchmarks/ is on sys.path when run
from accuracy import ORIGINS, SPECS, Forecasts, Spec, fit_ours, load_values, origins_for, score
from short_series import SINGLE

SUITES = {"short": SINGLE, "accuracy": SPECS}
SOURCES = ("network", "smoothing", "mean")
MARGINS = (0.0, 0.05, 0.1, 0.15, 0.2)


def measured(spec: Spec, seed: int) -> dict[str, dict[str, float]]:
    """Validation and test MASE of each source on ``spec`` (validation: the mean over the
    series of ``choose_served``'s figures; test: the accuracy protocol's origins)."""
    from lstm_forecast.features.served import Served
    from lstm_forecast.scoring.evaluation import evaluate_at
    from lstm_forecast.scoring.serving import choose_served

    y = load_values(spec)
    origins = origins_for(y, spec)
    _, fitted = fit_ours(spec, ORIGINS, [f"training.seed={seed}", "model.serve=network"])
    prepared = fitted.prepared
    fit = choose_served(prepared, fitted.forecaster, "smoothing")
    validation = dict(fit.validation_mase)
    validation.update(_naives_on_validation(prepared, fitted.forecaster))
    corrects = {"naive": "naive", "seasonal_naive": "seasonal naive"}.get(prepared.coding.baseline)
    if corrects is not None and corrects in validation:
        validation["baseline"] = validation[corrects]
    test = {}
    for source in SOURCES:
        served = Served(source, fit.served.models, fit.served.season)  # type: ignore[arg-type]
        at = dataclasses.replace(prepared, served=served)
        (series,) = evaluate_at(at, fitted.forecaster, [np.array(origins)]).series
        point = Forecasts(series.forecasts["model"][:, :, 0], 0.0)
        test[source] = score(y, point, origins, spec).mase
    (series,) = evaluate_at(prepared, fitted.forecaster, [np.array(origins)]).series
    test["seasonal naive"] = score(
        y, Forecasts(series.forecasts["seasonal_naive"][:, :, 0], 0.0), origins, spec
    ).mase
    return {"validation": validation, "test": test}


def _naives_on_validation(prepared: object, forecaster: object) -> dict[str, float]:
    """Validation MASE of naive and seasonal naive, and how many validation origins were
    scored (over every series): what a rule may weigh beside the sources' figures."""
    from lstm_forecast.scoring.evaluation import forecast_origins, score_forecasts
    from lstm_forecast.scoring.origins import origin_windows, scored_origins

    origins = scored_origins(prepared, prepared.validation_origins())  # type: ignore[attr-defined]
    count = sum(len(rows) for rows in origins)
    if not count:
        return {"origins": 0.0}
    windows = origin_windows(prepared, origins)  # type: ignore[arg-type]
    forecasts = forecast_origins(prepared, forecaster, origins, windows)  # type: ignore[arg-type]
    table = score_forecasts(prepared, origins, forecasts).overall()  # type: ignore[arg-type]
    return {
        "naive": table["naive"]["mase"],
        "seasonal naive": table["seasonal_naive"]["mase"],
        "origins": float(count),
    }


def chosen(validation: dict[str, float], margin: float) -> str:
    """What ``auto`` at ``margin`` serves, given the validation MASE of each source."""
    if not validation:
        return "network"
    best = min(("smoothing", "mean"), key=lambda s: validation[s])
    return best if validation[best] < (1 - margin) * validation["network"] else "network"


def unlearned(validation: dict[str, float], instead: str) -> str:
    """``auto`` at the shipped margin, but ``instead`` (smoothing or mean) wherever the
    network's validation MASE is not below that of the naive forecast it corrects."""
    baseline = validation.get("baseline", float("nan"))
    if validation and np.isfinite(baseline) and validation["network"] >= baseline:
        return instead
    return chosen(validation, 0.1)


def rules() -> list[tuple[str, Callable[[dict[str, float]], str]]]:
    """Each rule: its label and what it serves given the validation figures."""
    always = [("network always", lambda v: "network"), ("smoothing always", lambda v: "smoothing")]
    margins = [(f"auto, margin {m:g}", functools.partial(chosen, margin=m)) for m in MARGINS]
    unlearned_rules = [
        (
            f"auto, {instead} where the network is not below its baseline",
            functools.partial(unlearned, instead=instead),
        )
        for instead in ("smoothing", "mean")
    ]
    return always + margins + unlearned_rules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", choices=[*SUITES, "both"], default="both")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    suites = list(SUITES) if args.suite == "both" else [args.suite]
    for suite in suites:
        rows = {}
        for spec in SUITES[suite]:
            rows[spec.name] = measured(spec, args.seed)
            print(f"  {spec.name}: {rows[spec.name]}", file=sys.stderr)
        print(f"\nseed {args.seed}, {suite}: validation | test MASE")
        print(
            "| dataset | " + " | ".join(SOURCES) + " | test seasonal naive"
            " | validation naive / seasonal naive | validation origins |"
        )
        print("|---|" + "---|" * (len(SOURCES) + 3))
        for name, row in rows.items():
            cells = [
                f"{row['validation'].get(s, float('nan')):.3f} / {row['test'][s]:.3f}"
                for s in SOURCES
            ]
            v = row["validation"]
            naives = f"{v.get('naive', np.nan):.3f} / {v.get('seasonal naive', np.nan):.3f}"
            print(
                f"| {name} | " + " | ".join(cells) + f" | {row['test']['seasonal naive']:.3f}"
                f" | {naives} | {v.get('origins', 0):.0f} |"
            )
        print("\n| rule | geometric mean of MASE / seasonal naive | served |")
        print("|---|---|---|")
        for label, rule in rules():
            picks = [rule(r["validation"]) for r in rows.values()]
            ratios = [
                r["test"][p] / r["test"]["seasonal naive"]
                for r, p in zip(rows.values(), picks, strict=True)
            ]
            short = " ".join(p[0] for p in picks)
            print(f"| {label} | {np.exp(np.mean(np.log(ratios))):.3f} | {short} |")


if __name__ == "__main__":
    main()
