"""Start-up benchmark: wall time of the commands a cron job pays for on every run, as
ratios against ``python -c "import tensorflow"`` measured in the same run.

    uv run python benchmarks/startup.py [--repeat 5]

Trains a small airline bundle into a temporary folder first (not timed). Each command
runs ``--repeat`` times in a fresh process; the median wall time is reported.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _timing import quiet_env, wall_seconds  # benchmarks/ is on sys.path when run

REPO = Path(__file__).resolve().parents[1]
COMMAND = [sys.executable, "-m", "lstm_forecast"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    config = REPO / "configs" / "airline.yaml"
    with tempfile.TemporaryDirectory() as folder:
        bundle = Path(folder) / "airline"
        overrides = ["--set", f"output.dir={bundle}", "--set", "training.epochs=5"]
        subprocess.run(
            [*COMMAND, "train", str(config), "--quiet", *overrides],
            check=True,
            capture_output=True,
            env=quiet_env(),
        )
        baseline = wall_seconds([sys.executable, "-c", "import tensorflow"], args.repeat)
        rows = {
            "lstm-forecast --help": wall_seconds([*COMMAND, "--help"], args.repeat),
            "lstm-forecast validate configs/airline.yaml": wall_seconds(
                [*COMMAND, "validate", str(config), "--set", f"output.dir={bundle}"], args.repeat
            ),
            "lstm-forecast predict runs/airline (ONNX)": wall_seconds(
                [*COMMAND, "predict", str(bundle)], args.repeat
            ),
        }
    print(f"median of {args.repeat} runs, {os.cpu_count()} cores")
    print(f"{'command':48} {'seconds':>8} {'x import tensorflow':>20}")
    label = 'python -c "import tensorflow" (baseline)'
    print(f"{label:48} {baseline:8.3f} {1.0:20.2f}")
    for name, seconds in rows.items():
        print(f"{name:48} {seconds:8.3f} {seconds / baseline:20.2f}")


if __name__ == "__main__":
    main()
