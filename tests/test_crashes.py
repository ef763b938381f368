"""Crash consistency: a retrain killed (SIGKILL) at any moment of its run, reading,
training, exporting, staging, syncing or swapping, leaves the complete old bundle or the
complete new one, and predict works; a file-size limit hit while staging (what a full
disk does) exits 4 with the old bundle intact, and the next run leaves nothing behind."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from lstm_forecast.bundle.store import verify
from lstm_forecast.workflows.predict import predict

from .helpers import REPO, TINY, monthly_frame, sets, write_config, write_csv

pytestmark = pytest.mark.slow

MOMENTS = 20


def retrain_command(config: Path, run_dir: Path, seed: int) -> list[str]:
    overrides = sets(*TINY, f"output.dir={run_dir}", f"training.seed={seed}")
    return [sys.executable, "-m", "lstm_forecast", "train", str(config), "--quiet", *overrides]


def leftovers(run_dir: Path) -> list[str]:
    return sorted(
        p.name for p in run_dir.parent.iterdir() if p.name.startswith(f".{run_dir.name}.")
    )


def test_a_retrain_killed_at_any_moment_leaves_a_whole_bundle(tmp_path: Path) -> None:
    config = write_config(tmp_path, write_csv(tmp_path / "sales.csv", monthly_frame(72)))
    run_dir = tmp_path / "run"
    started = time.monotonic()
    first = subprocess.run(retrain_command(config, run_dir, 0), cwd=REPO, capture_output=True)
    assert first.returncode == 0, first.stderr
    whole_run = time.monotonic() - started
    manifests = {(run_dir / "manifest.json").read_bytes()}
    outcomes = []
    for k in range(1, MOMENTS + 1):
        moment = whole_run * k / (MOMENTS + 1) * 1.1  # the last ones after a whole run
        retrain = subprocess.Popen(
            retrain_command(config, run_dir, k), cwd=REPO, stderr=subprocess.DEVNULL
        )
        try:
            retrain.wait(timeout=moment)
            outcomes.append("finished")
        except subprocess.TimeoutExpired:
            retrain.kill()
            retrain.wait()
            outcomes.append("killed")
        verify(run_dir)  # every file the manifest lists, each matching: a whole bundle
        manifest = (run_dir / "manifest.json").read_bytes()
        assert len(predict(run_dir).frame) == 6, f"moment {k}"
        manifests.add(manifest)
    assert "killed" in outcomes, outcomes
    assert len(manifests) >= 2, "no retrain ever finished: the moments missed the swap"
    done = subprocess.run(retrain_command(config, run_dir, 99), cwd=REPO, capture_output=True)
    assert done.returncode == 0 and leftovers(run_dir) == [], (done.stderr, leftovers(run_dir))


def test_a_full_disk_while_staging_exits_4_and_keeps_the_old_bundle(tmp_path: Path) -> None:
    config = write_config(tmp_path, write_csv(tmp_path / "sales.csv", monthly_frame(72)))
    run_dir = tmp_path / "run"
    first = subprocess.run(retrain_command(config, run_dir, 0), cwd=REPO, capture_output=True)
    assert first.returncode == 0, first.stderr
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
