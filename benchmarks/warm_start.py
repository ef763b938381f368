"""Warm start against training from scratch, after one more horizon of data arrives.

    uv run python benchmarks/warm_start.py [--series 40] [--rows 400] [--seed 42]

A long-format file of daily series (seeded: levels, trends and weekly profiles differ by
series, with autocorrelated noise) is cut one horizon short and trained with the defaults
(the parent). Then the whole file arrives: one training from scratch and one from the
parent's network (``training.init_from``), both scored on that last horizon, which the
parent never saw. Printed: each one's `train` seconds, epochs and mean MASE, and seasonal
naive's MASE on the same test part.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HORIZON, LOOKBACK = 14, 28


def daily_series(n_series: int, rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", periods=rows, freq="D")
    t = np.arange(rows)
    frames = []
    for k in range(n_series):
        profile = rng.normal(0, 8, 7)
        noise = np.zeros(rows)
        shocks = rng.normal(0, 3, rows)
        for i in range(1, rows):
            noise[i] = 0.7 * noise[i - 1] + shocks[i]
        level = rng.uniform(50, 500)
        values = level + rng.normal(0, 0.05) * t + profile[days.day_of_week] + noise
        frames.append(
            pd.DataFrame(
                {"store": f"s{k:03d}", "day": days.strftime("%Y-%m-%d"), "sales": values.round(2)}
            )
        )
    return pd.concat(frames)


def config(data: Path, out: Path, init_from: Path | None, seed: int) -> dict[str, object]:
    training: dict[str, object] = {"seed": seed}
    if init_from is not None:
        training["init_from"] = str(init_from)
    return {
        "name": out.name,
        "data": {"path": str(data), "time_column": "day", "target": "sales", "id_column": "store"},
        "window": {"lookback": LOOKBACK, "horizon": HORIZON},
        "split": {"test": HORIZON},
        "training": training,
        "output": {"dir": str(out)},
    }


def train(folder: Path, raw: dict[str, object]) -> tuple[float, int, float, float]:
    """Seconds of the whole training, epochs run, model MASE and seasonal naive's."""
    from lstm_forecast.config import load_config
    from lstm_forecast.workflows.train import train as run_train

    path = folder / f"{raw['name']}.yaml"
    path.write_text(yaml.safe_dump(raw))
    started = time.perf_counter()
    report = run_train(load_config(path))
    seconds = time.perf_counter() - started
    overall = report.evaluation.overall()
    return (
        seconds,
        len(report.history["loss"]),
        overall["model"]["mase"],
        overall["seasonal_naive"]["mase"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=40)
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        frame = daily_series(args.series, args.rows, args.seed)
        whole = folder / "whole.csv"
        frame.to_csv(whole, index=False)
        short = folder / "short.csv"
        cut = pd.to_datetime(frame["day"]) < pd.to_datetime(frame["day"]).max() - pd.Timedelta(
            days=HORIZON - 1
        )
        frame[cut].to_csv(short, index=False)
        parent = folder / "parent"
        train(folder, config(short, parent, None, args.seed))
        cold = train(folder, config(whole, folder / "cold", None, args.seed))
        warm = train(folder, config(whole, folder / "warm", parent, args.seed))
    print(
        f"{args.series} daily series of {args.rows} rows, lookback {LOOKBACK}, horizon "
        f"{HORIZON}; the last horizon new"
    )
    print(f"{'training':22}{'seconds':>9}{'epochs':>8}{'MASE':>8}")
    for label, (seconds, epochs, mase, _) in (("from scratch", cold), ("warm (init_from)", warm)):
        print(f"{label:22}{seconds:9.1f}{epochs:8d}{mase:8.3f}")
    print(f"{'seasonal naive':22}{'':17}{cold[3]:8.3f}")
    print(f"warm / scratch: {warm[0] / cold[0]:.2f} x the time, {warm[2] / cold[2]:.3f} x the MASE")


if __name__ == "__main__":
    main()
