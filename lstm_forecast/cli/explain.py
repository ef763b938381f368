"""``lstm-forecast explain``."""

from __future__ import annotations

from pathlib import Path

import click

from .options import csv_output_option, data_option, plot_option, test_steps_option, verbose_option
from .process import handles_errors


@click.command()
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(path_type=Path))
@data_option
@test_steps_option("Explain on")
@csv_output_option("the importance table as CSV")
@click.option(
    "--repeats",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Shuffles of each input (their spread is reported).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the shuffles.")
@plot_option
@verbose_option
@handles_errors
def explain(
    run_dir: Path,
    data_path: Path | None,
    test_steps: int | None,
    output_path: Path | None,
    repeats: int,
    seed: int,
    plot_path: Path | None,
    verbose: bool,
) -> None:
    """Rank the inputs driving the forecasts of the bundle in RUN_DIR (no TensorFlow)."""
    from ..report.tables import format_importance
    from ..workflows.explain import explain as run_explain

    explanation = run_explain(
        run_dir,
        data_path,
        test_steps=test_steps,
        repeats=repeats,
        seed=seed,
        output=output_path,
        plot=plot_path,
    )
    click.echo(format_importance(explanation))
