"""``lstm-forecast predict``."""

from __future__ import annotations

from pathlib import Path

import click

from .options import data_option, plot_option, verbose_option
from .process import handles_errors


@click.command()
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(path_type=Path))
@data_option
@click.option(
    "--output",
    "-o",
    "output_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the forecast CSV here (atomically) instead of stdout.",
)
@plot_option
@verbose_option
@handles_errors
def predict(
    run_dir: Path,
    data_path: Path | None,
    output_path: Path | None,
    plot_path: Path | None,
    verbose: bool,
) -> None:
    """Forecast the next horizon steps of every series with the bundle in RUN_DIR."""
    from ..workflows.predict import predict as run_predict

    forecast = run_predict(run_dir, data_path, output=output_path, plot=plot_path)
    if output_path is None:
        click.echo(forecast.to_csv(), nl=False)
