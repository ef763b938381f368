"""``lstm-forecast detect``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import ExitCode
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


gap_option = click.option(
    "--gap",
    type=int,
    default=None,
    help="Flags with at most this many unflagged rows between them are one event "
    "(default: a season of the data, or the horizon if longer).",
)
fail_on_anomaly_option = click.option(
    "--fail-on-anomaly",
    is_flag=True,
    help=f"Exit {ExitCode.ANOMALY:d} when an event is new (not in the memory beside --output "
    "from an earlier run; the report is written as usual), for cron alerting.",
)
threshold_option = click.option(
    "--threshold",
    type=float,
    default=None,
    help="Flag an observation when its tail probability under the band is below this "
    "(such as 0.001), instead of when it falls outside the band.",
)
rows_option = click.option(
    "--rows",
    is_flag=True,
    help="Report every checked observation instead of one row per event.",
)


@click.command()
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(path_type=Path))
@data_option
@csv_output_option("the report CSV")
@click.option(
    "--step",
    type=int,
    default=1,
    show_default=True,
    help="Forecast each observation this many steps ahead (1 to the horizon).",
)
@click.option(
    "--last",
    type=int,
    default=None,
    help="Check each series' last N rows instead of the rows after the training data.",
)
@missing_option
@threshold_option
@gap_option
@rows_option
@fail_on_anomaly_option
@plot_option
@verbose_option
@handles_errors
def detect(
    run_dir: Path,
    data_path: Path | None,
    output_path: Path | None,
    step: int,
    last: int | None,
    missing: MissingPolicy | None,
    threshold: float | None,
    gap: int | None,
    rows: bool,
    fail_on_anomaly: bool,
    plot_path: Path | None,
    verbose: bool,
) -> None:
    """Flag observations outside the calibrated band of the bundle in RUN_DIR."""
    from ..workflows.detect import detect as run_detect

    found = run_detect(
        run_dir,
        data_path,
        step=step,
        last=last,
        output=output_path,
        plot=plot_path,
        missing=missing,
        gap=gap,
        rows=rows,
        threshold=threshold,
    )
    if output_path is None:
        click.echo(found.to_csv(rows), nl=False)
    click.echo(found.summary(), err=True)
    if fail_on_anomaly and found.n_new:
        sys.exit(ExitCode.ANOMALY)
