"""A training's data held within ``training.memory_budget_mb``: where the rows fit, loaded
as ``load_dataset`` loads them; where they do not, their arrays made in files
(``row_files``) and a Parquet file read a chunk of its series at a time, each chunk's
values moved into a file before the next is read (numpy, pandas; no TensorFlow).

Either way the load gives the same series, in the same order, with the same values.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import DataConfig
from ..errors import DataError, EnvironmentFailure
from .limits import check_is_file
from .load import dataset_of, empty_share, load_dataset, warn_left_out_tails
from .parquet import first_seen_ids, parquet_rows, release_arrow_memory
from .read import RowNumbers, is_parquet, read_frame
from .row_files import give_back_freed_memory, row_array, rows_folder, rows_in_files
from .series import Dataset
from .share import Share, ShareRead

_log = logging.getLogger(__name__)

# About what a row costs a training held in memory, in bytes: its values (8 a column),
# its model inputs (4 a column, with two calendar columns), its window's start and the
# shuffled copy TensorFlow makes, its time, and what scoring adds (benchmarks/README.md:
# 39 bytes a row at one value column, 100,000 series).
ROW_BYTES = 20
VALUE_BYTES = 12  # a value column's, besides
# What a row costs while a chunk is read (the columns as pyarrow reads them, as pandas
# holds them, the values made of them), besides ``VALUE_BYTES`` a column: at one value
# column 68 bytes a row where the ids are text, 48 where a dictionary (pandas categories)
# holds them (benchmarks/README.md, "Training within a memory budget").
READ_BYTES = 56
MIB = 1 << 20


@dataclass(frozen=True)
class RowsPlan:
    """Where a training's rows live: in memory, or in files under ``folder``, a Parquet
    file read in ``chunks`` chunks of its series."""

    rows: int  # of the file (about, for a CSV), or of this worker's share
    in_memory: int  # bytes they would take held in memory, about
    budget: int | None  # training.memory_budget_mb in bytes
    folder: Path | None = None
    chunks: int = 1

    def describe(self) -> str:
        """What the plan is, in words for the log."""
        held = (
            f"{self.rows:,} rows would take about {_size(self.in_memory)} in memory, "
            f"past training.memory_budget_mb ({(self.budget or 0) // MIB:,})"
        )
        read = f", the file read in {self.chunks} chunks of its series" if self.chunks > 1 else ""
        return f"{held}: kept in files under {self.folder}{read}"


def _size(nbytes: int) -> str:
    return f"{nbytes / 2**30:.1f} GiB" if nbytes >= 2**30 else f"{nbytes / MIB:.1f} MiB"


def plan_rows(cfg: DataConfig, budget_mb: int | None, share: Share | None = None) -> RowsPlan:
    """How to hold ``cfg``'s data (``share`` of its series, where given) within
    ``budget_mb`` MiB: in memory where it fits, or no budget is set; else in files, which
    it logs."""
    path = Path(cfg.path)
    columns = len(cfg.value_columns)
    if budget_mb is None:
        return RowsPlan(rows=0, in_memory=0, budget=None)
    rows = parquet_rows(path, cfg) if is_parquet(path) else _csv_rows(path)
    if share is not None and cfg.id_column is not None:
        rows = -(-rows // share.count)
    in_memory = rows * (ROW_BYTES + VALUE_BYTES * columns)
    budget = budget_mb * MIB
    if in_memory <= budget:
        return RowsPlan(rows=rows, in_memory=in_memory, budget=budget)
    chunks = 1
    if is_parquet(path) and cfg.id_column is not None:
        chunks = max(1, math.ceil(rows * (READ_BYTES + VALUE_BYTES * columns) / budget))
    plan = RowsPlan(rows, in_memory, budget, folder=_folder_for_rows(), chunks=chunks)
    _log.info("%s", plan.describe())
    return plan


def _folder_for_rows() -> Path:
    """The system's temporary folder; ``TMPDIR`` where it names one, else refused: Python
    would put the files in /tmp instead, which a nightly job with its volume unmounted
    would fill without a word."""
    named = os.environ.get("TMPDIR")
    if named and not (os.path.isdir(named) and os.access(named, os.W_OK | os.X_OK)):
        raise EnvironmentFailure(
            "TMPDIR names a folder that is missing or not writable, where the rows past "
            "training.memory_budget_mb would be kept; create it, or point TMPDIR at a "
            "folder with room",
            where=named,
        )
    return Path(named) if named else Path(tempfile.gettempdir())


def _csv_rows(path: Path) -> int:
    """The lines of a CSV file, about: its size over the length of its first lines."""
    check_is_file(path, "a CSV file")
    size = path.stat().st_size
    try:
        with path.open("rb") as file:
            head = file.read(1 << 16)
    except PermissionError:
        raise EnvironmentFailure("permission denied reading the data file", where=path) from None
    lines = max(head.count(b"\n"), 1)
    return math.ceil(size / (len(head) / lines)) if head else 0


@contextlib.contextmanager
def loaded_within(cfg: DataConfig, budget_mb: int | None) -> Iterator[Dataset]:
    """``cfg``'s data, loaded as ``plan_rows`` plans for ``budget_mb``; within it, the arrays
    a training makes of the rows are where the plan puts the rows (``rows_in_files``)."""
    plan = plan_rows(cfg, budget_mb)
    with rows_in_files(plan.folder):
        yield load_planned(cfg, plan)


def load_planned(cfg: DataConfig, plan: RowsPlan, share: Share | None = None) -> Dataset:
    """``load_dataset`` as ``plan`` says: of a Parquet file in chunks of its series where
    it says so, and with every series' values in ``row_array``s (files, within
    ``rows_in_files``)."""
    if plan.chunks > 1:
        return _load_in_chunks(cfg, plan.chunks, share)
    return values_in_row_files(load_dataset(cfg, share=share))


def values_in_row_files(dataset: Dataset) -> Dataset:
    """``dataset`` with every series' values moved into one ``row_array`` (a file within
    ``rows_in_files``; as they are outside it)."""
    if rows_folder() is None or not dataset.series:
        return dataset
    held = row_array((sum(len(s) for s in dataset.series), len(dataset.columns)), np.float64)
    moved, first = [], 0
    for series in dataset.series:
        rows = held[first : first + len(series)]
        rows[:] = series.values
        moved.append(dataclasses.replace(series, values=rows))
        first += len(series)
    return dataclasses.replace(dataset, series=tuple(moved))


def _load_in_chunks(cfg: DataConfig, chunks: int, share: Share | None) -> Dataset:
    """``load_dataset`` of a Parquet file with an id column, ``chunks`` parts of its series
    (of ``share``'s) at a time, by a hash of the id: each part's values are moved into
    ``row_array``s before the next is read. The series in the order of their first rows,
    as a whole load orders them."""
    path = Path(cfg.path)
    whole = share or Share(0, 1)
    rank = {name: k for k, name in enumerate(first_seen_ids(path, cfg, str(cfg.id_column)))}
    tally = ShareRead(whole)
    parts: list[Dataset] = []
    first_rows: RowNumbers | None = None
    for chunk in range(chunks):
        # Of the ids whose hash is ``whole.index`` modulo ``whole.count``, those that are
        # this chunk's modulo ``whole.count * chunks``.
        reading = ShareRead(Share(whole.index + chunk * whole.count, whole.count * chunks))
        frame, sha256, rows = read_frame(path, cfg, reading)
        _add_to(tally, reading, first=not chunk)
        if not frame.empty:
            part = dataset_of(frame, sha256, rows, cfg, path, 0, warn_tails=False)
            if not parts:  # every part on the frequency the first infers
                cfg = cfg.model_copy(update={"freq": part.freq})
                first_rows = rows
            parts.append(values_in_row_files(part))
        del frame
        release_arrow_memory()
        give_back_freed_memory()
    if share is not None:
        _log.info(tally.describe())
    if not parts or first_rows is None:
        what = empty_share(tally) if share is not None else "the file has columns but no data rows"
        raise DataError(what, where=path)
    series = sorted((s for part in parts for s in part.series), key=lambda s: rank[str(s.id)])
    merged = dataclasses.replace(parts[0], series=tuple(series))
    warn_left_out_tails(merged.series, merged.freq, path, first_rows)
    return merged


def _add_to(tally: ShareRead, reading: ShareRead, *, first: bool) -> None:
    """``reading``'s series and rows counted in ``tally``, the read of its whole share."""
    for name, held in reading.ids.items():
        tally.ids[name] = tally.ids.get(name, False) or held
    if first:
        tally.rows_read = reading.rows_read
    tally.rows_kept += reading.rows_kept
