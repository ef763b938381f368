"""Memory: peak RSS of one training epoch on a synthetic 5,000,000-row series with lookback
256, against a process that only imports TensorFlow and holds the raw series, in the same
run. Each side runs in a fresh process and reports its own peak (``ru_maxrss``).

    uv run python benchmarks/memory.py [--rows 5000000] [--steps 50]

The epoch is what ``lstm-forecast train`` does before evaluation: read the CSV, validate,
split and scale, then fit one epoch of ``--steps`` batches (``training.steps_per_epoch``)
with the validation loss. Materialised windows would need rows x 256 float32 for the inputs
alone: 4.8 GiB at 5,000,000 rows.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from _timing import quiet_env  # benchmarks/ is on sys.path when run

HOLD_SERIES = """
import resource, sys
import numpy as np
import tensorflow as tf
series = np.random.default_rng(0).normal(size=int(sys.argv[1]))
tf.constant(series)  # TensorFlow's runtime started, as training would
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""

ONE_EPOCH = """
import resource, sys
from pathlib import Path
from lstm_forecast.config import load_config
from lstm_forecast.data import load_dataset
from lstm_forecast.features import Preprocessing
from lstm_forecast.nn.network import network_for
from lstm_forecast.nn.training import train_member

config = load_config(Path(sys.argv[1]))
_, prepared = Preprocessing.fit_transform(config, load_dataset(config.data))
train = prepared.windows("train", config.window.stride)
validation = prepared.windows("validation")
network = network_for(config, prepared, len(train))
train_member(network, config.training, train, validation, prepared.coding)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def synthetic_csv(path: Path, rows: int) -> None:
    """A minute-level series (5,000,000 minutes is about 9.5 years): daily cycle, trend, noise."""
    t = np.arange(rows)
    values = 10 + np.sin(2 * np.pi * t / 1440) + 1e-6 * t
    values += np.random.default_rng(0).normal(0, 0.2, rows)
    minutes = np.datetime64("2000-01-01T00:00") + t.astype("timedelta64[m]")
    with path.open("w") as handle:
        handle.write("time,value\n")
        for start in range(0, rows, 1_000_000):  # in chunks: the writer must stay small too
            chunk = slice(start, start + 1_000_000)
            times = np.datetime_as_string(minutes[chunk], unit="m")
            lines = np.char.add(np.char.add(times, ","), np.char.mod("%.4f", values[chunk]))
            handle.write("\n".join(lines.tolist()) + "\n")


def peak_bytes(code: str, *args: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        check=True,
        capture_output=True,
        text=True,
        env=quiet_env(),
    )
    return int(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--steps", type=int, default=50, help="batches in the epoch")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        csv = Path(folder) / "long.csv"
        synthetic_csv(csv, args.rows)
        config = Path(folder) / "long.yaml"
        config.write_text(
            f"data: {{path: {csv}, time_column: time, target: value}}\n"
            "window: {lookback: 256, horizon: 24}\n"
            f"training: {{epochs: 1, steps_per_epoch: {args.steps}}}\n"
            f"output: {{dir: {folder}/run}}\n"
        )
        baseline = peak_bytes(HOLD_SERIES, str(args.rows))
        ours = peak_bytes(ONE_EPOCH, str(config))
    gib = 1 << 30
    materialised = args.rows * 256 * 4
    print(f"{args.rows:,} rows, lookback 256, one epoch of {args.steps} batches")
    print(f"import tensorflow + hold the series: {baseline / gib:6.2f} GiB peak RSS")
    print(f"lstm-forecast, one training epoch:   {ours / gib:6.2f} GiB peak RSS")
    print(f"ratio ours / baseline:               {ours / baseline:6.2f}")
    print(f"materialised input windows alone would be {materialised / gib:.2f} GiB")


if __name__ == "__main__":
    main()
