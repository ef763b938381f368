"""Crash consistency: a retrain killed (SIGKILL) at each named step of writing its bundle,
staging, the body, the manifest, syncing, the swap, leaves the complete old bundle or the
complete new one, and predict works; a file-size limit hit while staging (what a full
disk does) exits 4 with the old bundle intact, and the next run leaves nothing behind.

A kill while reading or training is covered by ``test_unattended`` (SIGKILL mid-epoch):
until the staging directory is swapped in, a retrain has not touched the run directory.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from lstm_forecast.bundle.store import verify
from lstm_forecast.workflows.predict import predict

from .bundles import SharedBundle
from .helpers import TINY, cli_argv, run_python, sets, write_config

pytestmark = pytest.mark.slow

# A retrain's write, with its new body copied from another bundle (what the network's
# files are makes no difference to the store), SIGKILLed at the step named in argv[3].
WRITE_AND_DIE = """
import os, shutil, signal, sys
from pathlib import Path
from lstm_forecast.bundle import store

source, target, step = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def die_after(name, when=lambda result: True):
    original = getattr(store, name)

    def then_die(*args):
        result = original(*args)
        if when(result):
            die()
        return result

    setattr(store, name, then_die)


if step == "manifest":
    die_after("write_manifest")
elif step == "synced":
    die_after("fsync_tree")
elif step == "exchanged":
    die_after("_exchange", when=bool)  # the new bundle in place, the old one not yet removed
elif step == "swapped":
    die_after("fsync_path")  # the swap done, its folder not yet synced
written_last = ("manifest.json", "signature.json")
members = sorted(p for p in source.rglob("*") if p.is_file() and p.name not in written_last)
with store.staged_bundle(target) as staging:
    if step == "staging":
        die()
    for k, path in enumerate(members):
        if step == "body" and k == len(members) // 2:
            die()
        copy = staging / path.relative_to(source)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
"""

STEPS = ["staging", "body", "manifest", "synced", "exchanged", "swapped", "finished"]


def leftovers(run_dir: Path) -> list[str]:
    return sorted(
        p.name for p in run_dir.parent.iterdir() if p.name.startswith(f".{run_dir.name}.")
    )


@pytest.mark.parametrize("step", STEPS)
def test_a_retrain_killed_at_each_step_leaves_a_whole_bundle(
    shared_sales: SharedBundle, shared_airline: SharedBundle, tmp_path: Path, step: str
) -> None:
    """Before the swap the old bundle, after it the new one; never a mix. The next run
    cleans up what the killed one left."""
    run_dir = shared_sales.copy(tmp_path / "old")
    new = shared_airline.folder / "run"
    old_manifest = (run_dir / "manifest.json").read_bytes()
    ran = run_python(WRITE_AND_DIE, new, run_dir, step)
    killed = step != "finished"
    assert ran.code == (-signal.SIGKILL if killed else 0), ran.err
    verify(run_dir)  # every file the manifest lists, each matching: a whole bundle
    now = (run_dir / "manifest.json").read_bytes()
    swapped = step in ("exchanged", "swapped", "finished")
    assert now == ((new / "manifest.json").read_bytes() if swapped else old_manifest), step
    assert len(predict(run_dir).frame) == (12 if swapped else 6)  # airline's horizon, or sales'
    assert bool(leftovers(run_dir)) == killed, leftovers(run_dir)  # its lock, its staging
    again = run_python(WRITE_AND_DIE, shared_sales.folder / "run", run_dir, "finished")
    assert again.code == 0, again.err
    verify(run_dir)
    assert leftovers(run_dir) == []


def test_a_full_disk_while_staging_exits_4_and_keeps_the_old_bundle(
    shared_sales: SharedBundle, tmp_path: Path
) -> None:
    run_dir = shared_sales.copy(tmp_path)
    config = write_config(tmp_path, tmp_path / "sales.csv")
    before = {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()}
    # No file over 20 kB (the network's files are larger), set in the child before it
    # becomes the retrain: what a full disk does to the write that needs the space.
    limited = (
        "import os, resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))\n"
        "os.execv(sys.executable, sys.argv[1:])\n"
    )
    full = run_python(limited, *cli_argv("train", config, "--quiet", *sets(*TINY)))
    assert full.code == 4, full.err
    assert "cannot write the bundle: File too large; the previous bundle" in full.err
    assert {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()} == before
    assert leftovers(run_dir) == []  # the failed run removed its staging directory
    assert len(predict(run_dir).frame) == 6
