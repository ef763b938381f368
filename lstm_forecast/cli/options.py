"""Options several commands share, defined once so they read the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

# A workflow's argument (as the Python API names it, in an error's message) -> the flag
# that sets it on the command line: errors are shown with these.
FLAGS = {
    "data_path": "--data",
    "output": "--output",
    "forecasts": "--forecasts",
    "folder": "--output",
    "plot": "--plot",
    "missing": "--missing",
    "strict_series": "--strict-series",
    "test_steps": "--test",
    "step": "--step",
    "last": "--last",
    "gap": "--gap",
    "threshold": "--threshold",
    "repeats": "--repeats",
    "folds": "--folds",
    "max_trials": "--trials",
    "overrides": "--set",
}

set_option = click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="SECTION.KEY=VALUE",
    help="Override a config key, e.g. --set training.epochs=5 (repeatable).",
)


verbose_option = click.option(
    "--verbose", "-v", is_flag=True, help="Show TensorFlow's logs, and a traceback on errors."
)


quiet_option = click.option(
    "--quiet", "-q", is_flag=True, help="No progress output or notes; warnings still go to stderr."
)


data_option = click.option(
    "--data",
    "data_path",
    type=click.Path(path_type=Path),
    default=None,
    help="CSV or Parquet file to use instead of the training data recorded in the bundle.",
)


def output_folder_option(files: str, suffix: str) -> Callable[[F], F]:
    return click.option(
        "--output",
        "-o",
        "output_dir",
        type=click.Path(path_type=Path),
        default=None,
        help=f"Folder for {files} [default: <output.dir>-{suffix}].",
    )


plot_option = click.option(
    "--plot",
    "plot_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Also draw the figure to this file: .png, .svg or .pdf.",
)


# data.missing's values (config/schema.py; a test keeps the two the same), written out so
# that --help does not import the config schema.
MISSING_POLICIES = ("error", "drop", "ffill", "interpolate")

missing_option = click.option(
    "--missing",
    type=click.Choice(MISSING_POLICIES),
    default=None,
    help="How to read gaps and empty values in the data, instead of the bundle's "
    "data.missing (e.g. ffill for a feed that skipped an hour).",
)


def file_option(flag: str, help_text: str) -> Callable[[F], F]:
    """An option naming a FILE a command writes or reads; its value goes to the flag's
    name."""
    return click.option(
        flag, type=click.Path(path_type=Path), default=None, metavar="FILE", help=help_text
    )


def csv_output_option(what: str) -> Callable[[F], F]:
    return click.option(
        "--output",
        "-o",
        "output_path",
        type=click.Path(path_type=Path),
        default=None,
        help=f"Write {what} here (atomically) instead of stdout.",
    )


def test_steps_option(what: str) -> Callable[[F], F]:
    return click.option(
        "--test",
        "test_steps",
        type=click.IntRange(min=1),
        default=None,
        metavar="STEPS",
        help=f"{what} the last STEPS rows of each series (at least the horizon) instead of "
        "the bundle's split.test: a bundle trained on everything can be scored on newer data.",
    )
