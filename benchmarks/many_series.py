"""Many-series benchmarks, each against a baseline measured in the same run.

    uv run python benchmarks/many_series.py [--part predict|scale|all] [--repeat 3]

``predict`` (issue 5): ``lstm-forecast predict`` on a long-format file of 1,000 series
against the same bundle on a file holding 1 of them. A monthly CSV (48 rows per series)
and one small global model trained on it (not timed); predict timed as a user runs it,
a fresh process each time, start-up included; the median of ``--repeat`` runs.

``scale`` (issue 6): one global model on 10,000 series x 500 steps against 100 series x
500 steps: peak RSS of reading, preparing and training (two epochs of 50 steps, fresh
process, ``ru_maxrss``), seconds per training step (the second epoch), and predict
seconds for every series (fresh process, start-up included).
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
SCALE_ROWS = 500

TRAIN_TWO_EPOCHS = """
import resource, sys, time
from pathlib import Path
import keras
from lstm_forecast.config import load_config
from lstm_forecast.data import load_dataset
from lstm_forecast.features import Preprocessing
from lstm_forecast.nn.network import network_for
from lstm_forecast.nn.training import train_member

class EpochSeconds(keras.callbacks.Callback):
    seconds = []
    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)

config = load_config(Path(sys.argv[1]))
_, prepared = Preprocessing.fit_transform(config, load_dataset(config.data))
train = prepared.windows("train", config.window.stride)
validation = prepared.windows("validation")
timer = EpochSeconds()
network = network_for(config, prepared, len(train))
train_member(network, config.training, train, validation, prepared.coding, callbacks=[timer])
steps = config.training.steps_per_epoch
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, timer.seconds[-1] / steps)
"""


def long_format(n_series: int, rows: int = ROWS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    months = pd.date_range("2000-01", periods=rows, freq="MS").strftime("%Y-%m")
    t = np.arange(rows)
    level = rng.uniform(50, 500, size=(n_series, 1))
    season = rng.uniform(0, 0.2, size=(n_series, 1)) * np.sin(2 * np.pi * t / 12)
    values = level * (1 + 0.001 * t + season) + rng.normal(0, 2, size=(n_series, rows))
    return pd.DataFrame(
        {
            "item": np.repeat([f"item{k:05d}" for k in range(n_series)], rows),
            "month": np.tile(months, n_series),
            "sales": np.round(values.ravel(), 3),
        }
    )


def write_config(root: Path, data: Path, **training: object) -> Path:
    config = root / f"{data.stem}.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data": {"path": str(data), "time_column": "month", "target": "sales"}
                | {"id_column": "item"},
                "window": {"lookback": 12, "horizon": 6},
                "split": {"validation": 0, "test": 0},
                "model": {"layers": [16]},
                "training": {"epochs": 1} | training,
                "output": {"dir": str(root / f"run-{data.stem}")},
            }
        )
    )
    return config


def scale(repeat: int) -> None:
    """One global model on 10,000 series against 100, 500 steps each."""
    figures = {}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for n_series in (100, 10_000):
            data = root / f"series{n_series}.csv"
            long_format(n_series, SCALE_ROWS).to_csv(data, index=False)
            config = write_config(
                root, data, epochs=2, steps_per_epoch=50, early_stopping_patience=5
            )
            done = subprocess.run(
                [sys.executable, "-c", TRAIN_TWO_EPOCHS, str(config)],
                check=True,
                capture_output=True,
                text=True,
                env=quiet_env(),
            )
            peak, step_seconds = map(float, done.stdout.split()[-2:])
            subprocess.run(
                [*COMMAND, "train", str(config), "--quiet"],
                check=True,
                capture_output=True,
                env=quiet_env(),
            )
            run = str(root / f"run-{data.stem}")
            figures[n_series] = (
                peak,
                step_seconds,
                wall_seconds([*COMMAND, "predict", run], repeat),
            )
    small, large = figures[100], figures[10_000]
    print(f"one global model, {SCALE_ROWS} steps per series, {os.cpu_count()} cores")
    print(f"{'':42}{'100 series':>12}{'10,000 series':>15}{'ratio':>8}")
    rows = (
        ("peak RSS, read + train (GiB)", 0, 1 / 2**30),
        ("seconds per training step", 1, 1.0),
        (f"predict every series (s, median of {repeat})", 2, 1.0),
    )
    for name, k, unit in rows:
        print(f"{name:42}{small[k] * unit:12.3f}{large[k] * unit:15.3f}{large[k] / small[k]:8.2f}")


def predict_many(n_series: int, repeat: int) -> None:
    """Predict for ``n_series`` series against predict for one of them."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        frame = long_format(n_series)
        many, one = root / "many.csv", root / "one.csv"
        frame.to_csv(many, index=False)
        frame[frame["item"] == frame["item"].iloc[0]].to_csv(one, index=False)
        config = write_config(root, many)
        subprocess.run(
            [*COMMAND, "train", str(config), "--quiet"],
            check=True,
            capture_output=True,
            env=quiet_env(),
        )
        run = str(root / "run-many")
        seconds_one = wall_seconds([*COMMAND, "predict", run, "--data", str(one)], repeat)
        seconds_many = wall_seconds([*COMMAND, "predict", run, "--data", str(many)], repeat)
    print(f"median of {repeat} runs, {os.cpu_count()} cores, {ROWS} rows per series")
    print(f"predict, 1 series:          {seconds_one:7.3f} s")
    print(f"predict, {n_series:,} series: {seconds_many:7.3f} s")
    print(f"ratio {n_series:,} / 1:        {seconds_many / seconds_one:7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["predict", "scale", "all"], default="all")
    parser.add_argument("--series", type=int, default=1000, help="series of the predict part")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.part in ("predict", "all"):
        predict_many(args.series, args.repeat)
    if args.part in ("scale", "all"):
        scale(args.repeat)


if __name__ == "__main__":
    main()
