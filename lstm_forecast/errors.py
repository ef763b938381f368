"""The error kinds users see, each with the exit code of DESIGN.md.

A message names where the problem is (a file, a key, a column, a line) and what is
wrong, so the user can fix it without reading our code. The CLI prints
``lstm-forecast: error: <where>: <what>`` and exits with ``exit_code``.
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike


class LstmForecastError(Exception):
    """Base of every error we raise on purpose. Exit code 1 means a bug."""

    exit_code = 1

    def __init__(self, what: str, *, where: str | PathLike[str] | None = None) -> None:
        self.what = what
        self.where = None if where is None else str(where)
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return self.what if self.where is None else f"{self.where}: {self.what}"


class UserError(LstmForecastError):
    """Input the user can fix: usage, config, data, paths (exit 2)."""

    exit_code = 2


class ConfigError(UserError):
    """The YAML config is missing, malformed or invalid."""


class DataError(UserError):
    """The CSV does not hold what the config says it holds."""


class BundleError(LstmForecastError):
    """A run directory was refused: missing files, checksum, unsafe content, version (exit 3)."""

    exit_code = 3


class EnvironmentFailure(LstmForecastError):
    """The environment failed: disk full, permission denied, output not writable (exit 4)."""

    exit_code = 4


class TrainingDiverged(UserError):
    """Training produced a NaN or infinite loss; no bundle is written."""


class LockHeld(LstmForecastError):
    """Another run holds the lock on the same output (exit 75, EX_TEMPFAIL: try later)."""

    exit_code = 75


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived. Raised like Ctrl-C, so every ``finally`` and staging clean-up runs;
    the CLI exits 143 (128 + SIGTERM) instead of 130."""


def first_few(names: Sequence[object], most: int = 10) -> str:
    """``'a', 'b' and 3 more``: a list for a message that stays one short line, however
    many series a global model has."""
    shown = ", ".join(map(repr, names[:most]))
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")
