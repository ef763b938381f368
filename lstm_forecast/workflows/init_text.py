"""The text of an ``init`` draft: the config's keys, each with a comment on why it has
its value, and what init could not decide."""

from __future__ import annotations

import json
import os
import re
import unicodedata
from pathlib import Path

from pandas.tseries.frequencies import to_offset

from ..data import Dataset
from ..data.survey import FileSurvey
from ..errors import counted
from .init_plan import MIN_TRAIN_WINDOWS, Plan

_STEPS = {
    "MS": "monthly",
    "ME": "monthly",
    "QS": "quarterly",
    "QE": "quarterly",
    "YS": "annual",
    "YE": "annual",
    "W": "weekly",
    "D": "daily",
    "h": "hourly",
    "min": "minutely",
}


def render(
    survey: FileSurvey, dataset: Dataset, target: str, plan: Plan, season: int, output: Path
) -> str:
    """The config as YAML with comments; every value written as JSON, which YAML reads
    as written (a column named ``yes`` or ``1e3`` stays text)."""
    step = _step_words(dataset.freq)
    lengths = [len(s) for s in dataset.series]
    lines = [
        f"# Drafted by `lstm-forecast init` from {survey.path.name}: {_shape(lengths)}, "
        f"{step} steps.",
        "# Each value says why it was chosen; change any of them, then run",
        f"#   lstm-forecast validate {output}   (checks the data, no training)",
        f"#   lstm-forecast train {output}",
        f"name: {_value(run_name(output.stem))}",
        "data:",
        f"  path: {_value(_relative(survey.path, output.parent))}",
        *_time_lines(survey, dataset),
        *_target_lines(survey, target),
        *_id_lines(survey, dataset),
        f"  # The step between rows, inferred from the times: {step}.",
        f"  freq: {_value(dataset.freq)}",
        *_missing_lines(dataset),
        *_others("  # Left out, not numbers:", survey.text),
        *_others("  # Left out, without a value:", survey.empty),
        "window:",
        *_window_lines(plan, season),
        "split:",
        *_split_lines(plan, dataset),
        *_log_lines(dataset),
        "evaluation:",
        f"  # Seasonal naive and MASE compare with the value one season ({season} steps) back.",
        "  season_length: auto",
    ]
    return "\n".join(lines) + "\n"


def run_name(stem: str) -> str:
    """A valid ``name`` from any file name: accents dropped, every run of other characters
    than letters, digits, '.', '_' and '-' made one '_' (``ventes données 2024`` gives
    ``ventes_donnees_2024``); ``run`` when nothing is left."""
    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", plain).strip("._-")
    return name or "run"


def _time_lines(survey: FileSurvey, dataset: Dataset) -> list[str]:
    first = dataset.series[0].index[0].strftime("%Y-%m-%d %H:%M").removesuffix(" 00:00")
    if survey.time_format is not None:
        how = [
            f"  # The column whose every value reads as a time written {survey.time_format!r}",
            f"  # (its first is {first}): time_format tells the loader, since it is not ISO.",
        ]
    elif survey.time_kind in ("quarters", "decimal years"):
        how = [f"  # The column whose every value reads as a time: {survey.time_kind}, the first"]
        how += [f"  # read as {first}."]
    else:
        how = ["  # The column whose every value reads as a time."]
    fmt = [] if survey.time_format is None else [f"  time_format: {_value(survey.time_format)}"]
    return [
        *how,
        *_others("  # Other columns that read as times, not used:", survey.other_times),
        f"  time_column: {_value(survey.time_column)}",
        *fmt,
    ]


def _target_lines(survey: FileSurvey, target: str) -> list[str]:
    others = [c for c in survey.numeric if c != target]
    if not others:
        return ["  # The file's one numeric column.", f"  target: {_value(target)}"]
    return [
        "  # init could not tell which numeric column you forecast: it took the first",
        "  # (`init --target COLUMN` picks another). A list forecasts several at once.",
        f"  target: {_value(target)}",
        "  # The other numeric columns. As inputs observed in the past (a forecast then",
        "  # needs them up to its origin), uncomment:",
        f"  # features: {_value(others)}",
        "  # Those known ahead for the horizon too (planned promotions, holidays, prices)",
        "  # go here instead; predict then needs their values in rows after the history",
        "  # (target empty):",
        "  # future_features: []",
    ]


def _log_lines(dataset: Dataset) -> list[str]:
    """What ``preprocessing.log: auto`` will do with these targets, said before training."""
    targets = [s.values[:, : dataset.n_targets] for s in dataset.series]
    if any((t <= 0).any() for t in targets):
        return []  # auto takes no logs: nothing to warn about
    return [
        "preprocessing:",
        "  # Every target value is positive: the network works in logs (relative changes).",
        "  # A value <= 0 in later data is read as half the smallest training value, with a",
        "  # warning; false keeps values as they are (for data that can reach zero).",
        "  log: auto",
    ]


def _id_lines(survey: FileSurvey, dataset: Dataset) -> list[str]:
    if survey.id_column is None:
        return []
    return [
        f"  # Long format: the times repeat, once per value of this column; "
        f"{len(dataset.series)} series.",
        f"  id_column: {_value(survey.id_column)}",
    ]


def _missing_lines(dataset: Dataset) -> list[str]:
    inside = sum(int((~s.complete).sum()) for s in dataset.series)
    ends = sum(s.left_out_head + s.left_out_tail for s in dataset.series)
    if not inside + ends:
        return []
    lines = []
    if inside:
        lines.append(
            f"  # {counted(inside, 'row')} inside the series miss a value or a time step: "
            "filled by linear interpolation"
        )
    if ends:
        lines.append(
            f"  # {counted(ends, 'row')} at the start or end of a series miss a value: left "
            "out (a forecast starts at the first left out at the end)"
        )
    return [
        *lines,
        "  # (error refuses the file instead; drop leaves those windows out; ffill repeats).",
        "  missing: interpolate",
    ]


def _window_lines(plan: Plan, season: int) -> list[str]:
    history = f"{plan.lookback} steps" + (
        f" ({_count_seasons(plan.lookback, season)})" if season > 1 else ""
    )
    return [
        f"  # The history each forecast reads: {history}.",
        f"  lookback: {plan.lookback}",
        f"  # Steps forecast at once from each origin{_season_share(plan.horizon, season)}.",
        f"  horizon: {plan.horizon}",
    ]


def _split_lines(plan: Plan, dataset: Dataset) -> list[str]:
    lines = [
        f"  # The last {plan.test} steps of each series are scored by evaluate "
        f"({counted(plan.test - plan.horizon + 1, 'forecast origin')});",
        f"  # the {plan.validation} before them choose the training's best epoch. This leaves",
        f"  # a series of {plan.fitted_to} rows {counted(_train_windows(plan), 'training window')}"
        f" (init asks {MIN_TRAIN_WINDOWS} or more).",
    ]
    if plan.too_short:
        lines.append(
            f"  # {plan.too_short} of {len(dataset.series)} series are shorter: train skips "
            "them, naming each."
        )
    return [*lines, f"  validation: {plan.validation}", f"  test: {plan.test}"]


def _train_windows(plan: Plan) -> int:
    train_rows = plan.fitted_to - plan.validation - plan.test
    return train_rows - plan.lookback - plan.horizon + 1


def _season_share(horizon: int, season: int) -> str:
    if season <= 1:
        return ""
    if horizon == season:
        return ": one season"
    return f" ({_count_seasons(horizon, season)})"


def _count_seasons(steps: int, season: int) -> str:
    n = steps / season
    return f"{n:g} season{'' if n == 1 else 's'} of {season}"


def _others(heading: str, columns: tuple[str, ...]) -> list[str]:
    return [f"{heading} {', '.join(map(_value, columns))}"] if columns else []


def _shape(lengths: list[int]) -> str:
    if len(lengths) == 1:
        return f"one series of {lengths[0]} rows"
    return f"{len(lengths)} series of {min(lengths)} to {max(lengths)} rows"


def _step_words(freq: str) -> str:
    offset = to_offset(freq)
    name = _STEPS.get(offset.name.split("-")[0])
    if name is None or offset.n != 1:
        return f"every {freq}"
    return f"{name} ({freq})"


def _relative(path: Path, folder: Path) -> str:
    """``path`` as the config will resolve it: relative to its folder where it can be."""
    try:
        return os.path.relpath(path.resolve(), folder.resolve())
    except ValueError:  # another drive (Windows)
        return str(path.resolve())


def _value(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
