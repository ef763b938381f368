"""The ``lstm-forecast`` command: parse, call one workflow, print, map errors to exit codes.

Results go to stdout, progress and messages to stderr. Nothing here imports TensorFlow
at import time: ``--help`` and ``validate`` stay fast.
"""

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
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from . import __version__
from .errors import LstmForecastError, Terminated, UserError

if TYPE_CHECKING:
    from .config import Config
    from .workflows import Summary

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM

_set_option = click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="SECTION.KEY=VALUE",
    help="Override a config key, e.g. --set training.epochs=5 (repeatable).",
)
_verbose_option = click.option(
    "--verbose", "-v", is_flag=True, help="Show TensorFlow's logs, and a traceback on errors."
)
_quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress output.")
_data_option = click.option(
    "--data",
    "data_path",
    type=click.Path(path_type=Path),
    default=None,
    help="CSV or Parquet file to use instead of the training data recorded in the bundle.",
)


def _output_folder_option(files: str, suffix: str) -> Callable[[F], F]:
    return click.option(
        "--output",
        "-o",
        "output_dir",
        type=click.Path(path_type=Path),
        default=None,
        help=f"Folder for {files} [default: <output.dir>-{suffix}].",
    )


# What ``--plot`` writes, by the file's suffix (matplotlib's Agg backend draws each).
PLOT_FORMATS = ("png", "svg", "pdf")

_plot_option = click.option(
    "--plot",
    "plot_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Also draw the figure to this file: .png, .svg or .pdf.",
)


def _handles_errors(command: F) -> F:
    """Print our errors as one line and exit with their code; bugs exit 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        verbose = bool(kwargs.get("verbose"))
        _configure_output(verbose=verbose, quiet=bool(kwargs.get("quiet")))
        try:
            with _native_stderr_silenced(not verbose), _sigterm_interrupts():
                return command(*args, **kwargs)
        except LstmForecastError as exc:
            _fail(exc.message, exc.exit_code, verbose)
        except KeyboardInterrupt as exc:
            # Every staging directory and temporary file was removed on the way out.
            terminated = isinstance(exc, Terminated)
            _fail(
                f"interrupted ({'SIGTERM' if terminated else 'SIGINT'}); nothing was "
                "written and previous outputs are intact",
                EXIT_TERMINATED if terminated else EXIT_INTERRUPTED,
                verbose,
            )
        except Exception as exc:  # a bug: say so briefly, keep the traceback for --verbose
            _fail(
                f"internal error: {type(exc).__name__}: {exc} (rerun with --verbose for "
                "the traceback)",
                1,
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
    logger.setLevel(logging.ERROR if quiet else logging.DEBUG if verbose else logging.INFO)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lstm-forecast")
def cli() -> None:
    """Train, evaluate and run stacked LSTM forecasters from YAML configs on CSV series.

    \b
      lstm-forecast train configs/airline.yaml
      lstm-forecast evaluate runs/airline
      lstm-forecast predict runs/airline --data new.csv --output forecast.csv
    """


@cli.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(path_type=Path))
@_set_option
@_verbose_option
@_handles_errors
def validate(config_path: Path, overrides: tuple[str, ...], verbose: bool) -> None:
    """Check CONFIG and its data without training (no TensorFlow)."""
    from .config import load_config
    from .workflows import validate as run_validate

    config = load_config(config_path, overrides)
    summary = run_validate(config)
    click.echo(_format_summary(config_path, summary))


@cli.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(path_type=Path))
@_set_option
@_quiet_option
@_verbose_option
@_handles_errors
def train(config_path: Path, overrides: tuple[str, ...], quiet: bool, verbose: bool) -> None:
    """Train the model CONFIG describes and write its bundle (run directory)."""
    from .bundle import check_target
    from .config import raw_config, validate_config
    from .distribute import cluster_role
    from .locking import check_unlocked

    raw = raw_config(config_path, overrides)
    output = raw["output"].get("dir") if isinstance(raw["output"], dict) else None
    training = raw.get("training")
    distribute = training.get("distribute") if isinstance(training, dict) else None
    role = cluster_role(distribute if isinstance(distribute, str) else "none")
    if isinstance(output, str) and role.is_chief:
        # Before validation, which may import pandas: a locked run stops at once.
        check_target(Path(output))
        check_unlocked(Path(output))
    config = validate_config(raw, where=str(config_path))
    from .evaluation import format_table
    from .workflows import train as run_train

    report = _run_training(lambda **kw: run_train(config, **kw), quiet)
    if not quiet:
        written = (
            f"bundle written to {report.run_dir}"
            if report.run_dir is not None
            else f"{role.describe()}: the chief writes the bundle"
        )
        validation = report.history.get("val_loss")
        best = f"best epoch {report.best_epoch}" + (
            f", val_loss {validation[report.best_epoch - 1]:.6g}" if validation else ""
        )
        _echo_err(
            f"trained {len(report.history['loss'])} epochs in {report.seconds:.1f}s "
            f"({best}); {written}"
        )
    click.echo(format_table(report.evaluation))


@cli.command()
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(path_type=Path))
@_data_option
@_plot_option
@_verbose_option
@_handles_errors
def evaluate(run_dir: Path, data_path: Path | None, plot_path: Path | None, verbose: bool) -> None:
    """Score the bundle in RUN_DIR on the test part against naive baselines."""
    from .evaluation import format_table
    from .workflows import evaluate as run_evaluate

    with _locked_outputs(plot=plot_path):
        evaluation = run_evaluate(run_dir, data_path)
        if plot_path is not None:
            from . import plots

            _save_figure(plots.test_forecast_figure(evaluation), plot_path)
    click.echo(format_table(evaluation))


@cli.command()
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(path_type=Path))
@_data_option
@click.option(
    "--output",
    "-o",
    "output_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the forecast CSV here (atomically) instead of stdout.",
)
@_plot_option
@_verbose_option
@_handles_errors
def predict(
    run_dir: Path,
    data_path: Path | None,
    output_path: Path | None,
    plot_path: Path | None,
    verbose: bool,
) -> None:
    """Forecast the next horizon steps of every series with the bundle in RUN_DIR."""
    with _locked_outputs(output=output_path, plot=plot_path):
        from .atomic import write_text_atomically
        from .workflows import predict as run_predict

        forecast = run_predict(run_dir, data_path)
        text = forecast.frame.to_csv(index=False, float_format="%.8g")
        if output_path is None:
            click.echo(text, nl=False)
        else:
            write_text_atomically(output_path, text)
        if plot_path is not None:
            from . import plots

            figure = plots.future_forecast_figure(forecast.dataset, forecast.futures)
            _save_figure(figure, plot_path)


@cli.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(path_type=Path))
@click.option(
    "--folds",
    default=3,
    show_default=True,
    type=click.IntRange(min=1),
    help="Forecast origins; their horizons tile the last FOLDS x horizon rows.",
)
@click.option(
    "--refit", is_flag=True, help="Train a fresh model for each fold on the data before its origin."
)
@_output_folder_option("backtest.csv and backtest.png", "backtest")
@_set_option
@_quiet_option
@_verbose_option
@_handles_errors
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
    from .atomic import locked_target, make_folder, write_text_atomically
    from .backtest import backtest as run_backtest
    from .backtest import format_backtest
    from .config import load_config

    config = load_config(config_path, overrides)
    folder = _output_folder(config, output_dir, "backtest", "backtest.csv")
    with locked_target(folder):
        make_folder(folder)  # before training, so a folder we cannot make costs nothing
        result = _run_training(lambda **kw: run_backtest(config, folds, refit=refit, **kw), quiet)
        write_text_atomically(
            folder / "backtest.csv", result.table().to_csv(index=False, float_format="%.6g")
        )
        from . import plots

        _save_figure(plots.backtest_figure(result.folds), folder / "backtest.png")
    if not quiet:
        _echo_err(
            f"trained in {result.seconds:.1f}s; wrote {folder / 'backtest.csv'} and "
            f"{folder / 'backtest.png'}"
        )
    click.echo(format_backtest(result))


@cli.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(path_type=Path))
@click.option(
    "--trials",
    type=click.IntRange(min=1),
    default=None,
    help="Configs to try [default: tuning.max_trials].",
)
@_output_folder_option("best.yaml and trials.csv", "tune")
@_set_option
@_quiet_option
@_verbose_option
@_handles_errors
def tune(
    config_path: Path,
    trials: int | None,
    output_dir: Path | None,
    overrides: tuple[str, ...],
    quiet: bool,
    verbose: bool,
) -> None:
    """Search the tuning space of CONFIG; write the best config and a table of trials."""
    from .atomic import locked_target, make_folder
    from .config import load_config
    from .tune import check_tunable, format_tune, write_results
    from .tune import tune as run_tune

    config = load_config(config_path, overrides)
    check_tunable(config)
    folder = _output_folder(config, output_dir, "tune", "best.yaml")
    with locked_target(folder):
        make_folder(folder)
        result = _run_training(lambda **kw: run_tune(config, max_trials=trials, **kw), quiet)
        best, table = write_results(result, folder)
    if not quiet:
        _echo_err(f"wrote {best} and {table}")
    click.echo(format_tune(result, best))


def main() -> None:
    cli(prog_name="lstm-forecast")


def _run_training(work: Callable[..., T], quiet: bool) -> T:
    """Run a training workflow with progress on stderr: Keras' bar on a terminal, one line
    per epoch otherwise, nothing with --quiet."""
    if quiet:
        return work()
    if sys.stderr.isatty():
        # Keras draws its bar on stdout; results own stdout, so the bar goes to stderr.
        with contextlib.redirect_stdout(sys.stderr):
            return work(verbose=1)
    return work(progress=_echo_err)


def _echo_err(line: str) -> None:
    click.echo(line, err=True)


def _output_folder(config: Config, given: Path | None, suffix: str, first_file: str) -> Path:
    """``--output``, or ``<output.dir>-<suffix>``, checked to take ``first_file``."""
    folder = given or config.run_dir.with_name(f"{config.run_dir.name}-{suffix}")
    _check_output_path(folder / first_file, may_create_folder=True)
    return folder


def _check_output_path(path: Path | None, may_create_folder: bool = False) -> None:
    """Refuse an output file we could not write, before any work is done."""
    if path is None:
        return
    if path.is_dir():
        raise UserError("is a directory; give a file name", where=path)
    parent = path.parent
    if may_create_folder:
        existing = next(p for p in (parent, *parent.parents) if p.exists())
        if not existing.is_dir():
            raise UserError(f"the output's folder {parent} has a file in its path", where=path)
        return
    if not parent.is_dir():
        what = "is a file" if parent.exists() else "does not exist"
        raise UserError(f"the output's folder {parent} {what}", where=path)


@contextlib.contextmanager
def _locked_outputs(output: Path | None = None, plot: Path | None = None) -> Iterator[None]:
    """Check the ``--output`` and ``--plot`` files can be written, then hold their locks
    for the block."""
    from .atomic import locked_target

    chosen = [p for p in (output, plot) if p is not None]
    for path in chosen:
        _check_output_path(path)
    if plot is not None:
        _plot_format(plot)
        if output is not None and os.path.realpath(output) == os.path.realpath(plot):
            raise UserError("--output and --plot name the same file", where=plot)
    with contextlib.ExitStack() as stack:
        for path in chosen:
            stack.enter_context(locked_target(path))
        yield


def _plot_format(path: Path) -> str:
    """The figure format ``path``'s suffix names; any other suffix is refused, so that a
    slip such as ``--plot forecast.csv`` never overwrites a CSV with an image."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in PLOT_FORMATS:
        raise UserError(
            f"--plot: a figure is written as {', '.join('.' + f for f in PLOT_FORMATS)}; "
            + (f"this name ends in {path.suffix!r}" if path.suffix else "this name has no suffix"),
            where=path,
        )
    return suffix


def _save_figure(figure: Any, path: Path) -> None:
    from .atomic import write_bytes_atomically

    buffer = io.BytesIO()
    figure.savefig(buffer, format=_plot_format(path), dpi=100)
    write_bytes_atomically(path, buffer.getvalue())


def _format_summary(config_path: Path, summary: Summary) -> str:
    dataset, prepared = summary.dataset, summary.prepared
    rows = sum(len(s) for s in dataset.series)
    parts = {"train": 0, "validation": 0, "test": 0}
    for b in prepared.bounds:
        parts["train"] += b.train_end
        parts["validation"] += b.validation_size
        parts["test"] += b.test_size
    count = len(dataset.series)
    lines = [
        f"{config_path}: ok",
        f"data: {dataset.path}: {count} series, {rows} rows, frequency {dataset.freq}, "
        f"columns {', '.join(dataset.columns)}",
        "split (rows): " + ", ".join(f"{k} {v}" for k, v in parts.items()),
        *(
            [f"skipped: {len(prepared.skipped)} series too short to train on (see the warnings)"]
            if prepared.skipped
            else []
        ),
        "windows: " + ", ".join(f"{k} {v}" for k, v in summary.windows.items()),
        f"output: {summary.run_dir} "
        f"({'replaces the bundle there' if summary.replaces_bundle else 'new'})",
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    main()
