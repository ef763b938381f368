"""``detect``: observations outside the calibrated band are flagged with how far outside
they fall; injected spikes and level shifts are found; ``--fail-on-anomaly`` exits 10;
no TensorFlow on the way."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.bundle.store import load_bundle, write_manifest
from lstm_forecast.scoring.tails import tail_distance, tail_probability

from .helpers import (
    assert_one_line_error,
    cli_argv,
    heavy_modules_loaded,
    run_cli,
    run_process,
    run_python,
    train_daily_point_model,
    write_config,
    write_long_csv,
)

pytestmark = pytest.mark.slow

HEAVY = ("tensorflow", "keras", "tf2onnx")

TRAIN_DAYS, NEW_DAYS, LOOKBACK = 400, 120, 28
SPIKES = (10, 25, 47, 66, 90, 104)  # days after the training data
SHIFT = 75  # a lasting level shift from this day on


def _daily(seed: int, days: int) -> np.ndarray:
    """A weekly cycle around a level, with noise of standard deviation 1."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    return 50 + seed + 5 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1, days)


def _frames(days: int) -> dict[str, pd.DataFrame]:
    index = pd.date_range("2020-01-01", periods=days, freq="D").strftime("%Y-%m-%d")
    return {f"m{k}": pd.DataFrame({"day": index, "load": _daily(k, days)}) for k in range(3)}


def _injected(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The same series with spikes of 8 noise deviations (alternating up and down) and a
    level shift of 6 after the training data."""
    changed = {}
    for sid, frame in frames.items():
        load = frame["load"].to_numpy().copy()
        for k, day in enumerate(SPIKES):
            load[TRAIN_DAYS + day] += 8 if k % 2 == 0 else -8
        load[TRAIN_DAYS + SHIFT :] += 6
        changed[sid] = frame.assign(load=load)
    return changed


@pytest.fixture(scope="module")
def monitor(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1-99 % band model trained on the first 400 days of three series."""
    folder = tmp_path_factory.mktemp("detect")
    frames = {sid: f.iloc[:TRAIN_DAYS] for sid, f in _frames(TRAIN_DAYS + NEW_DAYS).items()}
    config = write_config(
        folder,
        write_long_csv(folder / "train.csv", frames, id_column="machine"),
        data={"time_column": "day", "target": "load", "id_column": "machine"},
        window={"lookback": LOOKBACK, "horizon": 7},
        split={"validation": 56, "test": 0},
        model={"layers": [16], "quantiles": [0.01, 0.5, 0.99]},
        training={"epochs": 20, "early_stopping_patience": 5},
    )
    ran = run_cli("train", config, "--quiet")
    assert ran.code == 0, ran.err
    return folder / "run"


def test_injected_spikes_and_level_shifts_are_found(monitor: Path, tmp_path: Path) -> None:
    """Recall over the spikes and the shift's first day; precision over every flag, a
    flag within a lookback after the shift counting as found (the level did change)."""
    data = write_long_csv(
        tmp_path / "new.csv", _injected(_frames(TRAIN_DAYS + NEW_DAYS)), "machine"
    )
    ran = run_cli("detect", monitor, "--data", data, "--rows")
    assert ran.code == 0, ran.err
    report = pd.read_csv(io.StringIO(ran.out))
    assert list(report.columns) == [
        "series",
        "time",
        "actual",
        "forecast",
        "lower",
        "upper",
        "score",
        "tail_probability",
        "anomaly",
    ]
    assert len(report) == 3 * NEW_DAYS
    day = (pd.to_datetime(report["time"]) - pd.Timestamp("2020-01-01")).dt.days - TRAIN_DAYS
    spike = day.isin(SPIKES)
    after_shift = (day >= SHIFT) & (day < SHIFT + LOOKBACK)
    flagged = report["anomaly"].astype(bool)
    found = (flagged & spike).sum() + (flagged & (day == SHIFT)).sum()
    recall = found / (3 * (len(SPIKES) + 1))
    precision = (flagged & (spike | after_shift)).sum() / flagged.sum()
    assert recall >= 0.9 and precision >= 0.8, (recall, precision, flagged.sum())
    assert (report.loc[flagged, "score"] > 0).all() and (report.loc[~flagged, "score"] == 0).all()
    inside = (report["actual"] >= report["lower"]) & (report["actual"] <= report["upper"])
    assert (inside == ~flagged).all()


def test_fail_on_anomaly_exits_10_only_when_something_is_flagged(
    monitor: Path, tmp_path: Path
) -> None:
    frames = _frames(TRAIN_DAYS + NEW_DAYS)
    injected = write_long_csv(tmp_path / "injected.csv", _injected(frames), "machine")
    ran = run_process(
        *("detect", monitor, "--data", injected, "--fail-on-anomaly", "--rows"),
        *("-o", tmp_path / "r.csv"),
    )
    assert ran.code == 10, ran.err
    flagged = int(pd.read_csv(tmp_path / "r.csv")["anomaly"].sum())
    assert f"{flagged} of {3 * NEW_DAYS} observations outside the 1-99 % band" in ran.err
    ran = run_process("detect", monitor, "--data", injected)  # without the flag: reported only
    assert ran.code == 0, ran.err
    # One row per series, each set to the model's own forecast of it: nothing to flag.
    clean = {sid: f.iloc[: TRAIN_DAYS + 1] for sid, f in frames.items()}
    first = run_cli(
        "detect", monitor, "--data", write_long_csv(tmp_path / "c.csv", clean, "machine"), "--rows"
    )
    forecasts = pd.read_csv(io.StringIO(first.out)).set_index("series")["forecast"]
    for sid, frame in clean.items():
        frame.loc[TRAIN_DAYS, "load"] = forecasts[sid]
    exact = write_long_csv(tmp_path / "exact.csv", clean, "machine")
    ran = run_process("detect", monitor, "--data", exact, "--fail-on-anomaly")
    assert ran.code == 0, ran.err
    assert "0 of 3 observations outside" in ran.err


def test_detect_never_imports_tensorflow(monitor: Path, tmp_path: Path) -> None:
    args = [str(monitor), "--last", "30", "-o", str(tmp_path / "r.csv")]
    loaded = heavy_modules_loaded(
        ["detect", *args, "--rows", "--plot", str(tmp_path / "r.png")], HEAVY
    )
    assert loaded == []
    assert len(pd.read_csv(tmp_path / "r.csv")) == 3 * 30
    assert (tmp_path / "r.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--step", "8"], ["--step 8: the model forecasts steps 1 to 7"]),
        (["--last", "0"], ["--last 0: give a number of rows, 1 or more"]),
        (["--last", "5", "--gap", "-1"], ["--gap -1: give a number of rows, 0 or more"]),
        (["--last", "5", "--threshold", "0.7"], ["--threshold 0.7: give a tail probability"]),
        ([], ["no rows after the model's training data to check", "--last N"]),
    ],
    ids=["step-past-horizon", "last-zero", "negative-gap", "threshold-past-half", "nothing-new"],
)
def test_bad_detect_requests_are_refused(
    monitor: Path, args: list[str], fragments: list[str]
) -> None:
    ran = run_cli("detect", monitor, *args)
    assert_one_line_error(ran.code, ran.err, 2, *fragments)


def test_series_shorter_than_the_lookback_are_refused_with_the_numbers(
    monitor: Path, tmp_path: Path
) -> None:
    frames = {sid: f.iloc[:6] for sid, f in _frames(6).items()}
    data = write_long_csv(tmp_path / "short.csv", frames, id_column="machine")
    ran = run_process("detect", monitor, "--data", data, "--last", "6")
    assert_one_line_error(
        ran.code,
        ran.err,
        2,
        f"no row of the last 6 has a complete lookback of {LOOKBACK} rows",
        "(the longest series has 6 rows)",
    )


def test_a_point_model_is_refused_with_what_to_set(tmp_path: Path) -> None:
    frame = _frames(200)["m0"]
    run_dir = train_daily_point_model(tmp_path, frame)
    ran = run_cli("detect", run_dir, "--last", "5")
    assert_one_line_error(ran.code, ran.err, 2, "forecasts points only", "model.quantiles=")


def test_an_excursion_of_many_rows_is_one_event(monitor: Path, tmp_path: Path) -> None:
    """Twenty days far above the band on one series: one event from its first day past its
    last, peaking where the score is highest."""
    frames = _frames(TRAIN_DAYS + NEW_DAYS)
    load = frames["m1"]["load"].to_numpy().copy()
    start = TRAIN_DAYS + 30
    load[start : start + 20] += 12
    frames["m1"] = frames["m1"].assign(load=load)
    data = write_long_csv(tmp_path / "excursion.csv", frames, "machine")
    rows = pd.read_csv(io.StringIO(run_cli("detect", monitor, "--data", data, "--rows").out))
    plot = tmp_path / "e.png"
    ran = run_cli("detect", monitor, "--data", data, "--fail-on-anomaly", "--plot", plot)
    assert ran.code == 10, ran.err
    events = pd.read_csv(io.StringIO(ran.out))
    assert list(events.columns) == [
        "series", "start", "end", "peak_time", "peak_value", "forecast", "lower", "upper",
        "severity", "flagged_rows", "new",
    ]  # fmt: skip
    days = frames["m1"]["day"]
    on_it = events[
        (events["series"] == "m1")
        & (events["start"] <= days[start + 19])
        & (events["end"] >= days[start])
    ]
    assert len(on_it) == 1, events  # the whole excursion, and the days a season after it
    (event,) = on_it.itertuples()
    assert event.start == days[start] and event.end >= days[start + 19]
    assert event.flagged_rows >= 20
    inside = rows[(rows["series"] == "m1") & rows["time"].between(event.start, event.end)]
    peak = inside.loc[inside["score"].idxmax()]
    assert (event.peak_time, event.peak_value) == (peak["time"], peak["actual"])
    assert event.severity == pytest.approx(peak["score"], rel=1e-6)
    assert len(events) == len(events.drop_duplicates(["series", "start"]))
    assert f"{int(rows['anomaly'].sum())} of {len(rows)} observations" in ran.err
    assert f"in {len(events)} event(s)" in ran.err
    # Without merging, the same flags are as many events as runs of adjacent flags.
    apart = pd.read_csv(io.StringIO(run_cli("detect", monitor, "--data", data, "--gap", "0").out))
    assert len(apart) >= len(events)
    assert apart["flagged_rows"].sum() == events["flagged_rows"].sum()


def test_a_stricter_threshold_flags_fewer_and_still_finds_the_spikes(
    monitor: Path, tmp_path: Path
) -> None:
    """Without retraining: a tail probability of one in ten thousand flags fewer rows than
    the 1-99 % band, and still the spikes of 8 noise deviations."""
    data = write_long_csv(
        tmp_path / "new.csv", _injected(_frames(TRAIN_DAYS + NEW_DAYS)), "machine"
    )
    band = pd.read_csv(io.StringIO(run_cli("detect", monitor, "--data", data, "--rows").out))
    ran = run_cli("detect", monitor, "--data", data, "--rows", "--threshold", "1e-4")
    assert ran.code == 0, ran.err
    strict = pd.read_csv(io.StringIO(ran.out))
    assert (
        "observations with a tail probability under 0.0001 (1-99 % band, calibrated on" in ran.err
    )
    assert (strict["anomaly"] == (strict["tail_probability"] < 1e-4)).all()
    assert strict["anomaly"].sum() < band["anomaly"].sum()
    day = (pd.to_datetime(strict["time"]) - pd.Timestamp("2020-01-01")).dt.days - TRAIN_DAYS
    spikes = day.isin(SPIKES)
    assert strict.loc[spikes, "anomaly"].mean() >= 0.9


def _up_to(day: int) -> dict[str, pd.DataFrame]:
    """The injected series up to ``day`` days after the training data."""
    frames = _injected(_frames(TRAIN_DAYS + NEW_DAYS))
    return {sid: frame.iloc[: TRAIN_DAYS + day] for sid, frame in frames.items()}


def test_a_rerun_over_overlapping_data_reports_only_new_events(
    monitor: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.csv"

    def run(day: int) -> tuple[int, pd.DataFrame, str]:
        data = write_long_csv(tmp_path / f"upto{day}.csv", _up_to(day), "machine")
        ran = run_process("detect", monitor, "--data", data, "-o", report, "--fail-on-anomaly")
        return ran.code, pd.read_csv(report), ran.err

    code, first, _ = run(60)
    assert code == 10 and first["new"].all() and len(first) > 0
    code, second, err = run(NEW_DAYS)  # the first 60 days again, and 60 more
    assert code == 10, err
    old = second["start"] <= first["end"].max()  # the days the first run checked
    assert not second.loc[old, "new"].any() and second.loc[~old, "new"].all()
    assert f"in {len(second)} event(s), {int((~old).sum())} new" in err
    code, third, err = run(NEW_DAYS)  # nothing new at all
    assert code == 0 and not third["new"].any(), err
    assert f"in {len(third)} event(s), 0 new" in err


# detect, SIGKILLed as it replaces the memory file: after the report, before the memory.
KILLED_WRITING_MEMORY = """
import os, signal, sys
real_replace = os.replace

def replace(source, target):
    if str(target).endswith(".events.json"):
        os.kill(os.getpid(), signal.SIGKILL)
    return real_replace(source, target)

os.replace = replace
from lstm_forecast.cli import cli
cli(sys.argv[1:], prog_name="lstm-forecast")
"""


def test_a_run_killed_writing_its_memory_leaves_the_previous_one_readable(
    monitor: Path, tmp_path: Path
) -> None:
    """The previous memory stays whole; the next run reports the killed run's new events
    again (twice rather than never) and cleans up what the killed one left."""
    report = tmp_path / "report.csv"
    memory = tmp_path / "report.csv.events.json"
    early = write_long_csv(tmp_path / "early.csv", _up_to(60), "machine")
    later = write_long_csv(tmp_path / "later.csv", _up_to(NEW_DAYS), "machine")
    assert run_process("detect", monitor, "--data", early, "-o", report).code == 0
    before = memory.read_text()
    args = cli_argv("detect", monitor, "--data", later, "-o", report)[3:]  # after -m module
    killed = run_python(KILLED_WRITING_MEMORY, *args)
    assert killed.code == -9, killed.err
    assert memory.read_text() == before
    assert [p.name for p in tmp_path.glob(".report.csv.events.json.tmp-*")]  # its leftover
    again = run_process("detect", monitor, "--data", later, "-o", report, "--fail-on-anomaly")
    assert again.code == 10 and pd.read_csv(report)["new"].any(), again.err
    assert not list(tmp_path.glob(".report.csv*"))


def test_the_threshold_is_a_share_of_normal_rows_from_the_validation_part(
    monitor: Path, tmp_path: Path
) -> None:
    """Training measured how far out of the band the validation rows fell
    (``tails.json``): a row's tail probability is the share of those rows at least as far
    out, so a threshold flags about that share of later normal rows."""
    bundle = load_bundle(monitor)
    assert bundle.tails is not None and (monitor / "tails.json").is_file()
    assert bundle.tails.rows == 3 * (56 - 7 + 1)  # every validation origin of each series
    clean = write_long_csv(tmp_path / "clean.csv", _frames(TRAIN_DAYS + NEW_DAYS), "machine")
    ran = run_cli("detect", monitor, "--data", clean, "--rows", "--threshold", "0.1")
    assert ran.code == 0, ran.err
    assert "(1-99 % band, calibrated on 150 validation rows)" in ran.err
    rows, band = _band_of(ran.out)
    expected = bundle.tails.probability(tail_distance(*band, (0.01, 0.99)), 1)
    # The CSV's eight digits move the distances in their seventh.
    assert np.allclose(rows["tail_probability"], expected, rtol=1e-4, atol=1e-12)
    assert 0.05 <= rows["anomaly"].mean() <= 0.2


def test_a_bundle_without_a_calibration_reads_the_band_as_normal_tails(
    monitor: Path, tmp_path: Path
) -> None:
    """A bundle from before the calibration (no ``tails.json``) keeps the band's normal
    reading."""
    older = tmp_path / "older"
    shutil.copytree(monitor, older)
    (older / "tails.json").unlink()
    write_manifest(older)
    data = write_long_csv(
        tmp_path / "new.csv", _injected(_frames(TRAIN_DAYS + NEW_DAYS)), "machine"
    )
    ran = run_cli("detect", older, "--data", data, "--rows", "--threshold", "1e-4")
    assert ran.code == 0, ran.err
    assert "with a tail probability under 0.0001 (1-99 % band) (1 step(s)" in ran.err
    rows, band = _band_of(ran.out)
    expected = tail_probability(*band, (0.01, 0.99))
    assert np.allclose(rows["tail_probability"], expected, rtol=1e-3, atol=1e-300)
    assert (rows["anomaly"] == (rows["tail_probability"] < 1e-4)).all()


def _band_of(report: str) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """``detect --rows``' report, and its actual, forecast, lower and upper columns."""
    rows = pd.read_csv(io.StringIO(report))
    return rows, [rows[c].to_numpy() for c in ("actual", "forecast", "lower", "upper")]
