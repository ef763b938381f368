"""Training throughput: windows per second of lstm-forecast's training (``train.fit``: windows
gathered by index in tf.data, batch by batch, with every callback it sets) against a plain
Keras script that fits the same network, with the same optimizer and loss, on the same
windows materialised as numpy arrays (``model.fit(x, y)``), in the same run.

    uv run python benchmarks/train_throughput.py [--epochs 1] [--rounds 3]

Datasets: sunspots (the shipped config's window) and a synthetic hourly series of 50,000 steps.
Epochs that trace the graph are not counted; the two sides alternate, so that a slow spell
of a noisy machine slows both.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parents[1]


def measure(config_path: Path, epochs: int, rounds: int) -> tuple[int, float, float]:
    """Windows, and the median seconds per epoch (tracing epochs left out) of ``train.fit``
    (with every callback it sets) and of ``model.fit(x, y)`` on the same network."""
    import keras

    from lstm_forecast.config import load_config
    from lstm_forecast.data import load_dataset
    from lstm_forecast.features import Preprocessing
    from lstm_forecast.nn.epochs import batch_size_for
    from lstm_forecast.nn.network import network_for
    from lstm_forecast.nn.training import train_member

    config = load_config(config_path)
    _, prepared = Preprocessing.fit_transform(config, load_dataset(config.data))
    train = prepared.windows("train", config.window.stride)
    training = config.training.model_copy(
        update={"epochs": 1 + epochs, "early_stopping_patience": 1 + epochs}
    )

    class EpochSeconds(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.seconds: list[float] = []

        def on_epoch_begin(self, epoch: int, logs: object = None) -> None:
            self._started = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: object = None) -> None:
            self.seconds.append(time.perf_counter() - self._started)

    def network() -> keras.Model:
        keras.utils.set_random_seed(0)
        return network_for(config, prepared, len(train))

    raw_inputs, targets = train.gather()
    x, offset, scale = prepared.coding.encode(raw_inputs)
    y = prepared.coding.targets(targets, offset, scale)
    plain_model = network()
    plain_model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=training.learning_rate),
        loss=training.loss,
    )
    ours_seconds: list[float] = []
    plain_seconds: list[float] = []
    # Alternate the two, so that a slow spell of a noisy machine hits both.
    for round_ in range(rounds):
        ours = EpochSeconds()
        train_member(network(), training, train, None, prepared.coding, callbacks=[ours])
        ours_seconds += ours.seconds[1:]  # each fit compiles afresh: its first epoch traces
        plain = EpochSeconds()
        plain_model.fit(
            x,
            y,
            batch_size=batch_size_for(training, len(train)),
            epochs=epochs + (round_ == 0),
            shuffle=True,
            verbose=0,
            callbacks=[plain],
        )
        plain_seconds += plain.seconds[1:] if round_ == 0 else plain.seconds
    return len(train), statistics.median(ours_seconds), statistics.median(plain_seconds)


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
    parser.add_argument("--epochs", type=int, default=1, help="measured epochs per round")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the two")
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
            "sunspots": REPO / "configs" / "sunspots.yaml",
            "synthetic 50,000 steps": config,
        }
        print(
            f"{os.cpu_count()} cores; median epoch of {args.rounds} alternating rounds of "
            f"{args.epochs} epoch(s) each, tracing epochs left out"
        )
        print(f"{'dataset':26} {'windows':>8} {'ours w/s':>10} {'plain w/s':>10} {'ratio':>6}")
        for name, path in cases.items():
            windows, ours, plain = measure(path, args.epochs, args.rounds)
            print(
                f"{name:26} {windows:8d} {windows / ours:10.0f} {windows / plain:10.0f} "
                f"{plain / ours:6.2f}"
            )


if __name__ == "__main__":
    main()
