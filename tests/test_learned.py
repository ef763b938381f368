"""After training, train says what the network added to the baseline it corrects, and
warns when that is little."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.workflows.train import TrainReport
from lstm_forecast.workflows.train import _learned_little as learned_little_words

from .helpers import (
    REPO,
    TINY,
    cli_argv,
    cron_env,
    monthly_frame,
    run_cli,
    sets,
    write_config,
    write_csv,
)


def report(
    val_losses: list[float], best_epoch: int, baseline_val_loss: float, windows: int = 5
) -> TrainReport:
    return TrainReport(
        run_dir=None,
        evaluation=None,  # type: ignore[arg-type]  # not read here
        history={"loss": val_losses, "val_loss": val_losses},
        best_epoch=best_epoch,
        seconds=1.0,
        baseline="naive",
        baseline_val_loss=baseline_val_loss,
        validation_windows=windows,
    )


@pytest.mark.parametrize(
    ("losses", "best", "little"),
    [
        ([0.9, 0.5, 0.4, 0.3, 0.35], 4, False),  # learned for a while, well below the baseline
        ([0.9, 0.95, 1.0], 1, True),  # stopped at once
        ([1.2, 1.1, 1.05, 1.02, 1.1], 4, True),  # never below the baseline's 1.0
    ],
)
def test_learned_little_when_early_or_not_below_the_baseline(
    losses: list[float], best: int, little: bool
) -> None:
    assert report(losses, best, 1.0).learned_little is little


def test_on_one_validation_window_the_advice_is_a_longer_validation_not_a_lookback() -> None:
    one = learned_little_words(report([0.9, 0.95, 1.0], 1, 1.0, windows=1))
    assert "This rests on 1 validation window: a longer split.validation" in one
    assert "lookback" not in one
    many = learned_little_words(report([0.9, 0.95, 1.0], 1, 1.0, windows=40))
    assert "a shorter window.lookback" in many


@pytest.mark.slow
def test_train_says_what_the_network_added_to_its_baseline(tmp_path: Path) -> None:
    config = write_config(tmp_path, write_csv(tmp_path / "sales.csv", monthly_frame(96)))
    ran = run_cli(
        "train",
        config,
        *sets(*TINY, "training.epochs=8", "model.serve=network", "model.baseline=seasonal_naive"),
    )
    assert ran.code == 0, ran.err
    line = re.search(
        r"validation loss [\d.e-]+ against [\d.e-]+ for the (seasonal naive|naive) forecast "
        r"the network corrects \((\d+ % lower|not lower); \d+ windows?\)",
        ran.err,
    )
    assert line is not None, ran.err
    # And on the test part, the model beside both naives' rows of the table.
    test_line = re.search(
        r"test MASE ([\d.]+) against naive ([\d.]+) and seasonal naive ([\d.]+) \(\d+ origins\)",
        ran.err,
    )
    assert test_line is not None, ran.err
    rows = {r.split()[0]: r.split()[-1] for r in ran.out.splitlines()[2:5]}
    assert [rows[m] for m in ("model", "naive", "seasonal_naive")] == list(test_line.groups())
    served = f"the bundle serves the network's forecasts, correcting the {line.group(1)} forecast"
    assert ran.err.rstrip().endswith(served), ran.err


@pytest.mark.slow
def test_train_warns_when_the_network_adds_little(tmp_path: Path) -> None:
    months = pd.date_range("2000-01", periods=96, freq="MS").strftime("%Y-%m")
    noise = 100 + np.random.default_rng(0).normal(size=96)  # nothing to learn
    data = write_csv(tmp_path / "noise.csv", pd.DataFrame({"month": months, "sales": noise}))
    # Served alone (a bundle serving the smoothing forecast says it as INFO), judged on
    # 7 validation windows (on 1 the advice is a longer validation part).
    config = write_config(tmp_path, data, split={"validation": 12, "test": 12})
    ran = run_cli("train", config, *sets(*TINY, "model.serve=network", "model.baseline=naive"))
    assert ran.code == 0, ran.err
    warning = re.search(
        r"WARNING: the network (does not beat|stopped improving on) the naive forecast it "
        r"corrects.*7 windows\): it learned little from this data\. Try more data, a shorter "
        r"window\.lookback, or model\.baseline: none",
        ran.err,
    )
    assert warning is not None, ran.err


@pytest.mark.slow
def test_the_readme_cron_line_logs_the_warning_quiet_hides_only_progress(tmp_path: Path) -> None:
    """The README's cron line (``train ... --quiet >> logs/train.log 2>&1``) run as cron
    runs it: a real process, no HOME or terminal, stdout and stderr into one log."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "--init-from runs/sales --quiet >> logs/train.log 2>&1" in readme
    months = pd.date_range("2000-01", periods=96, freq="MS").strftime("%Y-%m")
    noise = 100 + np.random.default_rng(0).normal(size=96)  # nothing to learn: stops early
    data = write_csv(tmp_path / "noise.csv", pd.DataFrame({"month": months, "sales": noise}))
    config = write_config(tmp_path, data)
    log = tmp_path / "train.log"
    with log.open("w") as sink:
        ran = subprocess.run(
            [*cli_argv("train", config, *sets(*TINY, "model.serve=network"), "--quiet")],
            cwd=REPO,
            env=cron_env(),
            stdout=sink,
            stderr=subprocess.STDOUT,
            timeout=300,
            check=False,
        )
    text = log.read_text(encoding="utf-8")
    assert ran.returncode == 0, text
    assert "lstm-forecast: WARNING: the network " in text and "it learned little" in text, text
    assert "epoch 1/" not in text and "INFO" not in text, text
