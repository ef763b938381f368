"""Time and peak memory by data size (issue 38): an M5-shaped file (daily sales of N items
over 1,941 days: weekly and yearly cycles, Poisson counts, long-format Parquet), one global
model with the shipped defaults plus the data and window keys (lookback 56, horizon 28)
and a test part of one horizon, then predict and evaluate of every series; each a fresh
process, as a user runs it.

    uv run python benchmarks/scale.py --series 2000 10000 30000

Peak memory is the process's maximum resident set (``ru_maxrss``); the baseline each size
is read against is the smallest size in the same run (machines here are noisy), and
``bytes a row`` is the peak over the rows of the file. The share of series where the model
beats both naives comes from train's metrics.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from _timing import quiet_env  # benchmarks/ is on sys.path when run

DAYS = 1941  # M5's days
COMMAND = [sys.executable, "-m", "lstm_forecast"]
# Runs a command and prints its wall seconds and its peak RSS in bytes (Linux: KiB units).
MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
seconds = time.perf_counter() - start
if done.returncode:
    sys.exit(done.stderr[-2000:])
print(seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
"""


def m5_like(n_series: int, seed: int = 0) -> pd.DataFrame:
    """``n_series`` items x ``DAYS`` days of Poisson sales with weekly and yearly cycles."""
    rng = np.random.default_rng(seed)
    days = np.arange(DAYS)
    level = rng.lognormal(0.5, 1.0, size=(n_series, 1))
    weekly = 1 + rng.uniform(0.1, 0.4, (n_series, 1)) * np.sin(2 * np.pi * days / 7)
    yearly = 1 + rng.uniform(0.0, 0.3, (n_series, 1)) * np.sin(2 * np.pi * days / 365.25)
    sales = rng.poisson(level * weekly * yearly).astype(np.float32)
    dates = pd.date_range("2011-01-29", periods=DAYS, freq="D")
    return pd.DataFrame(
        {
            "item": pd.Categorical.from_codes(
                np.repeat(np.arange(n_series), DAYS), [f"item_{k:06d}" for k in range(n_series)]
            ),
            "day": np.tile(dates.to_numpy(), n_series),
            "sales": sales.ravel(),
        }
    )


def m5_config(data: Path, freq: str | None = None, **training: object) -> dict[str, object]:
    """The config every M5-shaped benchmark trains: one global model with the shipped
    defaults plus the data and window keys, a test part of one horizon, and ``training``."""
    return {
        "data": {
            **({"freq": freq} if freq else {}),
            "path": str(data),
            "time_column": "day",
            "target": "sales",
            "id_column": "item",
            # M5's size is over the default caps, which guard a cron job's machine.
            "max_rows": None,
            "max_file_mb": None,
        },
        "window": {"lookback": 56, "horizon": 28},
        "split": {"test": 28},  # one horizon scored: the share beating both naives
        **({"training": training} if training else {}),
    }


def measure(argv: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of ``argv`` in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *argv], capture_output=True, text=True, env=quiet_env()
    )
    if done.returncode:
        raise SystemExit(f"{' '.join(argv[2:4])} failed: {done.stderr.strip()}")
    seconds, peak = done.stdout.split()
    return float(seconds), int(peak)


def run_size(n_series: int, folder: Path) -> dict[str, float]:
    data = folder / f"m5_{n_series}.parquet"
    m5_like(n_series).to_parquet(data, index=False)
    config = folder / f"m5_{n_series}.yaml"
    run_dir = folder / f"run_{n_series}"
    settings = {"name": f"m5_{n_series}", **m5_config(data), "output": {"dir": str(run_dir)}}
    config.write_text(yaml.safe_dump(settings))
    train_s, train_peak = measure([*COMMAND, "train", str(config), "--quiet"])
    out = folder / f"forecast_{n_series}.csv"
    predict_s, predict_peak = measure([*COMMAND, "predict", str(run_dir), "--output", str(out)])
    evaluate_s, evaluate_peak = measure([*COMMAND, "evaluate", str(run_dir)])
    metrics = json.loads((run_dir / "metrics.json").read_text())
    beats = (metrics.get("model_beats_both_naives") or {}).get("share")
    beats = float("nan") if beats is None else beats
    rows = n_series * DAYS
    return {
        "series": n_series,
        "rows": rows,
        "train_s": train_s,
        "train_gib": train_peak / 2**30,
        "train_bytes_a_row": train_peak / rows,
        "predict_s": predict_s,
        "predict_gib": predict_peak / 2**30,
        "evaluate_s": evaluate_s,
        "evaluate_gib": evaluate_peak / 2**30,
        "beats_both": beats,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, nargs="+", default=[2000, 10000])
    args = parser.parse_args()
    print(
        "| series | rows | train | train peak | bytes a row | predict | predict peak | "
        "evaluate | evaluate peak | beats both naives | train peak / smallest's |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|", flush=True)
    smallest = None
    with tempfile.TemporaryDirectory() as folder:
        for n in sorted(args.series):
            started = time.perf_counter()
            r = run_size(n, Path(folder))
            smallest = smallest or r["train_gib"]
            print(
                f"| {r['series']:,} | {r['rows'] / 1e6:.1f} M | {r['train_s']:.0f} s | "
                f"{r['train_gib']:.2f} GiB | {r['train_bytes_a_row']:.0f} | "
                f"{r['predict_s']:.1f} s | {r['predict_gib']:.2f} GiB | "
                f"{r['evaluate_s']:.1f} s | {r['evaluate_gib']:.2f} GiB | "
                f"{r['beats_both']:.0%} | {r['train_gib'] / smallest:.2f} |",
                flush=True,
            )
            print(f"  {n} series done in {time.perf_counter() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
