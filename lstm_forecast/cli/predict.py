"""``lstm-forecast predict``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .options import (
    csv_output_option,
    data_option,
    missing_option,
    plot_option,
    verbose_option,
)
from .process import handles_errors

if TYPE_CHECKING:
    from ..config import MissingPolicy


@click.command()
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(path_type=Path))
@data_option
@csv_output_option("the forecast CSV")
@missing_option
@click.option(
    "--strict-series",
    is_flag=True,
    help="Refuse a series the model was not trained on (default: forecast it from its "
    "own history, with a warning naming it, when the model has no series embedding).",
)
@plot_option
@verbose_option
@handles_errors
def predict(
    run_dir: Path,
    data_path: Path | None,
    output_path: Path | None,
    missing: MissingPolicy | None,
    strict_series: bool,
    plot_path: Path | None,
    verbose: bool,
) -> None:
    """Forecast the next horizon steps of every series with the bundle in RUN_DIR."""
    from ..workflows.predict import predict as run_predict

    forecast = run_predict(
        run_dir,
        data_path,
        output=output_path,
        plot=plot_path,
        missing=missing,
        strict_series=strict_series,
    )
    if output_path is None:
        try:
            forecast.write_csv(sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader stopped reading (``| head``) and wants no more; what is left of
            # the CSV goes nowhere, so that exiting does not write it again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
