"""What a data file may be before its rows are read: a regular file, within
``data.max_file_mb`` and ``data.max_rows``, and at most ``MAX_COLUMNS`` columns wide."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from ..errors import DataError
from ..files import not_a_regular_file


class Caps(Protocol):
    """The size caps a file is read under (``DataConfig`` has them)."""

    @property
    def max_file_mb(self) -> int | None: ...

    @property
    def max_rows(self) -> int | None: ...


# The most columns a data file may have: time, id, targets and features are a handful, and
# a file with thousands is a series per column (wide format), which is read as long format.
MAX_COLUMNS = 1000


def check_is_file(path: Path, kind: str) -> None:
    """Refuse anything but a regular file: a device may never end, a pipe never start."""
    why = not_a_regular_file(path)
    if why == "not found":
        raise DataError("data file not found", where=path)
    if why == "is a directory":
        raise DataError(f"is a directory, not {kind}", where=path)
    if why is not None:
        raise DataError(why, where=path)


def check_size(path: Path, cfg: Caps, files: Sequence[Path] | None = None) -> int:
    """The size in bytes of the file, or of ``files`` together (a dataset's, named by
    ``path``), after refusing one over ``data.max_file_mb``."""
    size = path.stat().st_size if files is None else sum(f.stat().st_size for f in files)
    if cfg.max_file_mb is not None and size > cfg.max_file_mb << 20:
        subject, right = (
            ("the file is", "the file is") if files is None else ("the files are", "they are")
        )
        raise DataError(
            f"{subject} {size / (1 << 20):.0f} MB, over data.max_file_mb "
            f"({cfg.max_file_mb}); raise the cap if {right} right",
            where=path,
        )
    return size


def too_many_rows(max_rows: int) -> str:
    return (
        f"the file has more than {max_rows} rows (data.max_rows); raise the cap if the "
        "file is right"
    )


def check_width(columns: int, path: Path) -> None:
    """Refuse a file wider than ``MAX_COLUMNS`` before reading its rows."""
    if columns > MAX_COLUMNS:
        raise DataError(
            f"{columns} columns, more than the {MAX_COLUMNS} lstm-forecast reads: write the "
            "columns the config names (time, series id, targets, features) to a file of "
            "their own; a file with a column per series goes into long format first (one "
            "column naming the series, one for the values)",
            where=path,
        )
