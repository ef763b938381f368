"""One long hourly series with the shipped defaults: how long `train` takes on a year of
hourly data, and how accurate it is against seasonal naive scored on the same test part.

    uv run python benchmarks/hourly_series.py [--rows 8760] [--set SECTION.KEY=VALUE ...]

The series is generated (seeded): a slow trend, a daily cycle whose shape differs between
weekdays and weekends, and autocorrelated noise. Lookback 168 (a week), horizon 24, the
last week as the test part (every origin in it scored), the defaults for everything else.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

TEST_ROWS = 168


def hourly_series(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    hours = pd.date_range("2025-01-01", periods=rows, freq="h")
    t = np.arange(rows)
    hour, weekend = hours.hour.to_numpy(), hours.day_of_week.to_numpy() >= 5
    daily = np.where(weekend, 6, 18) * np.sin(2 * np.pi * (hour - 6) / 24).clip(0)
    noise = np.zeros(rows)
    shocks = rng.normal(0, 2.0, rows)
    for k in range(1, rows):
        noise[k] = 0.8 * noise[k - 1] + shocks[k]
    values = 100 + 0.003 * t + daily - 4 * weekend + noise
    return pd.DataFrame({"time": hours.strftime("%Y-%m-%dT%H:%M"), "load": values.round(3)})


def config(data: Path, run_dir: Path) -> dict[str, object]:
    return {
        "name": "hourly",
        "data": {"path": str(data), "time_column": "time", "target": "load", "freq": "h"},
        "window": {"lookback": 168, "horizon": 24},
        "split": {"test": TEST_ROWS},
        "output": {"dir": str(run_dir)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=8760)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data, run_dir = Path(folder) / "hourly.csv", Path(folder) / "run"
        hourly_series(args.rows).to_csv(data, index=False)
        path = Path(folder) / "hourly.yaml"
        path.write_text(yaml.safe_dump(config(data, run_dir)), encoding="utf-8")
        sets = [part for item in args.overrides for part in ("--set", item)]
        command = [sys.executable, "-m", "lstm_forecast", "train", str(path), "--quiet", *sets]
        started = time.perf_counter()
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
        metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
        metadata = json.loads((run_dir / "metadata.json").read_text(encoding="utf-8"))
    overall = metrics["overall"]
    model, naive = overall["model"]["mase"], overall["seasonal_naive"]["mase"]
    print(f"hourly series, {args.rows} rows, lookback 168, horizon 24, {os.cpu_count()} cores")
    if args.overrides:
        print("overrides: " + " ".join(args.overrides))
    print(
        f"train (whole command) {seconds / 60:.2f} min; epochs {metadata['epochs_run']}, "
        f"best {metadata['best_epoch']}"
    )
    print(
        f"test MASE over {metrics['origins']} origins: model {model:.3f}, "
        f"seasonal naive {naive:.3f}, ratio {model / naive:.3f}"
    )


if __name__ == "__main__":
    main()
