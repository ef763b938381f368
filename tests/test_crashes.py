"""Crash consistency: a retrain killed (SIGKILL) at any moment of its run, reading,
training, exporting, staging, syncing or swapping, leaves the complete old bundle or the
complete new one, and predict works; a file-size limit hit while staging (what a full
disk does) exits 4 with the old bundle intact, and the next run leaves nothing behind."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lstm_forecast.bundle.store import verify
from lstm_forecast.workflows.predict import predict

from .helpers import REPO, TINY, monthly_frame, sets, write_config, write_csv

pytestmark = pytest.mark.slow

MOMENTS = 20
LANES = 2  # run directories killed in turn side by side, one per core


def retrain_command(config: Path, run_dir: Path, seed: int) -> list[str]:
    overrides = sets(*TINY, f"output.dir={run_dir}", f"training.seed={seed}")
    return [sys.executable, "-m", "lstm_forecast", "train", str(config), "--quiet", *overrides]


def leftovers(run_dir: Path) -> list[str]:
    return sorted(
        p.name for p in run_dir.parent.iterdir() if p.name.startswith(f".{run_dir.name}.")
    )


def trained(config: Path, run_dir: Path, seed: int) -> float:
    """Seconds a whole retrain into ``run_dir`` took."""
    started = time.monotonic()
    done = subprocess.run(retrain_command(config, run_dir, seed), cwd=REPO, capture_output=True)
    assert done.returncode == 0, done.stderr
    return time.monotonic() - started


@pytest.fixture(scope="module")
def lanes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], float]:
    """A config, one bundle per lane (trained side by side), and how long that took."""
    folder = tmp_path_factory.mktemp("crashes")
    config = write_config(folder, write_csv(folder / "sales.csv", monthly_frame(72)))
    runs = [folder / f"lane{k}" / "run" for k in range(LANES)]
    seconds: list[float] = []
    threads = [
        threading.Thread(target=lambda r=run: seconds.append(trained(config, r, 0))) for run in runs
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seconds) == LANES
    return config, runs, max(seconds)


def kill_at(config: Path, run_dir: Path, seed: int, moment: float) -> str:
    """A retrain into ``run_dir`` SIGKILLed ``moment`` seconds after it started (unless it
    finished first), then the run directory checked."""
    retrain = subprocess.Popen(
        retrain_command(config, run_dir, seed), cwd=REPO, stderr=subprocess.DEVNULL
    )
    try:
        retrain.wait(timeout=moment)
        outcome = "finished"
    except subprocess.TimeoutExpired:
        retrain.kill()
        retrain.wait()
        outcome = "killed"
    verify(run_dir)  # every file the manifest lists, each matching: a whole bundle
    assert len(predict(run_dir).frame) == 6, f"after a kill at {moment:.1f} s"
    return outcome


def test_a_retrain_killed_at_any_moment_leaves_a_whole_bundle(
    lanes: tuple[Path, list[Path], float],
) -> None:
    """Moments spread evenly over a whole retrain's time (the last ones past it, so some
    retrains finish), taken in turn by the lanes."""
    config, runs, whole_run = lanes
    before = [(run / "manifest.json").read_bytes() for run in runs]
    moments = [whole_run * 1.1 * k / MOMENTS for k in range(1, MOMENTS + 1)]
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def lane(k: int) -> None:
        try:
            for m in range(k, MOMENTS, LANES):
                outcomes.append(kill_at(config, runs[k], m + 1, moments[m]))
        except BaseException as exc:  # reported by the test's thread below
            errors.append(exc)

    threads = [threading.Thread(target=lane, args=(k,)) for k in range(LANES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(outcomes) == MOMENTS and "killed" in outcomes, outcomes
    # The next run cleans up what the killed ones left, and swaps its bundle in whole
    # (whether or not a retrain above outran its moment on a loaded machine).
    trained(config, runs[0], 99)
    verify(runs[0])
    assert leftovers(runs[0]) == []
    assert (runs[0] / "manifest.json").read_bytes() != before[0]


def test_a_full_disk_while_staging_exits_4_and_keeps_the_old_bundle(
    lanes: tuple[Path, list[Path], float], tmp_path: Path
) -> None:
    config, runs, _ = lanes
    run_dir = tmp_path / "run"
    shutil.copytree(runs[1], run_dir)
    before = {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()}
    # No file over 20 kB (the network's files are larger), set in the child before it
    # becomes the retrain: what a full disk does to the write that needs the space.
    limited = (
        "import os, resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))\n"
        "os.execv(sys.executable, sys.argv[1:])\n"
    )
    command = [sys.executable, "-c", limited, *retrain_command(config, run_dir, 1)]
    full = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert full.returncode == 4, full.stderr
    assert "cannot write the bundle: File too large; the previous bundle" in full.stderr
    assert {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()} == before
    assert leftovers(run_dir) == []  # the failed run removed its staging directory
    assert len(predict(run_dir).frame) == 6
