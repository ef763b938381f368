"""`detect` at scale: 1,000,000 checked rows (100 series x 10,000 hourly rows, each with a
lookback before it), through the command as cron runs it, in a fresh process; beside the
time `predict` takes on the same bundle and file, and the time to read the file with
pandas, measured in the same run. The model is tiny (the timing is of detect's path:
reading, windows, ONNX Runtime, flags, events, the report), trained on other rows first.

    uv run python benchmarks/detect_scale.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from _timing import quiet_env  # benchmarks/ is on sys.path when run

SERIES, CHECKED, LOOKBACK = 100, 10_000, 48


def frame(hours: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    times = pd.date_range("2024-01-01", periods=hours, freq="h").strftime("%Y-%m-%dT%H:%M")
    t = np.arange(hours)
    return pd.concat(
        pd.DataFrame(
            {
                "time": times,
                "id": f"s{k}",
                "value": 20 + k % 7 + 4 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 1, hours),
            }
        )
        for k in range(SERIES)
    )


def seconds(argv: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=quiet_env())
    if done.returncode not in (0, 10):
        raise RuntimeError(done.stderr)
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        frame(2_000, 0).to_csv(base / "train.csv", index=False)
        config = {
            "data": {"path": str(base / "train.csv"), "time_column": "time", "target": "value",
                     "id_column": "id"},
            "window": {"lookback": LOOKBACK, "horizon": 6},
            "split": {"validation": 120, "test": 0},
            "model": {"layers": [16], "quantiles": [0.01, 0.5, 0.99]},
            "training": {"epochs": 3},
            "output": {"dir": str(base / "run")},
        }  # fmt: skip
        (base / "config.yaml").write_text(yaml.safe_dump(config))
        cli = [sys.executable, "-m", "lstm_forecast"]
        subprocess.run([*cli, "train", str(base / "config.yaml"), "--quiet"], check=True,
                       capture_output=True, env=quiet_env())  # fmt: skip
        big = base / "big.csv"
        frame(CHECKED + LOOKBACK, 1).to_csv(big, index=False)
        started = time.perf_counter()
        pd.read_csv(big)
        reading = time.perf_counter() - started
        predicting = seconds([*cli, "predict", str(base / "run"), "--data", str(big)])
        detecting = seconds(
            [*cli, "detect", str(base / "run"), "--data", str(big), "--last", str(CHECKED),
             "-o", str(base / "events.csv")]
        )  # fmt: skip
        rows = SERIES * CHECKED
    print(f"detect: {rows:,} rows of {SERIES} series in {detecting:.1f} s")
    ratio = detecting / predicting
    print(f"predict on the same file: {predicting:.1f} s (detect / predict {ratio:.1f})")
    print(f"pandas reading the file: {reading:.1f} s (detect / reading {detecting / reading:.1f})")


if __name__ == "__main__":
    main()
