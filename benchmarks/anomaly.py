"""`detect` on a labelled series: ``../shared/datasets/anomaly/`` (one series of the
TSB-AD benchmark, from NAB: a facility machine's 5-minute readings, 3 labelled anomalies;
its README). A quantile model is trained on the benchmark's training part (the first
1,007 rows), then `detect` checks every later row; scored by row and by event at the
band and at a few thresholds (one training, no retraining between them):

- by row: precision, recall, and the average precision of ranking rows by their tail
  probability (the area under the precision-recall curve; TSB-AD's VUS-PR averages such
  curves over label buffers and is not computed here, so the published VUS-PR figures
  printed beside it are for scale only);
- by event: labelled windows found (an event overlapping one), false events (overlapping
  none) per week of normal rows;
- NAB's standard profile as the issue states it: +1 for each window found, -1 for each
  missed, -0.11 for each flagged row outside every window (NAB's full scorer also weighs
  a find by how early it comes; not done here).

``generated``: 12 hourly series with a daily cycle, one global model on their first 1,200
clean rows; then spikes, level shifts and drifts injected in the next 1,200 rows, checked
at ``--threshold`` (3e-4 unless given): event recall and false events per 1,000 normal rows
by kind.

A threshold flags by the bundle's tail probability: calibrated at training on how far out
of the band the validation rows fell (``tails.json``), so about that share of normal rows
is flagged; the band's normal reading where the bundle has no calibration.

    uv run --group bench python benchmarks/anomaly.py
    uv run --group bench python benchmarks/anomaly.py --set training.seed=7
    uv run --group bench python benchmarks/anomaly.py generated
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from lstm_forecast.workflows.detect import Detection

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "datasets" / "anomaly"
TRAIN_ROWS = 1007  # the benchmark's training part
ROWS_PER_WEEK = 7 * 24 * 12  # 5-minute readings
THRESHOLDS = (None, 1e-3, 3e-4, 1e-4, 1e-5, 1e-6)  # None: outside the 1-99 % band


def calibration_words(found: Detection) -> str:
    """What the bundle's tail probabilities were read against."""
    calibration = found.rule.calibration
    if calibration is None:
        return "the band's normal reading (no calibration in the bundle)"
    return f"calibrated on {calibration.rows:,} validation rows a step"


def runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) row of each run of True."""
    edges = np.flatnonzero(np.diff(np.r_[0, flags.astype(int), 0]))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the precision-recall curve of ranking by ``scores`` (step-wise)."""
    order = np.argsort(-scores, kind="stable")
    hits = labels[order].astype(float)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / max(hits.sum(), 1.0))


def score(
    labels: np.ndarray, flagged: np.ndarray, events: list[tuple[int, int]]
) -> dict[str, float]:
    windows = runs(labels)
    found = sum(any(a <= e and b >= s for s, e in events) for a, b in windows)
    false_events = sum(not any(a <= e and b >= s for a, b in windows) for s, e in events)
    normal_weeks = (~labels.astype(bool)).sum() / ROWS_PER_WEEK
    false_rows = int((flagged & ~labels.astype(bool)).sum())
    return {
        "row precision": float((flagged & labels.astype(bool)).sum() / max(flagged.sum(), 1)),
        "row recall": float((flagged & labels.astype(bool)).sum() / max(labels.sum(), 1)),
        "windows found": found,
        "windows": len(windows),
        "false events / week": false_events / normal_weeks,
        "NAB (simple)": found - (len(windows) - found) - 0.11 * false_rows,
    }


def train_band_model(
    base: Path, data: dict[str, str], validation: int, overrides: list[str]
) -> None:
    """A 1-99 % quantile model of ``base / "train.csv"`` (time, value and ``data``'s other
    keys), lookback 48, horizon 6, trained into ``base / "run"``."""
    import lstm_forecast as lf

    config = {
        "data": {"path": str(base / "train.csv"), "time_column": "time", "target": "value", **data},
        "window": {"lookback": 48, "horizon": 6},
        "split": {"validation": validation, "test": 0},
        "model": {"quantiles": [0.01, 0.5, 0.99]},
        "output": {"dir": str(base / "run")},
    }
    (base / "config.yaml").write_text(yaml.safe_dump(config))
    lf.train(lf.load_config(base / "config.yaml", overrides))


def facility(overrides: list[str], gap: int | None) -> None:
    import lstm_forecast as lf

    raw = pd.read_csv(DATA / "tsbad_001_nab_facility.csv")
    times = pd.date_range("2014-01-01", periods=len(raw), freq="5min")
    frame = pd.DataFrame({"time": times.strftime("%Y-%m-%dT%H:%M"), "value": raw["Data"]})
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        frame.iloc[:TRAIN_ROWS].to_csv(base / "train.csv", index=False)
        frame.to_csv(base / "all.csv", index=False)
        train_band_model(base, {}, 200, overrides)
        results = {}
        for threshold in THRESHOLDS:
            found = lf.detect(base / "run", base / "all.csv", threshold=threshold, gap=gap)
            rows = found.frame
            checked = TRAIN_ROWS + np.arange(len(rows))
            labels = raw["Label"].to_numpy()[checked]
            flagged = rows["anomaly"].to_numpy(dtype=bool)
            found_events = found.events
            position = {t: k for k, t in enumerate(rows["time"])}
            events = [
                (position[s], position[e])
                for s, e in zip(found_events["start"], found_events["end"], strict=True)
            ]
            name = "1-99 % band" if threshold is None else f"threshold {threshold:g}"
            results[name] = score(labels, flagged, events) | {"events": len(events)}
        ap = average_precision(labels, 1 - rows["tail_probability"].to_numpy())
    print(f"rows checked: {len(rows)} (after the {TRAIN_ROWS} training rows)")
    print(f"tail probabilities: {calibration_words(found)}")
    print(f"labelled rows among them: {int(labels.sum())}; gap: {found.gap} rows")
    print(f"average precision of the tail probability by row: {ap:.3f}")
    published = pd.read_csv(DATA / "tsbad_001_published_vus_pr.csv").set_index("method")["vus_pr"]
    shown = ["MOMENT (FT)", "FITS", "AutoEncoder", "POLY", "TimesNet", "CNN", "LSTMAD", "IForest"]
    print(
        "published VUS-PR (another metric, for scale): "
        + ", ".join(f"{m} {published[m]:.2f}" for m in shown)
    )
    columns = list(next(iter(results.values())))
    print("\n| flags | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for name, row in results.items():
        cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row.values()]
        print(f"| {name} | " + " | ".join(cells) + " |")


# The generated suite: hourly series with a daily cycle and noise of deviation 1, one
# global model trained on their first TRAIN_HOURS clean rows; then per kind, each series
# gets its anomalies in the next CHECK_HOURS rows.
SERIES, TRAIN_HOURS, CHECK_HOURS = 12, 1200, 1200
KINDS = ("spike", "level shift", "drift")


def clean_series(seed: int, hours: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(hours)
    return 20 + seed + 4 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 1, hours)


def inject(
    values: np.ndarray, kind: str, rng: np.random.Generator
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """``values`` with anomalies of ``kind`` in its checked part, and where each may be
    flagged (first, last checked row): a spike of 6 deviations at its row; a level shift
    of 5 within a day of its start; a drift (1 deviation a day for 5 days, then back)
    while it lasts and a day after."""
    changed, where = values.copy(), []
    if kind == "spike":
        for row in rng.choice(np.arange(48, CHECK_HOURS - 48, 97), size=5, replace=False):
            changed[TRAIN_HOURS + row] += rng.choice([-6.0, 6.0])
            where.append((row, row))
    elif kind == "level shift":
        row = int(rng.integers(200, CHECK_HOURS - 300))
        changed[TRAIN_HOURS + row :] += 5.0
        where.append((row, row + 24))
    else:
        row = int(rng.integers(200, CHECK_HOURS - 300))
        ramp = np.arange(120) / 24.0
        changed[TRAIN_HOURS + row : TRAIN_HOURS + row + 120] += ramp
        where.append((row, row + 120 + 24))  # its return to the level is a step of 5
    return changed, where


def generated(overrides: list[str], threshold: float) -> None:
    import lstm_forecast as lf

    hours = TRAIN_HOURS + CHECK_HOURS
    times = pd.date_range("2024-01-01", periods=hours, freq="h").strftime("%Y-%m-%dT%H:%M")
    clean = {f"s{k}": clean_series(k, hours) for k in range(SERIES)}
    rng = np.random.default_rng(0)
    print("| kind | anomalies | found | recall | false events | normal rows | per 1,000 rows |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        train = pd.concat(
            pd.DataFrame({"time": times[:TRAIN_HOURS], "id": sid, "value": v[:TRAIN_HOURS]})
            for sid, v in clean.items()
        )
        train.to_csv(base / "train.csv", index=False)
        train_band_model(base, {"id_column": "id"}, 120, overrides)
        for kind in KINDS:
            frames, truth = [], {}
            for sid, values in clean.items():
                changed, truth[sid] = inject(values, kind, rng)
                frames.append(pd.DataFrame({"time": times, "id": sid, "value": changed}))
            pd.concat(frames).to_csv(base / f"{kind}.csv", index=False)
            found = lf.detect(base / "run", base / f"{kind}.csv", threshold=threshold)
            found_events = found.events
            position = {t: k for k, t in enumerate(times[TRAIN_HOURS:])}
            hits = false = anomalies = normal = 0
            for sid, where in truth.items():
                own = found_events[found_events["series"] == sid]
                spans = [
                    (position[a], position[b])
                    for a, b in zip(own["start"], own["end"], strict=True)
                ]
                anomalies += len(where)
                hits += sum(any(s <= b and e >= a for s, e in spans) for a, b in where)
                false += sum(not any(s <= b and e >= a for a, b in where) for s, e in spans)
                normal += CHECK_HOURS - sum(b - a + 1 for a, b in where)
            print(
                f"| {kind} | {anomalies} | {hits} | {hits / anomalies:.2f} | {false} | {normal} | "
                f"{1000 * false / normal:.2f} |"
            )
    print(f"\nthreshold {threshold:g}; tail probabilities: {calibration_words(found)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", nargs="?", choices=["facility", "generated"], default="facility")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--gap", type=int, default=None, help="facility: detect's --gap")
    parser.add_argument(
        "--threshold", type=float, default=3e-4, help="generated: detect's --threshold"
    )
    args = parser.parse_args()
    if args.suite == "facility":
        facility(args.overrides, args.gap)
    else:
        generated(args.overrides, args.threshold)


if __name__ == "__main__":
    main()
