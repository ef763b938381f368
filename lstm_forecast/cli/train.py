"""``lstm-forecast train``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import counted
from .options import quiet_option, set_option, verbose_option
from .process import echo_err, handles_errors, run_training

if TYPE_CHECKING:  # the workflow imports TensorFlow's callers: only once a run starts
    from ..workflows.train import TrainReport

# Beyond this many series, stdout gets the mean and this many worst series; metrics.json
# in the bundle has every one (a file of 10,000 series printed 30,000 lines).
SERIES_PRINTED = 10


@click.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(path_type=Path))
@set_option
@click.option(
    "--init-from",
    "init_from",
    type=click.Path(path_type=Path),
    default=None,
    metavar="RUN_DIR",
    help="Start from this bundle's network (warm start; training.init_from).",
)
@quiet_option
@verbose_option
@handles_errors
def train(
    config_path: Path,
    overrides: tuple[str, ...],
    init_from: Path | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Train the model CONFIG describes and write its bundle (run directory)."""
    from ..workflows.preflight import load_config_unless_locked

    if init_from is not None:  # a path from the command line: relative to the working folder
        overrides = (*overrides, f"training.init_from={init_from.absolute()}")
    # A locked run stops here, before the imports below, which are slow.
    config = load_config_unless_locked(config_path, overrides)
    from ..bundle.layout import METRICS_FILE
    from ..report.tables import format_against_naives, format_table
    from ..workflows.train import train as run_train

    report = run_training(lambda hooks: run_train(config, hooks=hooks), quiet)
    if not quiet:
        for line in _training_lines(report):
            echo_err(line)
    rest = "" if report.run_dir is None else f"every series in {report.run_dir / METRICS_FILE}"
    click.echo(format_table(report.evaluation, most=SERIES_PRINTED, rest=rest))
    if report.against_naives is not None and not quiet:
        echo_err(format_against_naives(report.against_naives))


def _training_lines(report: TrainReport) -> list[str]:
    """How long it trained, where the bundle went, and the validation loss beside that of
    the baseline the network corrects."""
    written = (
        f"bundle written to {report.run_dir}"
        if report.run_dir is not None
        else f"{report.worker}: the chief writes the bundle"
    )
    validation = report.history.get("val_loss")
    best = f"best epoch {report.best_epoch}" + (
        f", val_loss {validation[report.best_epoch - 1]:.6g}" if validation else ""
    )
    lines = [
        f"trained {counted(len(report.history['loss']), 'epoch')} in {report.seconds:.1f}s "
        f"({best}); {written}"
    ]
    ratio = report.val_loss_ratio
    if ratio is not None:
        change = f"{100 * (1 - ratio):.0f} % lower" if ratio < 1 else "not lower"
        lines.append(
            f"validation loss {report.best_val_loss:.6g} against {report.baseline_val_loss:.6g}"
            f" for the {report.baseline} forecast the network corrects ({change}; "
            f"{counted(report.validation_windows, 'window')})"
        )
    return lines
