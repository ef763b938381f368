"""``lstm-forecast report``."""

from __future__ import annotations

from pathlib import Path

import click

from .options import data_option, file_option, verbose_option
from .process import handles_errors


@click.command()
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(path_type=Path))
@data_option
@click.option(
    "--output",
    "-o",
    "output_path",
    type=click.Path(path_type=Path),
    required=True,
    metavar="FILE",
    help="The page to write (.html), atomically.",
)
@file_option("--explain", "Explain's ranking to show (the CSV `explain --output` wrote).")
@file_option("--events", "Detect's events to show and mark (the CSV `detect --output` wrote).")
@verbose_option
@handles_errors
def report(
    run_dir: Path,
    data_path: Path | None,
    output_path: Path,
    explain: Path | None,
    events: Path | None,
    verbose: bool,
) -> None:
    """Write one self-contained HTML page about the bundle in RUN_DIR (no TensorFlow)."""
    from ..workflows.report import report as run_report

    page = run_report(run_dir, data_path, output=output_path, explanation=explain, events=events)
    click.echo(f"wrote {output_path}: {len(page.series)} series drawn")
