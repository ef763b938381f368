"""Many-series predict benchmark: ``lstm-forecast predict`` on a long-format file of
1,000 series against the same bundle on a file holding 1 of them, measured in the same run.

    uv run python benchmarks/many_series.py [--series 1000] [--repeat 3]

Generates a monthly long-format CSV (48 rows per series), trains one small global model
on it (not timed), then times predict as a user runs it: a fresh process each time,
start-up included; the median of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from _timing import quiet_env, wall_seconds  # benchmarks/ is on sys.path when run

COMMAND = [sys.executable, "-m", "lstm_forecast"]
ROWS = 48


def long_format(n_series: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    months = pd.date_range("2020-01", periods=ROWS, freq="MS").strftime("%Y-%m")
    t = np.arange(ROWS)
    level = rng.uniform(50, 500, size=(n_series, 1))
    season = rng.uniform(0, 0.2, size=(n_series, 1)) * np.sin(2 * np.pi * t / 12)
    values = level * (1 + 0.01 * t + season) + rng.normal(0, 2, size=(n_series, ROWS))
    return pd.DataFrame(
        {
            "item": np.repeat([f"item{k:05d}" for k in range(n_series)], ROWS),
            "month": np.tile(months, n_series),
            "sales": np.round(values.ravel(), 3),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        frame = long_format(args.series)
        many, one = root / "many.csv", root / "one.csv"
        frame.to_csv(many, index=False)
        frame[frame["item"] == frame["item"].iloc[0]].to_csv(one, index=False)
        config = root / "config.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "data": {"path": str(many), "time_column": "month", "target": "sales"}
                    | {"id_column": "item"},
                    "window": {"lookback": 12, "horizon": 6},
                    "split": {"validation": 0, "test": 0},
                    "model": {"layers": [16]},
                    "training": {"epochs": 1},
                    "output": {"dir": str(root / "run")},
                }
            )
        )
        subprocess.run(
            [*COMMAND, "train", str(config), "--quiet"],
            check=True,
            capture_output=True,
            env=quiet_env(),
        )
        run = str(root / "run")
        seconds_one = wall_seconds([*COMMAND, "predict", run, "--data", str(one)], args.repeat)
        seconds_many = wall_seconds([*COMMAND, "predict", run, "--data", str(many)], args.repeat)
    print(f"median of {args.repeat} runs, {os.cpu_count()} cores, {ROWS} rows per series")
    print(f"predict, 1 series:          {seconds_one:7.3f} s")
    print(f"predict, {args.series:,} series: {seconds_many:7.3f} s")
    print(f"ratio {args.series:,} / 1:        {seconds_many / seconds_one:7.2f}")


if __name__ == "__main__":
    main()
