"""``lstm-forecast backtest``."""

from __future__ import annotations

from pathlib import Path

import click

from .options import output_folder_option, quiet_option, set_option, verbose_option
from .process import echo_err, handles_errors, run_training


@click.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(path_type=Path))
@click.option(
    "--folds",
    default=3,
    show_default=True,
    type=int,
    help="Forecast origins; their horizons tile the last FOLDS x horizon rows.",
)
@click.option(
    "--refit", is_flag=True, help="Train a fresh model for each fold on the data before its origin."
)
@output_folder_option("backtest.csv and backtest.png", "backtest")
@set_option
@quiet_option
@verbose_option
@handles_errors
def backtest(
    config_path: Path,
    folds: int,
    refit: bool,
    output_dir: Path | None,
    overrides: tuple[str, ...],
    quiet: bool,
    verbose: bool,
) -> None:
    """Rolling-origin evaluation of CONFIG: per-fold metrics of the model and baselines."""
    from ..config import load_config
    from ..report.tables import format_backtest
    from ..workflows.backtest import BACKTEST_CSV, BACKTEST_PLOT, backtest_to_folder

    config = load_config(config_path, overrides)
    result, folder = run_training(
        lambda hooks: backtest_to_folder(
            config, folds, refit=refit, folder=output_dir, hooks=hooks
        ),
        quiet,
    )
    if not quiet:
        echo_err(
            f"trained in {result.seconds:.1f}s; wrote {folder / BACKTEST_CSV} and "
            f"{folder / BACKTEST_PLOT}"
        )
    click.echo(format_backtest(result))
