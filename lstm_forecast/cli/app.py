"""The ``lstm-forecast`` command group: each command is imported only when it runs, so
``--help`` and the light commands (``validate``, ``predict``) never load what training
needs."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import click

from .. import __version__


@dataclass(frozen=True)
class _Entry:
    module: str  # lstm_forecast.cli.<module> defines the command, named as it is
    summary: str  # the first line of its help, for the list ``--help`` prints


# Every command; tests/test_cli.py checks each summary against the command's own help.
COMMANDS = {
    "backtest": _Entry(
        "backtest",
        "Rolling-origin evaluation of CONFIG: per-fold metrics of the model and baselines.",
    ),
    "detect": _Entry(
        "detect", "Flag observations outside the calibrated band of the bundle in RUN_DIR."
    ),
    "evaluate": _Entry(
        "evaluate", "Score the bundle in RUN_DIR on the test part against naive baselines."
    ),
    "explain": _Entry(
        "explain", "Rank the inputs driving the forecasts of the bundle in RUN_DIR (no TensorFlow)."
    ),
    "init": _Entry(
        "init", "Write a commented config for the CSV or Parquet file DATA (no TensorFlow)."
    ),
    "predict": _Entry(
        "predict", "Forecast the next horizon steps of every series with the bundle in RUN_DIR."
    ),
    "report": _Entry(
        "report", "Write one self-contained HTML page about the bundle in RUN_DIR (no TensorFlow)."
    ),
    "train": _Entry(
        "train", "Train the model CONFIG describes and write its bundle (run directory)."
    ),
    "tune": _Entry(
        "tune", "Search the tuning space of CONFIG; write the best config and a table of trials."
    ),
    "validate": _Entry("validate", "Check CONFIG and its data without training (no TensorFlow)."),
}


class _LazyGroup(click.Group):
    """A group whose commands are imported by name when one runs (click's documented way
    to keep a CLI's start-up light)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        command = getattr(importlib.import_module(f"{__package__}.{entry.module}"), cmd_name)
        return command if isinstance(command, click.Command) else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list of commands, from ``COMMANDS``: nothing is imported to print it."""
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [
            # A stand-in command shortens the summary exactly as click shortens a help.
            (name, click.Command(name, help=COMMANDS[name].summary).get_short_help_str(limit))
            for name in self.list_commands(ctx)
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lstm-forecast")
def cli() -> None:
    """Train, evaluate and run stacked LSTM forecasters from YAML configs on CSV series.

    \b
      lstm-forecast train configs/airline.yaml
      lstm-forecast evaluate runs/airline
      lstm-forecast predict runs/airline --data new.csv --output forecast.csv
    """


def main() -> None:
    cli(prog_name="lstm-forecast")
