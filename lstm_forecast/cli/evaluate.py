"""``lstm-forecast evaluate``."""

from __future__ import annotations

from pathlib import Path

import click

from .options import data_option, file_option, plot_option, test_steps_option, verbose_option
from .process import echo_err, handles_errors


@click.command()
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(path_type=Path))
@data_option
@test_steps_option("Score")
@plot_option
@file_option(
    "--output", "Write the metrics at full precision, by series and overall (.json or .csv)."
)
@file_option("--forecasts", "Write every scored origin's forecasts beside the actuals (long CSV).")
@verbose_option
@handles_errors
def evaluate(
    run_dir: Path,
    data_path: Path | None,
    test_steps: int | None,
    plot_path: Path | None,
    output: Path | None,
    forecasts: Path | None,
    verbose: bool,
) -> None:
    """Score the bundle in RUN_DIR on the test part against naive baselines."""
    from ..report.tables import format_part, format_table
    from ..scoring.naives import PartScores
    from ..workflows.evaluate import evaluate as run_evaluate

    evaluation = run_evaluate(
        run_dir,
        data_path,
        plot=plot_path,
        test_steps=test_steps,
        output=output,
        forecasts=forecasts,
    )
    click.echo(format_table(evaluation))
    scores = PartScores.of("test", evaluation)
    if scores is not None:
        echo_err(format_part(scores))
