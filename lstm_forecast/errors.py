"""The error kinds users see, and every exit code of the ``lstm-forecast`` command
(``ExitCode``: the one place they are defined).

A message names where the problem is (a file, a key, a column, a line) and what is
wrong, so the user can fix it without reading our code. The CLI prints
``lstm-forecast: error: <where>: <what>`` and exits with ``exit_code``.

Workflows are also the Python API, so their messages name the workflow's arguments, not
command-line flags: a message written with ``{name}`` fields lists those names in
``arguments``; ``message`` shows each as the argument's own name (``test_steps``), and the
CLI shows each as its flag (``--test``) through ``message_for``.
"""

from __future__ import annotations

import enum
import functools
import logging
from collections.abc import Mapping, Sequence
from os import PathLike


class ExitCode(enum.IntEnum):
    """What the process's exit status means (docs/commands.md)."""

    OK = 0
    BUG = 1  # an internal error: a bug of ours
    USER_ERROR = 2  # input the user can fix: usage, config, data, paths
    BUNDLE_REFUSED = 3
    ENVIRONMENT = 4  # disk full, permission denied, an output not writable
    ANOMALY = 10  # detect --fail-on-anomaly found one
    LOCKED = 75  # EX_TEMPFAIL: another run holds the lock; try later
    INTERRUPTED = 130  # 128 + SIGINT
    TERMINATED = 143  # 128 + SIGTERM


class LstmForecastError(Exception):
    """Base of every error we raise on purpose. Exit code 1 means a bug.

    ``key``: the config key the message advises changing (a reader that takes no config,
    such as a bundle's, adds how that advice applies); ``arguments``: the workflow
    arguments named by ``{name}`` fields in ``what``.
    """

    exit_code = ExitCode.BUG

    def __init__(
        self,
        what: str,
        *,
        where: str | PathLike[str] | None = None,
        key: str | None = None,
        arguments: Sequence[str] = (),
    ) -> None:
        self.template = what
        self.where = None if where is None else str(where)
        self.key = key
        self.arguments = tuple(arguments)
        super().__init__(self.message)

    @property
    def what(self) -> str:
        return self.what_for({})

    def what_for(self, names: Mapping[str, str]) -> str:
        """What is wrong, each argument shown by its name in ``names`` (default: its own)."""
        what = self.template
        for argument in self.arguments:  # not str.format: paths and values may hold braces
            what = what.replace(f"{{{argument}}}", names.get(argument, argument))
        return what

    @property
    def message(self) -> str:
        return self.message_for({})

    def message_for(self, names: Mapping[str, str]) -> str:
        """Where and what, each argument shown by its name in ``names`` (the CLI's flags)."""
        what = self.what_for(names)
        return what if self.where is None else f"{self.where}: {what}"


class UserError(LstmForecastError):
    """Input the user can fix: usage, config, data, paths (exit 2)."""

    exit_code = ExitCode.USER_ERROR


class ConfigError(UserError):
    """The YAML config is missing, malformed or invalid."""


class DataError(UserError):
    """The CSV does not hold what the config says it holds."""


class BundleError(LstmForecastError):
    """A run directory was refused: missing files, checksum, unsafe content, version (exit 3)."""

    exit_code = ExitCode.BUNDLE_REFUSED


class EnvironmentFailure(LstmForecastError):
    """The environment failed: disk full, permission denied, output not writable (exit 4)."""

    exit_code = ExitCode.ENVIRONMENT


class TrainingDiverged(UserError):
    """Training produced a NaN or infinite loss; no bundle is written."""


class LockHeld(LstmForecastError):
    """Another run holds the lock on the same output (exit 75, EX_TEMPFAIL: try later)."""

    exit_code = ExitCode.LOCKED


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived. Raised like Ctrl-C, so every ``finally`` and staging clean-up runs;
    the CLI exits 143 (128 + SIGTERM) instead of 130."""


def counted(n: int, noun: str) -> str:
    """``1 window``, ``3 windows``: a count and its noun, singular for one."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def first_few(names: Sequence[object], most: int = 10) -> str:
    """``'a', 'b' and 3 more``: a list for a message that stays one short line, however
    many series a global model has."""
    shown = ", ".join(map(repr, names[:most]))
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


@functools.cache
def say_once(logger: logging.Logger, level: int, line: str) -> None:
    """Log ``line`` once a process: a command may read its data file more than once, and
    what the file holds is said once."""
    logger.log(level, line)
