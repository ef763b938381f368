"""M4 hourly benchmark: one global model over the competition's 414 hourly series, trained
and run through the CLI (``train`` then ``predict``, long format), scored with the
competition's own definitions beside seasonal naive computed in the same run and the
published leaderboard.

    uv run python benchmarks/m4.py                      # all 414 series: the run that counts
    uv run python benchmarks/m4.py --series 40          # a subset, for quick iteration
    uv run python benchmarks/m4.py --baselines-only     # check the metric code, no training
    uv run python benchmarks/m4.py --set training.steps_per_epoch=300 --set training.epochs=60

Our config is the shipped defaults plus only the data, window (lookback 168, horizon 48)
and season (24) keys, a validation part of one horizon and no test part; ``--set`` changes
it. sMAPE and MASE (season 24, scaled by each series' in-sample mean absolute seasonal
difference) are averaged over the series; OWA divides each by Naive2's published hourly
figures. Seasonal naive must come out at the published 13.912 / 1.193 on all 414 series,
which checks the scoring.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "datasets" / "m4_hourly"
HORIZON, SEASON, LOOKBACK = 48, 24, 168
NAIVE2 = {"smape": 18.383, "mase": 2.395}  # the competition's Naive2, hourly
START = pd.Timestamp("2000-01-01")  # the files carry no dates; any regular start will do


@dataclass(frozen=True)
class Scores:
    smape: float
    mase: float

    @property
    def owa(self) -> float:
        return (self.smape / NAIVE2["smape"] + self.mase / NAIVE2["mase"]) / 2


def read_series(path: Path) -> dict[str, np.ndarray]:
    """Series id -> its values, from the competition's wide file (rows of unequal length)."""
    series = {}
    with path.open(newline="") as handle:
        rows = csv.reader(handle)
        next(rows)  # V1, V2, ...
        for row in rows:
            series[row[0]] = np.array([float(v) for v in row[1:] if v != ""])
    return series


def score(train: dict[str, np.ndarray], test: dict[str, np.ndarray], forecast: dict) -> Scores:
    """The competition's sMAPE and MASE, each the mean over the series."""
    smapes, mases = [], []
    for sid, actual in test.items():
        predicted = np.asarray(forecast[sid], dtype=np.float64)
        history = train[sid]
        smapes.append(
            np.mean(200 * np.abs(actual - predicted) / (np.abs(actual) + np.abs(predicted)))
        )
        scale = np.mean(np.abs(history[SEASON:] - history[:-SEASON]))
        mases.append(np.mean(np.abs(actual - predicted)) / scale)
    return Scores(float(np.mean(smapes)), float(np.mean(mases)))


def seasonal_naive(train: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The last day repeated over the horizon."""
    return {sid: np.resize(values[-SEASON:], HORIZON) for sid, values in train.items()}


def write_long_csv(train: dict[str, np.ndarray], path: Path) -> None:
    frames = [
        pd.DataFrame(
            {
                "series": sid,
                "time": pd.date_range(START, periods=len(values), freq="h").strftime(
                    "%Y-%m-%dT%H:%M"
                ),
                "value": values,
            }
        )
        for sid, values in train.items()
    ]
    pd.concat(frames).to_csv(path, index=False)


def our_config(data: Path, run_dir: Path) -> dict:
    return {
        "name": "m4_hourly",
        "data": {
            "path": str(data),
            "time_column": "time",
            "target": "value",
            "id_column": "series",
            "freq": "h",
        },
        "window": {"lookback": LOOKBACK, "horizon": HORIZON},
        "split": {"validation": HORIZON, "test": 0},
        "evaluation": {"season_length": SEASON},
        "output": {"dir": str(run_dir)},
    }


def lstm_forecast(*args: str) -> None:
    command = [sys.executable, "-m", "lstm_forecast", *args]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)


def ours(train: dict[str, np.ndarray], overrides: list[str], folder: Path) -> tuple[dict, dict]:
    """Train and predict through the CLI; the forecasts and what the training cost."""
    data, run_dir = folder / "m4_hourly.csv", folder / "run"
    write_long_csv(train, data)
    config = folder / "m4_hourly.yaml"
    config.write_text(yaml.safe_dump(our_config(data, run_dir)), encoding="utf-8")
    sets = [part for item in overrides for part in ("--set", item)]
    started = time.perf_counter()
    lstm_forecast("train", str(config), "--quiet", *sets)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # bytes on Linux
    metadata = json.loads((run_dir / "metadata.json").read_text(encoding="utf-8"))
    output = folder / "forecast.csv"
    lstm_forecast("predict", str(run_dir), "--output", str(output))
    frame = pd.read_csv(output)
    forecast = {sid: rows["value"].to_numpy() for sid, rows in frame.groupby("series")}
    bands = None
    if {"value_p10", "value_p90"} <= set(frame.columns):
        bands = {
            sid: (rows["value_p10"].to_numpy(), rows["value_p90"].to_numpy())
            for sid, rows in frame.groupby("series")
        }
    return forecast, {
        "seconds": seconds,
        "peak_gib": peak / 2**30,
        "bands": bands,
        "epochs": f"epochs {metadata['epochs_run']}, best {metadata['best_epoch']}",
    }


def coverage(test: dict[str, np.ndarray], bands: dict) -> float:
    inside = [((a >= bands[s][0]) & (a <= bands[s][1])).mean() for s, a in test.items()]
    return float(np.mean(inside))


def neighbours(owa: float, leaderboard: pd.DataFrame) -> pd.DataFrame:
    """The published rows just better and just worse than ``owa``."""
    better = leaderboard[leaderboard["owa"] <= owa].tail(1)
    worse = leaderboard[leaderboard["owa"] > owa].head(1)
    return pd.concat([better, worse])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DATA)
    parser.add_argument("--series", type=int, default=None, help="the first N series only")
    parser.add_argument("--baselines-only", action="store_true", help="no training")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    train = read_series(args.data_dir / "Hourly-train.csv")
    test = read_series(args.data_dir / "Hourly-test.csv")
    if args.series is not None:
        train = dict(list(train.items())[: args.series])
        test = {sid: test[sid] for sid in train}
    leaderboard = pd.read_csv(args.data_dir / "leaderboard.csv").sort_values("owa")
    rows = {"seasonal naive": (score(train, test, seasonal_naive(train)), "")}
    if not args.baselines_only:
        with tempfile.TemporaryDirectory() as folder:
            forecast, cost = ours(train, args.overrides, Path(folder))
        extra = (
            f"train {cost['seconds'] / 60:.1f} min, peak RSS {cost['peak_gib']:.2f} GiB, "
            + cost["epochs"]
        )
        if cost["bands"] is not None:
            extra += f", 10-90 % coverage {100 * coverage(test, cost['bands']):.1f} %"
        rows["lstm-forecast"] = (score(train, test, forecast), extra)
    print(f"M4 hourly, {len(train)} series, horizon {HORIZON}, {os.cpu_count()} cores")
    if args.overrides:
        print("overrides: " + " ".join(args.overrides))
    print(f"{'model':16}{'sMAPE':>8}{'MASE':>8}{'OWA':>8}")
    for name, (scores, extra) in rows.items():
        print(f"{name:16}{scores.smape:8.3f}{scores.mase:8.3f}{scores.owa:8.4f}  {extra}")
    if "lstm-forecast" in rows and len(train) == 414:
        print("published neighbours:")
        for row in neighbours(rows["lstm-forecast"][0].owa, leaderboard).itertuples():
            figures = f"{row.smape:8.3f}{row.mase:8.3f}{row.owa:8.4f}"
            print(f"  {row.method!s:>14} {row.team[:40]:40} {figures}")


if __name__ == "__main__":
    main()
