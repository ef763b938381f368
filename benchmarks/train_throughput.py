"""Training throughput: windows per second of lstm-forecast's input pipeline (windows
gathered by index, batch by batch) against a plain Keras script that fits the same network
on the same windows materialised as numpy arrays (``model.fit(x, y)``), in the same run.

    uv run python benchmarks/train_throughput.py [--epochs 3]

Datasets: sunspots (the shipped config's window) and a synthetic hourly series of 50,000 steps.
The first epoch of each (graph tracing) is not counted.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parents[1]


def epoch_seconds(fit_one_epoch, epochs: int) -> float:  # type: ignore[no-untyped-def]
    fit_one_epoch()  # tracing and warm-up
    started = time.perf_counter()
    for _ in range(epochs):
        fit_one_epoch()
    return (time.perf_counter() - started) / epochs


def measure(config_path: Path, overrides: list[str], epochs: int) -> tuple[int, float, float]:
    import keras

    from lstm_forecast.config import load_config
    from lstm_forecast.data import load_dataset
    from lstm_forecast.prepare import part_windows, prepare
    from lstm_forecast.train import network_for, window_dataset

    config = load_config(config_path, overrides)
    prepared = prepare(config, load_dataset(config.data))
    train = part_windows(config, prepared, "train")
    batch = config.training.batch_size

    def network() -> keras.Model:
        keras.utils.set_random_seed(0)
        model = network_for(config, prepared)
        model.compile(optimizer="adam", loss=config.training.loss)
        return model

    ours = network()
    dataset = window_dataset(train, prepared.coding, batch, shuffle_seed=0)
    ours_seconds = epoch_seconds(
        lambda: ours.fit(dataset, epochs=1, shuffle=False, verbose=0), epochs
    )

    raw_inputs, targets = train.gather()
    x, offset = prepared.coding.encode(raw_inputs)
    y = (targets - offset).astype(np.float32)
    plain = network()
    plain_seconds = epoch_seconds(
        lambda: plain.fit(x, y, batch_size=batch, epochs=1, shuffle=True, verbose=0), epochs
    )
    return len(train), ours_seconds, plain_seconds


def synthetic_csv(folder: Path, steps: int = 50_000) -> Path:
    import pandas as pd

    rng = np.random.default_rng(0)
    t = np.arange(steps)
    values = 10 + np.sin(2 * np.pi * t / 24) + 0.001 * t + rng.normal(0, 0.3, steps)
    times = pd.date_range("2000-01-01", periods=steps, freq="h")
    path = folder / "synthetic.csv"
    pd.DataFrame({"time": times.strftime("%Y-%m-%dT%H:%M:%S"), "value": values}).to_csv(
        path, index=False
    )
    return path


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        csv = synthetic_csv(Path(folder))
        config = Path(folder) / "synthetic.yaml"
        config.write_text(
            f"data: {{path: {csv}, time_column: time, target: value}}\n"
            "window: {lookback: 48, horizon: 24}\nsplit: {validation: 0.1, test: 0}\n"
            f"output: {{dir: {folder}/run}}\n"
        )
        cases = {
            "sunspots": (REPO / "configs" / "sunspots.yaml", []),
            "synthetic 50,000 steps": (config, []),
        }
        print(f"{os.cpu_count()} cores; mean of {args.epochs} epochs after one warm-up epoch")
        print(f"{'dataset':26} {'windows':>8} {'ours w/s':>10} {'plain w/s':>10} {'ratio':>6}")
        for name, (path, overrides) in cases.items():
            windows, ours, plain = measure(path, overrides, args.epochs)
            print(
                f"{name:26} {windows:8d} {windows / ours:10.0f} {windows / plain:10.0f} "
                f"{plain / ours:6.2f}"
            )


if __name__ == "__main__":
    main()
