"""The one test harness: run the CLI in-process or as a real process, train a tiny bundle,
and write the data files and configs tests need."""

from __future__ import annotations

import ast
import importlib.util
import math
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from lstm_forecast.cli import cli
from lstm_forecast.data.share import Share

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
CONFIGS = REPO / "configs"

# Overrides that shrink any shipped config to a network that trains in a second or two.
TINY = ("model.layers=[4]", "model.dropout=0.0", "training.epochs=2", "training.batch_size=32")


class Ran(NamedTuple):
    """What a command did: its exit code, stdout and stderr."""

    code: int
    out: str
    err: str


def run_cli(*args: object) -> Ran:
    """Run ``lstm-forecast ARGS`` in this process (click's runner)."""
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return Ran(result.exit_code, result.stdout, result.stderr)


def cli_argv(*args: object) -> list[str]:
    """The command line of ``lstm-forecast ARGS`` in a fresh interpreter of this venv."""
    return [sys.executable, "-m", "lstm_forecast", *map(str, args)]


def run_process(
    *args: object,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
    stdin: int | None = None,
) -> Ran:
    """Run ``python -m lstm_forecast ARGS`` as a real process (exit codes, signals,
    imports as a user's shell sees them)."""
    return run_tool(*cli_argv(*args), cwd=REPO, env=env, timeout=timeout, stdin=stdin)


def start_process(
    *args: object, env: Mapping[str, str] | None = None, stderr: int | None = subprocess.PIPE
) -> subprocess.Popen[str]:
    """``python -m lstm_forecast ARGS`` started, not awaited (to signal, kill or race it)."""
    return subprocess.Popen(
        cli_argv(*args),
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        cwd=REPO,
        env=None if env is None else dict(env),
    )


def run_python(code: str, *args: object, timeout: float = 300) -> Ran:
    """Run a Python snippet (``sys.argv[1:]`` is ``args``) in a fresh interpreter (to see
    what it imports, or to set a process up before it becomes the CLI)."""
    return run_tool(sys.executable, "-c", code, *args, cwd=REPO, timeout=timeout)


def start_python(code: str, *args: object) -> subprocess.Popen[str]:
    """A Python snippet started in a fresh interpreter, not awaited (a lock holder, a
    reader in a loop); its stdout is a pipe."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE, text=True, cwd=REPO
    )


def run_tool(
    *argv: object,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 600,
    stdin: int | None = None,
) -> Ran:
    """Run any program (uv, an installed ``lstm-forecast``) to its end."""
    done = subprocess.run(
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=None if env is None else dict(env),
        stdin=stdin,
        timeout=timeout,
        check=False,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def heavy_modules_loaded(args: list[str], heavy: tuple[str, ...]) -> list[str]:
    """Run ``lstm-forecast ARGS`` in a fresh interpreter (it must succeed) and return the
    modules of the ``heavy`` packages it imported."""
    code = (
        "import sys\n"
        "from lstm_forecast.cli import main\n"
        f"sys.argv = ['lstm-forecast', *{args!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as done:\n"
        "    assert done.code in (0, None), done.code\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))\n"
    )
    ran = run_python(code)
    assert ran.code == 0, ran.err
    loaded: list[str] = ast.literal_eval(ran.out.strip().splitlines()[-1])
    return loaded


def cron_env() -> dict[str, str]:
    """The environment cron gives a job: no HOME, DISPLAY or terminal."""
    return {k: v for k, v in os.environ.items() if k not in ("HOME", "DISPLAY", "TERM")}


def sets(*items: str) -> list[str]:
    """``--set`` options for each ``section.key=value`` item."""
    return [part for item in items for part in ("--set", item)]


def train_tiny(config: str | Path, run_dir: Path, *extra: str) -> str:
    """Train a shipped config (by name) or a config file shrunk by ``TINY`` into
    ``run_dir``; returns what train printed on stdout."""
    path = CONFIGS / f"{config}.yaml" if isinstance(config, str) else config
    ran = run_cli("train", path, *sets(*TINY, *extra, f"output.dir={run_dir}"))
    assert ran.code == 0, ran.err
    return ran.out


def monthly_frame(rows: int = 72, *, start: str = "2000-01", seed: int = 0) -> pd.DataFrame:
    """A positive monthly series with trend and yearly season."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    values = 100 + t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, rows)
    months = pd.date_range(start, periods=rows, freq="MS").strftime("%Y-%m")
    return pd.DataFrame({"month": months, "sales": np.round(values, 3)})


def promo_frame(rows: int = 500, *, seed: int = 0, lift: float = 40.0) -> pd.DataFrame:
    """Daily sales with a weekly cycle, lifted by ``lift`` on the days of a promotion
    (planned ahead, drawn at random, so the history alone cannot tell when one comes)."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    promo = (rng.random(rows) < 0.2).astype(int)
    sales = 100 + 10 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 2, rows) + lift * promo
    days = pd.date_range("2020-01-01", periods=rows, freq="D").strftime("%Y-%m-%d")
    return pd.DataFrame({"day": days, "sales": np.round(sales, 3), "promo": promo})


def write_long_csv(
    path: Path, frames: Mapping[str, pd.DataFrame], id_column: str = "store"
) -> Path:
    """Several series in one long-format CSV: ``id_column`` first (each frame's key), then
    the frames' own columns, one series after another."""
    long = pd.concat(
        [frame.assign(**{id_column: sid}) for sid, frame in frames.items()], ignore_index=True
    )
    long[[id_column, *(c for c in long.columns if c != id_column)]].to_csv(path, index=False)
    return path


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


def write_config(directory: Path, data_path: Path, **sections: dict[str, Any]) -> Path:
    """A small valid config for a monthly ``sales`` series; ``sections`` update it."""
    config: dict[str, Any] = {
        "data": {"path": str(data_path), "time_column": "month", "target": "sales"},
        "window": {"lookback": 12, "horizon": 6},
        "split": {"validation": 6, "test": 12},
        "model": {"layers": [4], "dropout": 0.0},
        "training": {"epochs": 2, "batch_size": 16, "early_stopping_patience": 2},
        "output": {"dir": str(directory / "run")},
    }
    for name, values in sections.items():
        config.setdefault(name, {}).update(values)
    path = directory / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def train_daily_point_model(folder: Path, frame: pd.DataFrame) -> Path:
    """A one-epoch point model (no quantiles, no test part) of ``frame``'s daily ``load``
    column by ``day``; returns its run directory."""
    config = write_config(
        folder,
        write_csv(folder / "d.csv", frame),
        data={"time_column": "day", "target": "load"},
        window={"lookback": 14, "horizon": 7},
        split={"validation": 14, "test": 0},
        training={"epochs": 1},
    )
    ran = run_cli("train", config, "--quiet")
    assert ran.code == 0, ran.err
    return folder / "run"


def assert_one_line_error(code: int, stderr: str, expected_code: int, *fragments: str) -> None:
    """The command failed with ``expected_code`` and one ``lstm-forecast: error:`` line
    holding every fragment, and no traceback."""
    assert code == expected_code, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("lstm-forecast: error: ")
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0]


def hide_module(monkeypatch: pytest.MonkeyPatch, hidden: str) -> None:
    """Make ``importlib.util.find_spec`` say ``hidden`` is not installed."""
    find_spec = importlib.util.find_spec

    def without(name: str, *args: Any) -> Any:
        return None if name == hidden else find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without)


def usable_cores(cgroup: Path = Path("/sys/fs/cgroup")) -> int:
    """Cores this process may run on, capped by a CPU quota when one is set: cgroup v2's
    ``cpu.max`` ("QUOTA PERIOD" or "max PERIOD") or v1's ``cpu/cpu.cfs_quota_us`` and
    ``cpu/cpu.cfs_period_us`` (quota -1: none)."""
    affinity = getattr(os, "sched_getaffinity", None)
    cores = (len(affinity(0)) if affinity else os.cpu_count()) or 1
    try:
        v2, v1 = cgroup / "cpu.max", cgroup / "cpu"
        if v2.exists():
            quota, period = v2.read_text().split()[:2]
        else:
            quota = (v1 / "cpu.cfs_quota_us").read_text().strip()
            period = (v1 / "cpu.cfs_period_us").read_text().strip()
        if quota in ("max", "-1"):
            return cores
        return max(1, min(cores, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        return cores  # no quota file, or one this code does not read


class ThreadWorkers:
    """``Workers`` for tests: threads of this process, each with its share, gathering
    through a barrier (``run_workers``)."""

    def __init__(self, share: Share, slots: list[Any], barrier: threading.Barrier) -> None:
        self.share = share
        self._slots, self._barrier = slots, barrier

    def gather(self, array: np.ndarray) -> list[np.ndarray]:
        self._slots[self.share.index] = np.array(array, copy=True)
        self._barrier.wait()
        gathered = list(self._slots)
        self._barrier.wait()
        return gathered


def run_workers(count: int, work: Callable[[ThreadWorkers], Any]) -> list[Any]:
    """``work`` of ``count`` workers, each in a thread with its ``ThreadWorkers``: their
    results in worker order (the first error raised again)."""
    slots: list[Any] = [None] * count
    barrier = threading.Barrier(count, timeout=60)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def one(index: int) -> None:
        try:
            results[index] = work(ThreadWorkers(Share(index, count), slots, barrier))
        except BaseException as exc:  # raised again below, in the test's thread
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=one, args=(k,)) for k in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
