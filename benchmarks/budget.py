"""Training within ``training.memory_budget_mb`` (issue 38, item 1): the M5-shaped file of
``benchmarks/scale.py`` trained three ways, each a fresh process, as a user runs it:

- in memory (no budget: the baseline, measured in the same run);
- with the budget: the rows in files mapped into memory, the file read in chunks of series;
- with the budget, inside a memory cgroup whose limit is the budget plus ``--fixed-gib``
  (TensorFlow and the network), where the machine lets this process make one (root, cgroup
  v1): the kernel must then drop the rows' pages to stay under it.

For each: wall seconds; the peak resident set (``ru_maxrss``: the rows' pages the kernel
has mapped in count there, as the page cache they are); the peak of the process's own
memory (``RssAnon``, sampled every 0.05 s: what the kernel cannot drop); and whether
metrics.json and preprocessing.json are the bytes of the in-memory run's.

    uv run python benchmarks/budget.py --series 30000 --budget 1024 --epochs 5
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from _timing import quiet_env  # benchmarks/ is on sys.path when run
from scale import DAYS, m5_config, m5_like

COMMAND = [sys.executable, "-m", "lstm_forecast", "train"]
CGROUPS = Path("/sys/fs/cgroup/memory")
BUNDLE_FILES = ("metrics.json", "preprocessing.json")


def write_config(folder: Path, data: Path, name: str, epochs: int, budget: int | None) -> Path:
    config = folder / f"{name}.yaml"
    training: dict[str, object] = {"memory_budget_mb": budget}
    if epochs:
        training["epochs"] = epochs
    settings = {"name": name, **m5_config(data, **training), "output": {"dir": str(folder / name)}}
    config.write_text(yaml.safe_dump(settings))
    return config


def write_m5_like(path: Path, n_series: int, block: int = 10_000) -> None:
    """``scale.m5_like``'s data, ``block`` series at a time (each block its own seed):
    the whole frame of 100,000 series would take this process 20 GB to make."""
    writer = None
    for first in range(0, n_series, block):
        frame = m5_like(min(block, n_series - first), seed=first // block)
        names = [f"item_{first + k:06d}" for k in range(len(frame.item.cat.categories))]
        frame["item"] = frame.item.cat.rename_categories(names).astype(str)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    if writer is not None:
        writer.close()


def own_memory(pid: int) -> int:
    """The process's anonymous resident memory in bytes (0 once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) * 1024
    return 0


def run(config: Path, cgroup: Path | None) -> dict[str, float]:
    """Train ``config`` in a fresh process (inside ``cgroup`` where given)."""

    def enter() -> None:
        if cgroup is not None:
            (cgroup / "cgroup.procs").write_text(str(os.getpid()))

    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(
            [*COMMAND, str(config), "--quiet"],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=quiet_env(),
            preexec_fn=enter,
        )
        peak_own = 0
        while True:
            # wait4: this child's own peak resident set (not the largest of any child's).
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            peak_own = max(peak_own, own_memory(child.pid))
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            err.seek(0)
            raise SystemExit(f"{config.name} exited {child.returncode}: {err.read()[-2000:]}")
    return {"seconds": seconds, "peak": usage.ru_maxrss * 1024.0, "own": float(peak_own)}


def limited_cgroup(limit: int) -> Path | None:
    """A memory cgroup (v1) limited to ``limit`` bytes, or None where none can be made."""
    if not CGROUPS.is_dir() or not os.access(CGROUPS, os.W_OK):
        return None
    group = CGROUPS / f"lstm-forecast-budget-{os.getpid()}"
    try:
        group.mkdir()
        (group / "memory.limit_in_bytes").write_text(str(limit))
    except OSError:
        return None
    return group


def same_bundle(a: Path, b: Path) -> bool:
    return all((a / name).read_bytes() == (b / name).read_bytes() for name in BUNDLE_FILES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=30000)
    parser.add_argument("--budget", type=int, default=1024, help="MiB")
    parser.add_argument("--epochs", type=int, default=0, help="0: the shipped default")
    parser.add_argument("--fixed-gib", type=float, default=1.0)
    args = parser.parse_args()
    gib = 2**30
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        data = folder / "m5.parquet"
        write_m5_like(data, args.series)
        rows = args.series * DAYS
        print(f"{args.series:,} series, {rows / 1e6:.1f} M rows, budget {args.budget} MiB")
        print("| run | train | peak RSS | own memory (RssAnon) peak | bundle as in memory |")
        print("|---|---|---|---|---|", flush=True)
        memory = run(write_config(folder, data, "memory", args.epochs, None), None)
        print(
            f"| in memory | {memory['seconds']:.0f} s | {memory['peak'] / gib:.2f} GiB | "
            f"{memory['own'] / gib:.2f} GiB | - |",
            flush=True,
        )
        budgeted = run(write_config(folder, data, "budget", args.epochs, args.budget), None)
        same = same_bundle(folder / "memory", folder / "budget")
        print(
            f"| budget {args.budget} MiB | {budgeted['seconds']:.0f} s "
            f"({budgeted['seconds'] / memory['seconds']:.2f} x) | {budgeted['peak'] / gib:.2f} GiB "
            f"| {budgeted['own'] / gib:.2f} GiB ({budgeted['own'] / memory['own']:.2f} x) | "
            f"{'the same bytes' if same else 'DIFFERENT'} |",
            flush=True,
        )
        limit = int(args.budget * 2**20 + args.fixed_gib * gib)
        group = limited_cgroup(limit)
        if group is None:
            print("(no memory cgroup could be made here: the limited run is left out)")
            return
        try:
            config = write_config(folder, data, "limited", args.epochs, args.budget)
            limited = run(config, group)
            used = int((group / "memory.max_usage_in_bytes").read_text())
        finally:
            group.rmdir()
        same = same_bundle(folder / "memory", folder / "limited")
        print(
            f"| budget, in a cgroup limited to {limit / gib:.2f} GiB (peak charged "
            f"{used / gib:.2f}) | {limited['seconds']:.0f} s "
            f"({limited['seconds'] / memory['seconds']:.2f} x) | {limited['peak'] / gib:.2f} GiB "
            f"| {limited['own'] / gib:.2f} GiB | {'the same bytes' if same else 'DIFFERENT'} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
