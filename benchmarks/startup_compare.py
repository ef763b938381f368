"""Start-up of two checkouts of lstm-forecast, timed in turns with one interpreter: the
ratio of their medians says whether a change made --help, validate or predict slower.

    uv run python benchmarks/startup_compare.py --before ../old-checkout [--after .] [--rounds 12]

``--before`` is another checkout (a ``git worktree`` of the commit to compare with); both
run with this interpreter and its packages, each checkout first on ``PYTHONPATH``.
Each trains a small airline bundle first (not timed); then every round runs each command
once in each checkout, alternating, so a slow spell of a noisy machine hits both.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(tree: Path, args: list[str]) -> float:
    """Seconds ``python -m lstm_forecast ARGS`` takes with ``tree`` first on the path."""
    env = {**os.environ, "PYTHONPATH": str(tree), "TF_CPP_MIN_LOG_LEVEL": "3"}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "lstm_forecast", *args],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, default=REPO)
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    with tempfile.TemporaryDirectory() as folder:
        commands: dict[str, dict[str, list[str]]] = {"--help": {}, "validate": {}, "predict": {}}
        for name, tree in trees.items():
            bundle = Path(folder) / name
            config = str(tree / "configs" / "airline.yaml")
            sets = ["--set", f"output.dir={bundle}", "--set", "training.epochs=5"]
            run(tree, ["train", config, "--quiet", *sets])
            commands["--help"][name] = ["--help"]
            commands["validate"][name] = ["validate", config, "--set", f"output.dir={bundle}"]
            commands["predict"][name] = ["predict", str(bundle)]
        seconds: dict[tuple[str, str], list[float]] = {
            (command, name): [] for command in commands for name in trees
        }
        for _ in range(args.rounds):
            for command, argv in commands.items():
                for name, tree in trees.items():
                    seconds[(command, name)].append(run(tree, argv[name]))
    print(f"median of {args.rounds} alternating rounds, {os.cpu_count()} cores")
    print(f"{'command':12} {'before s':>9} {'after s':>9} {'after / before':>15}")
    for command in commands:
        before, after = (statistics.median(seconds[(command, n)]) for n in trees)
        print(f"{command:12} {before:9.3f} {after:9.3f} {after / before:15.2f}")


if __name__ == "__main__":
    main()
