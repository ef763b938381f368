"""Cron safety: locks, signals and kills never leave half an output or lose the last good one."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from lstm_forecast.bundle import layout
from lstm_forecast.bundle.atomic import locked_target
from lstm_forecast.bundle.locking import exclusive_lock, lock_path
from lstm_forecast.bundle.store import load_bundle, verify, write_manifest
from lstm_forecast.errors import LockHeld

from .bundles import SharedBundle
from .helpers import (
    Ran,
    cli_argv,
    cron_env,
    run_process,
    run_python,
    run_tool,
    start_process,
    start_python,
    write_config,
)

HOLD_LOCK = """
import sys, time
from pathlib import Path
from lstm_forecast.bundle.locking import exclusive_lock
with exclusive_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(120)
"""


def cli_with_sigint_default(*args: object) -> subprocess.Popen[str]:
    """``cli``, with SIGINT not ignored in the child, as under a terminal.

    A test run started in the background (``./.ci/run &`` in a script) ignores SIGINT and
    its children inherit that, so the training would rightly ignore the SIGINT a test sends
    (measured: the SIGINT test then fails every time). A handled signal is reset to its
    default when the child starts, so handling it here for the moment of the spawn suffices.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return start_process(*args)
    finally:
        signal.signal(signal.SIGINT, previous)


def hold_lock(target: Path) -> subprocess.Popen[str]:
    holder = start_python(HOLD_LOCK, target)
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


def stop(process: subprocess.Popen[str]) -> None:
    process.kill()
    process.communicate()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def leftovers(target: Path) -> list[str]:
    """Staging, temporary and lock files beside ``target``."""
    return sorted(p.name for p in target.parent.iterdir() if p.name.startswith(f".{target.name}."))


def run_as_cron(*args: object) -> Ran:
    """Run the command as cron does: no HOME, DISPLAY or terminal; stdin closed."""
    return run_process(*args, env=cron_env(), stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def bundle_dir(shared_sales: SharedBundle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle trained as cron would train it (``bundles.build_sales``), and a config that
    retrains it slowly (for signals and kills)."""
    folder = tmp_path_factory.mktemp("cron")
    shared_sales.copy(folder)
    # Many epochs, no early stop: the retraining is still running when the signal comes.
    write_config(
        folder,
        folder / "sales.csv",
        training={"epochs": 5000, "early_stopping_patience": 5000, "batch_size": 4},
        model={"layers": [16], "dropout": 0.0},
    )
    return folder


def test_a_second_holder_is_refused_naming_the_first(tmp_path: Path) -> None:
    target = tmp_path / "run"
    with exclusive_lock(target), pytest.raises(LockHeld) as refused, exclusive_lock(target):
        pass
    assert f"pid {os.getpid()}, started " in refused.value.message
    assert refused.value.exit_code == 75
    with exclusive_lock(target):  # released on exit
        assert lock_path(target).exists()
    assert not lock_path(target).exists()


def test_a_lock_left_by_a_killed_process_does_not_block(tmp_path: Path) -> None:
    target = tmp_path / "run"
    holder = hold_lock(target)
    with pytest.raises(LockHeld, match=f"pid {holder.pid}"), exclusive_lock(target):
        pass
    stop(holder)
    with exclusive_lock(target):
        pass


def test_leftovers_of_a_killed_run_are_cleaned_and_a_moved_bundle_put_back(
    tmp_path: Path,
) -> None:
    target = tmp_path / "run"
    moved_aside = tmp_path / ".run.previous-4242"
    moved_aside.mkdir()
    (moved_aside / "manifest.json").write_text("{}")
    (tmp_path / ".run.staging-4243").mkdir()
    (tmp_path / ".run.staging-4243" / "model.keras").write_bytes(b"half")
    (tmp_path / ".run.tmp-4244").write_text("half")
    (tmp_path / ".running.staging-1").mkdir()  # another target's: not ours to touch
    with locked_target(target):
        assert (target / "manifest.json").read_text() == "{}"
        assert leftovers(target) == [".run.lock"]  # only our own lock
    assert (tmp_path / ".running.staging-1").is_dir()


@pytest.mark.slow
def test_train_on_a_locked_output_exits_75_and_touches_nothing(bundle_dir: Path) -> None:
    run = bundle_dir / "run"
    before = snapshot(run)
    holder = hold_lock(run)
    try:
        second = start_process("train", bundle_dir / "config.yaml")
        out, err = second.communicate(timeout=60)
    finally:
        stop(holder)
    assert second.returncode == 75, err
    assert f"another lstm-forecast run is writing it (pid {holder.pid}, started " in err
    assert len(err.strip().splitlines()) == 1 and out == ""
    assert snapshot(run) == before
    assert leftovers(run) == [".run.lock"]  # the killed holder's; the next run reuses it


@pytest.mark.slow
def test_a_locked_train_stops_before_reading_the_data_or_importing_pandas(
    bundle_dir: Path,
) -> None:
    """An overlapping cron run exits 75 before the slow imports (the config names
    data.freq, whose validation would import pandas)."""
    run = bundle_dir / "run"
    holder = hold_lock(run)
    try:
        ran = run_python(
            "import sys\n"
            "from lstm_forecast.cli import cli\n"
            "try:\n"
            f"    cli(['train', {str(bundle_dir / 'config.yaml')!r}, '--set', 'data.freq=MS'])\n"
            "except SystemExit as done:\n"
            "    print('exit', done.code)\n"
            "print('loaded:', sorted({'pandas', 'tensorflow'} & set(sys.modules)))\n"
        )
    finally:
        stop(holder)
    assert "exit 75" in ran.out and "loaded: []" in ran.out, ran.err


@pytest.mark.slow
def test_predict_runs_as_cron_runs_it(bundle_dir: Path, tmp_path: Path) -> None:
    output, plot = tmp_path / "forecast.csv", tmp_path / "forecast.png"
    done = run_as_cron("predict", bundle_dir / "run", "--output", output, "--plot", plot)
    assert done.code == 0, done.err
    assert done.out == "" and len(output.read_text().splitlines()) == 7
    assert leftovers(output) == [] and leftovers(plot) == [] and plot.stat().st_size > 0


@pytest.mark.slow
def test_predict_output_locked_exits_75(bundle_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / "forecast.csv"
    output.write_text("previous forecast\n")
    holder = hold_lock(output)
    try:
        second = start_process("predict", bundle_dir / "run", "--output", output)
        _, err = second.communicate(timeout=60)
    finally:
        stop(holder)
    assert second.returncode == 75 and "lstm-forecast: error: " in err
    assert output.read_text() == "previous forecast\n"


@pytest.mark.slow
def test_a_predict_straddling_a_retrain_loads_the_new_bundle_whole(
    bundle_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cron's predict reads the bundle file by file while cron's retrain swaps in a new
    one: the forecast must come from one bundle, never the old scaler with the new network."""
    run, new = tmp_path / "run", tmp_path / "new"
    shutil.copytree(bundle_dir / "run", run)
    shutil.copytree(bundle_dir / "run", new)
    preprocessing = json.loads((new / "preprocessing.json").read_text())
    preprocessing["typical_spread"] = 2.0  # marks the new bundle
    (new / "preprocessing.json").write_text(json.dumps(preprocessing))
    write_manifest(new)
    read_json = layout.read_json

    def read_then_swap(run_dir: Path, name: str) -> dict[str, object]:
        data = read_json(run_dir, name)
        if name == "preprocessing.json" and new.exists():
            os.rename(run, tmp_path / "old")
            os.rename(new, run)
        return data

    monkeypatch.setattr(layout, "read_json", read_then_swap)
    loaded = load_bundle(run)
    assert loaded.preprocessing.coding.typical_spread == 2.0
    assert loaded.metadata == json.loads((run / "metadata.json").read_text())


def wait_for_training(process: subprocess.Popen[str], run: Path, epochs: int = 3) -> None:
    """Read progress lines until ``epochs`` epochs have run (the staging directory exists)."""
    assert process.stderr is not None
    seen = 0
    for line in process.stderr:
        seen += line.startswith("epoch ")
        if seen >= epochs:
            break
    assert seen >= epochs, "training ended before the signal"
    assert leftovers(run), "no staging directory while training"


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_training_and_keeps_the_previous_bundle(
    bundle_dir: Path, signum: int, code: int
) -> None:
    run = bundle_dir / "run"
    before = snapshot(run)
    training = cli_with_sigint_default("train", bundle_dir / "config.yaml")
    wait_for_training(training, run)
    signalled = time.monotonic()
    training.send_signal(signum)
    _, rest = training.communicate(timeout=30)
    assert time.monotonic() - signalled < 10
    assert training.returncode == code
    assert rest.strip().splitlines()[-1].startswith("lstm-forecast: error: interrupted")
    assert snapshot(run) == before and leftovers(run) == []


@pytest.mark.slow
def test_sigkill_leaves_the_old_bundle_and_the_next_run_cleans_up(bundle_dir: Path) -> None:
    run = bundle_dir / "run"
    before = snapshot(run)
    training = start_process("train", bundle_dir / "config.yaml")
    wait_for_training(training, run)
    stop(training)
    assert snapshot(run) == before
    verify(run)
    assert leftovers(run), "the killed run's staging directory should still be there"
    quick = start_process(
        "train", bundle_dir / "config.yaml", "--set", "training.epochs=1", "--quiet"
    )
    _, err = quick.communicate(timeout=120)
    assert quick.returncode == 0, err
    verify(run)
    assert snapshot(run) != before and leftovers(run) == []


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_an_input_that_is_not_a_regular_file_is_refused_at_once(
    bundle_dir: Path, tmp_path: Path, kind: str
) -> None:
    """A device that never ends (read until the kernel killed the job, taking the cron
    host's memory with it) or a pipe nobody writes to (waited on for ever): refused before
    reading, as data, as a config, and for predict and init."""
    if kind == "device":
        source = Path("/dev/zero")
    else:
        source = tmp_path / "pipe.csv"
        os.mkfifo(source)
    what = "is a device" if kind == "device" else "is a named pipe (FIFO)"
    config = bundle_dir / "config.yaml"
    for args in (
        ["train", config, "--set", f"data.path={source}"],
        ["validate", source],
        ["predict", bundle_dir / "run", "--data", source],
        ["init", source, "--output", tmp_path / "draft.yaml"],
    ):
        ran = run_process(*args, timeout=60)
        assert ran.code == 2, (args, ran.err)
        assert f"{source}: {what}, not a regular file" in ran.err, ran.err


@pytest.mark.slow
def test_predict_writes_nothing_outside_its_output(
    shared_sales: SharedBundle, tmp_path: Path
) -> None:
    """Run as a locked-down cron runs it: HOME names a folder that does not exist (root
    could create it, as ONNX Runtime's telemetry did), nothing says CI (ONNX Runtime turns
    its telemetry off there by itself), a temporary folder of its own to watch."""
    run = shared_sales.copy(tmp_path / "bundle")
    bundle_before = snapshot(run)
    home, scratch, work = tmp_path / "nohome", tmp_path / "tmp", tmp_path / "work"
    scratch.mkdir()
    work.mkdir()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "TMPDIR": str(scratch),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    ran = run_tool(
        *cli_argv("predict", run, "--data", run.parent / "sales.csv", "--output", "f.csv"),
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert ran.code == 0, ran.err
    assert not home.exists()
    assert sorted(p.name for p in work.iterdir()) == ["f.csv"]
    assert not list(scratch.iterdir())
    assert snapshot(run) == bundle_before
    assert "telemetry" not in ran.err.lower()
