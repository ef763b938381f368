"""``lstm-forecast tune``."""

from __future__ import annotations

from pathlib import Path

import click

from .options import output_folder_option, quiet_option, set_option, verbose_option
from .process import echo_err, handles_errors, run_training


@click.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(path_type=Path))
@click.option(
    "--trials",
    type=int,
    default=None,
    help="Configs to try [default: tuning.max_trials].",
)
@output_folder_option("best.yaml and trials.csv", "tune")
@set_option
@quiet_option
@verbose_option
@handles_errors
def tune(
    config_path: Path,
    trials: int | None,
    output_dir: Path | None,
    overrides: tuple[str, ...],
    quiet: bool,
    verbose: bool,
) -> None:
    """Search the tuning space of CONFIG; write the best config and a table of trials."""
    from ..config import load_config
    from ..report.tables import format_tune
    from ..workflows.tune import tune_to_folder

    config = load_config(config_path, overrides)
    result, best, table = run_training(
        lambda hooks: tune_to_folder(config, max_trials=trials, folder=output_dir, hooks=hooks),
        quiet,
    )
    if not quiet:
        echo_err(f"wrote {best} and {table}")
    click.echo(format_tune(result, best))
