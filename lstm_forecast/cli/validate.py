"""``lstm-forecast validate``."""

from __future__ import annotations

from pathlib import Path

import click

from .options import set_option, verbose_option
from .process import handles_errors


@click.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(path_type=Path))
@set_option
@verbose_option
@handles_errors
def validate(config_path: Path, overrides: tuple[str, ...], verbose: bool) -> None:
    """Check CONFIG and its data without training (no TensorFlow)."""
    from ..config import load_config
    from ..report.tables import format_validation
    from ..workflows.validate import validate as run_validate

    summary = run_validate(load_config(config_path, overrides))
    click.echo(
        format_validation(
            config_path,
            summary.dataset,
            summary.prepared,
            summary.windows,
            summary.run_dir,
            summary.replaces_bundle,
        )
    )
