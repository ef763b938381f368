"""``init``: draft a commented config from a data file, one a user can train at once.

The file's columns are surveyed (``data.survey``), the loader reads it as the draft says
(frequency, gaps, series lengths), the window and split are chosen to fit the shortest
series, and the draft is checked as ``validate`` checks a config before it is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..config import Config, DataConfig, config_from_text
from ..data import Dataset, load_dataset
from ..data.hints import number_hint
from ..data.survey import FileCaps, FileSurvey, survey_file
from ..data.timeindex import season_length_for
from ..errors import DataError, EnvironmentFailure, UserError, counted
from .init_plan import Plan, plan_windows
from .init_text import render
from .validate import validate


@dataclass(frozen=True)
class Draft:
    """A drafted config: its text with comments, and the config as train will read it."""

    text: str
    config: Config
    survey: FileSurvey
    dataset: Dataset
    plan: Plan
    season: int


def init(data_path: Path, output: Path, target: str | None = None) -> Draft:
    """Draft a config for the file at ``data_path``, check it, and write it to ``output``.

    Raises:
        UserError: ``output`` exists (init never overwrites a file), or the data cannot
            be drafted for (the message says what init could not decide).
    """
    if output.exists():
        raise UserError(
            "exists; init never overwrites a file: name another with {output}, or delete this one",
            where=output,
            arguments=("output",),
        )
    draft = draft_config(data_path, output, target)
    write_new(output, draft.text)
    return draft


def draft_config(data_path: Path, output: Path, target: str | None = None) -> Draft:
    """The draft for ``data_path``, as if written to ``output``, checked by ``validate``."""
    defaults = DataConfig.model_fields
    caps = FileCaps(defaults["max_file_mb"].default, defaults["max_rows"].default)
    survey = survey_file(data_path, caps)
    chosen = _target(survey, target)
    data = DataConfig(
        path=data_path,
        time_column=survey.time_column,
        time_format=survey.time_format,
        target=chosen,
        id_column=survey.id_column,
        missing="drop",  # keeps the gaps visible as NaN, to tell whether there are any
    )
    dataset = load_dataset(data)
    season = season_length_for(dataset.freq)
    names = [str(s.id) for s in dataset.series] if survey.id_column is not None else []
    plan = plan_windows([len(s) for s in dataset.series], season, names)
    text = render(survey, dataset, chosen, plan, season, output)
    config = config_from_text(text, output)
    validate(config)  # what train checks first: the draft must pass it
    return Draft(text=text, config=config, survey=survey, dataset=dataset, plan=plan, season=season)


def _target(survey: FileSurvey, target: str | None) -> str:
    if target is None:
        if not survey.numeric:
            raise DataError(
                f"no numeric column to forecast besides the time ({survey.time_column!r})"
                + _text_columns(survey),
                where=survey.path,
            )
        return survey.numeric[0]
    if target not in survey.numeric:
        raise DataError(
            f"--target {target!r} is not a numeric column of the file; the numeric "
            f"columns are {', '.join(map(repr, survey.numeric)) or 'none'}",
            where=survey.path,
        )
    return target


def _text_columns(survey: FileSurvey) -> str:
    """What the columns of text hold, when a number was expected among them."""
    if not survey.text:
        return ""
    name, value = survey.text[0], survey.text_examples[0]
    others = f" ({counted(len(survey.text) - 1, 'other column')} of text too)" * (
        len(survey.text) > 1
    )
    return f"; column {name!r} holds text such as {value!r}{number_hint(value)}{others}"


def write_new(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, which must not exist (checked by the filesystem, so a
    file made meanwhile is never overwritten)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except FileExistsError:
        raise UserError("exists; init never overwrites a file", where=path) from None
    except OSError as exc:
        raise EnvironmentFailure(f"cannot write the config: {exc.strerror}", where=path) from None
