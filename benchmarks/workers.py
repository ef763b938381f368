"""Two workers on 127.0.0.1 against one process, training on the same data (issue 38,
item 2): the M5-shaped file of ``scale.py`` written as a hive-partitioned Parquet dataset
(``store=s0/...``, the series id in ``item``), ``training.distribute: multi_worker``; each
worker reads only its share of the series (a hash of the id). Prints each one's wall
time and peak resident set, each worker's peak over the one process's, the training
losses per epoch, and the share of series where the model beats both naives.

    uv run python benchmarks/workers.py --series 30000 --epochs 20

Both runs are fresh processes started by this script, one after the other, on the same
machine; the two workers share its cores, so their time says little about a cluster's.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import yaml
from _timing import quiet_env  # benchmarks/ is on sys.path when run
from scale import DAYS, m5_config, m5_like

COMMAND = [sys.executable, "-m", "lstm_forecast"]
# Runs a command, copies its stderr to a file, prints its wall seconds and peak RSS (bytes).
MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
with open(sys.argv[1], "w") as log:
    done = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=log)
if done.returncode:
    sys.exit(f"exit {done.returncode}: see {sys.argv[1]}")
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
"""
PARTITIONS = 10


def start(argv: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", MEASURE, str(log), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def finish(process: subprocess.Popen[str]) -> tuple[float, int]:
    out, err = process.communicate()
    if process.returncode:
        raise SystemExit(err.strip())
    seconds, peak = out.split()
    return float(seconds), int(peak)


def losses(log: Path) -> list[float]:
    lines = log.read_text().splitlines()
    return [float(line.split()[3]) for line in lines if line.startswith("epoch ")]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def beats_both(run_dir: Path) -> float:
    metrics = json.loads((run_dir / "metrics.json").read_text())
    share = (metrics.get("model_beats_both_naives") or {}).get("share")
    return float("nan") if share is None else float(share)


def write_data(n_series: int, folder: Path) -> Path:
    frame = m5_like(n_series)
    # int64: the codes come as int16 below 32,768 items, where x PARTITIONS overflows.
    codes = frame["item"].cat.codes.to_numpy().astype("int64")
    # As categories: a string a row would take this process 20 GB at 100,000 series.
    stores = [f"s{k}" for k in range(PARTITIONS)]
    frame["store"] = pd.Categorical.from_codes(codes * PARTITIONS // n_series, stores)
    data = folder / "sales"
    frame.to_parquet(data, partition_cols=["store"], index=False)
    return data


def write_config(data: Path, folder: Path, epochs: int | None = None) -> Path:
    config = folder / "config.yaml"
    training = {"distribute": "multi_worker", **({} if epochs is None else {"epochs": epochs})}
    settings = m5_config(data, freq="D", **training)
    config.write_text(yaml.safe_dump(settings))
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=30000)
    parser.add_argument("--epochs", type=int, help="training.epochs (default: the config's)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        config = write_config(write_data(args.series, folder), folder, args.epochs)
        env = {k: v for k, v in quiet_env().items() if k != "TF_CONFIG"}
        alone = [*COMMAND, "train", str(config), "--set", "training.distribute=none"]
        one = finish(
            start([*alone, "--set", f"output.dir={folder / 'one'}"], folder / "one.log", env)
        )
        hosts = [f"127.0.0.1:{free_port()}" for _ in range(2)]
        workers = []
        for index in range(2):
            spec = {"cluster": {"worker": hosts}, "task": {"type": "worker", "index": index}}
            out = folder / ("two" if index == 0 else "unused")
            argv = [*COMMAND, "train", str(config), "--set", f"output.dir={out}"]
            own_env = {**env, "TF_CONFIG": json.dumps(spec)}
            workers.append(start(argv, folder / f"worker{index}.log", own_env))
        each = [finish(worker) for worker in workers]
        rows = args.series * DAYS
        print(f"{args.series:,} series, {rows / 1e6:.1f} M rows, {PARTITIONS} partitions")
        print(f"one process: {one[0]:.0f} s, peak {one[1] / 2**30:.2f} GiB")
        for index, (seconds, peak) in enumerate(each):
            shares = [
                line.split("INFO: ", 1)[-1]
                for line in (folder / f"worker{index}.log").read_text().splitlines()
                if "its share of the series" in line
            ]
            print(
                f"worker {index}: {seconds:.0f} s, peak {peak / 2**30:.2f} GiB = "
                f"{peak / one[1]:.2f} x one process's; {shares[0] if shares else 'no share'}"
            )
        print("losses, one process:", losses(folder / "one.log"))
        print("losses, two workers:", losses(folder / "worker0.log"))
        print(
            f"beats both naives: one process {beats_both(folder / 'one'):.0%}, "
            f"two workers {beats_both(folder / 'two'):.0%}"
        )
        if os.environ.get("KEEP_LOGS"):
            for log in ("one", "worker0", "worker1"):
                print((folder / f"{log}.log").read_text()[-3000:], file=sys.stderr)


if __name__ == "__main__":
    main()
