"""``lstm-forecast init``."""

from __future__ import annotations

from pathlib import Path

import click

from .options import verbose_option
from .process import handles_errors


@click.command()
@click.argument("data_path", metavar="DATA", type=click.Path(path_type=Path))
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Path(path_type=Path),
    default=None,
    help="The config file to write; never overwritten [default: <DATA's stem>.yaml].",
)
@click.option(
    "--target",
    default=None,
    metavar="COLUMN",
    help="The column to forecast [default: the file's first numeric column].",
)
@verbose_option
@handles_errors
def init(data_path: Path, output: Path | None, target: str | None, verbose: bool) -> None:
    """Write a commented config for the CSV or Parquet file DATA (no TensorFlow).

    \b
    It finds the time column, the frequency, a column naming the series of a
    long-format file and the numeric columns; proposes a lookback, a horizon and a
    validation and test part that every series has room for; and says why in a comment
    beside each key. The config is checked as `validate` checks one before it is written.
    """
    from ..report.tables import format_draft
    from ..workflows.init import init as run_init

    output = output if output is not None else Path(f"{data_path.stem}.yaml")
    draft = run_init(data_path, output, target)
    click.echo(format_draft(output, draft.config, draft.dataset, draft.plan.too_short))
