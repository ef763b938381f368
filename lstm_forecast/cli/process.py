"""How a command runs as a process: our errors as one line and their exit codes, SIGTERM
as an interruption that cleans up, TensorFlow's log noise silenced, progress on stderr."""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import click

from ..errors import ExitCode, LstmForecastError, Terminated
from ..nn.hooks import TrainingHooks
from .options import FLAGS

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def handles_errors(command: F) -> F:
    """Print our errors as one line and exit with their code; bugs exit 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        verbose = bool(kwargs.get("verbose"))
        _configure_output(verbose=verbose, quiet=bool(kwargs.get("quiet")))
        try:
            with _native_stderr_silenced(not verbose), _sigterm_interrupts():
                return command(*args, **kwargs)
        except LstmForecastError as exc:
            _fail(exc.message_for(FLAGS), exc.exit_code, verbose)
        except KeyboardInterrupt as exc:
            # Every staging directory and temporary file was removed on the way out.
            terminated = isinstance(exc, Terminated)
            _fail(
                f"interrupted ({'SIGTERM' if terminated else 'SIGINT'}); nothing was "
                "written and previous outputs are intact",
                ExitCode.TERMINATED if terminated else ExitCode.INTERRUPTED,
                verbose,
            )
        except Exception as exc:  # a bug: say so briefly, keep the traceback for --verbose
            _fail(
                f"internal error: {type(exc).__name__}: {exc} (rerun with --verbose for "
                "the traceback)",
                ExitCode.BUG,
                verbose,
            )

    return wrapper  # type: ignore[return-value]


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Turn SIGTERM (cron's timeout, systemd, kill) into an exception like Ctrl-C's, so
    the run unwinds and cleans up instead of dying mid-write."""

    def terminate(signum: int, frame: Any) -> None:
        raise Terminated()

    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set in the main thread
        return
    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _fail(message: str, code: int, verbose: bool) -> None:
    if verbose:
        traceback.print_exc(file=sys.stderr)
    one_line = " ".join(message.split())
    click.echo(f"lstm-forecast: error: {one_line}", err=True)
    raise click.exceptions.Exit(code)


@contextlib.contextmanager
def _native_stderr_silenced(silence: bool) -> Iterator[None]:
    """Send what native code writes to file descriptor 2 (TensorFlow's C++ logs, which no
    setting silences) to /dev/null, while Python's ``sys.stderr`` keeps the real stderr."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        fd = -1  # not a real file (e.g. click's CliRunner): nothing native can reach it
    if not silence or fd != 2:
        yield
        return
    python_stderr = sys.stderr
    python_stderr.flush()
    real_stderr = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    # Closed in the finally below, which also restores descriptor 2.
    sys.stderr = open(  # noqa: SIM115
        real_stderr, "w", buffering=1, encoding=python_stderr.encoding, errors="backslashreplace"
    )
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(real_stderr, 2)
        sys.stderr.close()
        sys.stderr = python_stderr


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of the record."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def _configure_output(*, verbose: bool, quiet: bool) -> None:
    """Silence TensorFlow's C++ and Python log noise unless --verbose; route our warnings."""
    if not verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        for module in ("keras", "tensorflow", "absl"):
            warnings.filterwarnings("ignore", module=module)
    logger = logging.getLogger("lstm_forecast")
    if not logger.handlers:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("lstm-forecast: %(levelname)s: %(message)s"))
        logger.addHandler(handler)
    # --quiet drops progress and notes, never warnings: a cron log must still show them.
    logger.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)


def run_training(work: Callable[[TrainingHooks], T], quiet: bool) -> T:
    """Run a training workflow with progress on stderr: Keras' bar on a terminal, one line
    per epoch otherwise, nothing with --quiet."""
    if quiet:
        return work(TrainingHooks())
    if sys.stderr.isatty():
        # Keras draws its bar on stdout; results own stdout, so the bar goes to stderr.
        with contextlib.redirect_stdout(sys.stderr):
            return work(TrainingHooks(verbose=1))
    return work(TrainingHooks(progress=echo_err))


def echo_err(line: str) -> None:
    click.echo(line, err=True)
