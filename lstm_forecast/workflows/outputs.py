"""The files a command writes besides a bundle (a forecast CSV, a figure, a backtest or
tuning folder): checked before any work, locked while written, written atomically."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..bundle.atomic import locked_target, make_folder, write_bytes_atomically
from ..config import Config
from ..errors import UserError
from .preflight import require_extra

# The names ``--output`` takes for the forecast CSV: any other suffix names another format
# (a spreadsheet, Parquet, an image) that the file would not be.
CSV_SUFFIXES = ("", ".csv", ".txt")
# The report page's names: one HTML file.
HTML_SUFFIXES = (".html", ".htm")
# What ``--plot`` writes, by the file's suffix (matplotlib's Agg backend draws each).
PLOT_FORMATS = ("png", "svg", "pdf")


@contextlib.contextmanager
def output_folder(
    config: Config, given: Path | None, suffix: str, first_file: str
) -> Iterator[Path]:
    """``given`` (``--output``), or ``<output.dir>-<suffix>``: checked to take
    ``first_file``, locked and created for the block, before any work, so a folder that
    cannot be made costs nothing."""
    folder = given or config.run_dir.with_name(f"{config.run_dir.name}-{suffix}")
    _check_output_path(folder / first_file, may_create_folder=True)
    with locked_target(folder):
        make_folder(folder)
        yield folder


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
def locked_outputs(
    output: Path | None = None,
    plot: Path | None = None,
    *,
    output_suffixes: tuple[str, ...] = CSV_SUFFIXES,
    forecasts: Path | None = None,
) -> Iterator[None]:
    """Check the ``--output``, ``--plot`` and ``--forecasts`` files can be written (each
    a different file), then hold their locks for the block. ``output_suffixes``: what
    ``--output`` may end in (the forecast CSV's, or evaluate's metrics as JSON or CSV)."""
    chosen = [p for p in (output, plot, forecasts) if p is not None]
    for path in chosen:
        _check_output_path(path)
    if output is not None and output_suffixes != CSV_SUFFIXES:
        what = f"the metrics are written as {' or '.join(output_suffixes)} (by the suffix)"
        _check_suffix(output, "output", output_suffixes, what, "")
    elif output is not None:
        what = "the forecast is written as CSV text"
        _check_suffix(
            output, "output", CSV_SUFFIXES, what, ": name the file .csv (or without a suffix)"
        )
    if plot is not None:
        plot_format(plot)
        require_extra("plot", "plot", argument=True)
        if output is not None and os.path.realpath(output) == os.path.realpath(plot):
            raise UserError(
                "{output} and {plot} name the same file", where=plot, arguments=("output", "plot")
            )
    if forecasts is not None:
        _check_forecasts_path(forecasts, [p for p in (output, plot) if p is not None])
    with contextlib.ExitStack() as stack:
        for path in chosen:
            stack.enter_context(locked_target(path))
        yield


@contextlib.contextmanager
def locked_page(output: Path) -> Iterator[None]:
    """The report page's file: checked (its folder exists, it is named .html), then
    locked for the block."""
    _check_output_path(output)
    what = "the report is one HTML page"
    _check_suffix(output, "output", HTML_SUFFIXES, what, ": name the file .html")
    with locked_target(output):
        yield


def _check_suffix(
    path: Path, argument: str, suffixes: tuple[str, ...], what: str, fix: str
) -> None:
    """Refuse ``path`` (the ``argument``'s file) unless its suffix is one of ``suffixes``."""
    if path.suffix.lower() not in suffixes:
        ends = repr(path.suffix) if path.suffix else "nothing"
        raise UserError(
            f"{{{argument}}}: {what}; this name ends in {ends}{fix}",
            where=path,
            arguments=(argument,),
        )


def _check_forecasts_path(forecasts: Path, others: list[Path]) -> None:
    """``--forecasts`` is CSV text, and a file of its own."""
    what = "the forecasts are written as CSV text"
    _check_suffix(forecasts, "forecasts", CSV_SUFFIXES, what, ": name the file .csv")
    if any(os.path.realpath(forecasts) == os.path.realpath(other) for other in others):
        raise UserError(
            "{forecasts} names the same file as another output",
            where=forecasts,
            arguments=("forecasts",),
        )


def plot_format(path: Path) -> str:
    """The figure format ``path``'s suffix names; any other suffix is refused, so that a
    slip such as ``--plot forecast.csv`` never overwrites a CSV with an image."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in PLOT_FORMATS:
        raise UserError(
            f"{{plot}}: a figure is written as {', '.join('.' + f for f in PLOT_FORMATS)}; "
            + (f"this name ends in {path.suffix!r}" if path.suffix else "this name has no suffix"),
            where=path,
            arguments=("plot",),
        )
    return suffix


def save_figure(figure: Any, path: Path) -> None:
    buffer = io.BytesIO()
    figure.savefig(buffer, format=plot_format(path), dpi=100)
    write_bytes_atomically(path, buffer.getvalue())
