"""No lost forecast from a race: retrains swap new bundles into the run directory while
predict processes forecast from it in a loop. Every predict succeeds, and every forecast
is exactly one of the bundles' own."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from lstm_forecast.workflows.predict import predict

from .helpers import TINY, monthly_frame, run_cli, sets, start_python, write_config, write_csv

pytestmark = pytest.mark.slow

RETRAINS, READERS = 3, 4

# A reader: predict in a loop (the CLI in this process, as `lstm-forecast predict RUN_DIR
# -o FILE` runs), each forecast to its own file, each exit code to the log, until the
# stop file appears (or two minutes pass).
READER = """
import sys, time
from pathlib import Path
from lstm_forecast.cli.app import cli

run_dir, folder, stop = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
folder.mkdir()
deadline = time.monotonic() + 120
k = 0
with open(folder / "codes.txt", "w") as log:
    while not stop.exists() and time.monotonic() < deadline:
        k += 1
        try:
            cli(["predict", str(run_dir), "-o", str(folder / f"{k}.csv")], standalone_mode=False)
            code = 0
        except SystemExit as done:
            code = done.code
        log.write(f"{k} {code}\\n")
        log.flush()
        time.sleep(0.1)  # hourly cron jobs, not a busy loop starving the retrains
"""


def test_predicts_racing_retrains_never_fail_and_each_gets_one_bundle(tmp_path: Path) -> None:
    config = write_config(tmp_path, write_csv(tmp_path / "sales.csv", monthly_frame(72)))
    run_dir, snapshots = tmp_path / "run", tmp_path / "snapshots"
    train = [
        "train",
        config,
        "--quiet",
        *sets(*TINY, "model.serve=network", f"output.dir={run_dir}"),
    ]
    assert run_cli(*train).code == 0
    shutil.copytree(run_dir, snapshots / "0")
    stop = tmp_path / "stop"
    readers = [start_python(READER, run_dir, tmp_path / f"reader{k}", stop) for k in range(READERS)]
    try:
        time.sleep(3)  # the readers are in their loops
        for seed in range(1, RETRAINS + 1):
            # In this process (TensorFlow loaded once): the swap is the same as a cron
            # retrain's, and the readers are the processes under test.
            done = run_cli(*train, "--set", f"training.seed={seed}")
            assert done.code == 0, done.err
            shutil.copytree(run_dir, snapshots / str(seed))  # no other writer: it is whole
    finally:
        stop.touch()
        for reader in readers:
            reader.communicate(timeout=150)  # closes its stdout pipe too
            assert reader.returncode == 0
    # Each bundle's own forecast, computed after the race.
    own = {predict(snapshots / str(k)).to_csv() for k in range(RETRAINS + 1)}
    assert len(own) == RETRAINS + 1  # the seeds give four different forecasts
    seen = set()
    total = 0
    for k in range(READERS):
        folder = tmp_path / f"reader{k}"
        for line in (folder / "codes.txt").read_text().splitlines():
            number, code = line.split()
            assert code == "0", f"reader {k}, predict {number} exited {code}"
            forecast = (folder / f"{number}.csv").read_text()
            assert forecast in own, f"reader {k}, predict {number}: a forecast of no bundle"
            seen.add(forecast)
            total += 1
    assert total >= 4 * READERS, total  # the loops ran through the retrains
    assert len(seen) >= 2, "no predict saw a retrain's bundle"
    print(  # for the record (pytest -rP shows it)
        f"{total} predicts by {READERS} readers during {RETRAINS} retrains, every one exit 0, "
        f"each forecast one of the {len(own)} bundles' own; {len(seen)} different seen"
    )
