"""Read the columns of a Parquet file, or of a dataset of them (a folder, hive-style
partitions, a glob), with pyarrow: whole, or only each series' last rows, a batch of
rows at a time (``read_tails``: what predict needs of data too big to hold)."""

from __future__ import annotations

import contextlib
import hashlib
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import DataError, EnvironmentFailure
from ..files import file_sha256
from .limits import Caps, check_is_file, check_size, check_width, too_many_rows
from .share import ShareRead, id_names
from .tail_rows import TailRows, Tails

if TYPE_CHECKING:
    import pyarrow as pa


def read_parquet(
    path: Path,
    caps: Caps,
    pick: Callable[[list[str]], list[str]] | None,
    categories: Sequence[str] = (),
) -> pd.DataFrame:
    """The columns ``pick`` chooses from the file's (all without it), after the same caps
    as a CSV's (the row count comes from the file's footer, before any data is read);
    the ``categories`` columns as pandas categories (their text columns are read once per
    distinct value). ``path`` may be a Parquet dataset (``is_dataset``)."""
    with _reading(path):
        source = _Source(path, caps, categories)
        columns = None if pick is None else pick(source.names)
        # Each column freed as it is converted, and what the conversion no longer needs
        # given back: the data is not held twice.
        frame = source.read(columns).to_pandas(self_destruct=True, split_blocks=True)
        release_arrow_memory()
        return frame


def read_parquet_by_batch(
    path: Path,
    caps: Caps,
    pick: Callable[[list[str]], list[str]],
    id_column: str,
    share: ShareRead | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """``read_parquet`` a batch of ``TAIL_BATCH_ROWS`` at a time, the ids as categories
    over one dictionary; of only ``share``'s series where given: memory then holds one
    batch and the share's rows, not the file. Also whether each row of the file was kept
    (a bool a row; none without ``share``), for messages to number them."""
    import pyarrow

    with _reading(path):
        source = _Source(path, caps, [id_column])
        columns = pick(source.names)
        kept: list[pa.RecordBatch] = []
        which: list[np.ndarray] = []
        # A file's batches mostly share one dictionary of ids (every id of the file):
        # which of them are the share's is found once for it, not once a batch.
        words: pa.Array | None = None
        mine = np.ones(1, dtype=bool)
        for batch in source.batches(columns, TAIL_BATCH_ROWS):
            ids = batch.column(id_column)
            if not pyarrow.types.is_dictionary(ids.type):
                ids = ids.dictionary_encode()
            if words is None or not ids.dictionary.equals(words):
                words = ids.dictionary
                if share is not None:
                    mine = share.words_held(words.to_pandas())
            indices = ids.indices
            if share is not None:
                codes = indices.fill_null(-1).to_numpy(zero_copy_only=False)
                held = share.rows_held(codes, mine)
                which.append(held)
                mask = pyarrow.array(held)
                batch, indices = batch.filter(mask), indices.filter(mask)
            # Each batch decodes the ids' dictionary anew (every id of the file): the
            # rows kept point at one copy of it instead of holding a copy a batch.
            at = batch.schema.get_field_index(id_column)
            shared = pyarrow.DictionaryArray.from_arrays(indices, words)
            kept.append(batch.set_column(at, id_column, shared))
        table = pyarrow.Table.from_batches(kept) if kept else source.read(columns)
        del kept
        frame = table.to_pandas(self_destruct=True, split_blocks=True)
        del table
        release_arrow_memory()
        return frame, np.concatenate(which) if which else np.zeros(0, dtype=bool)


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[None]:
    """What pyarrow raises reading ``path`` as our errors: permission denied (exit 4), or
    not a readable Parquet file (exit 2)."""
    import pyarrow

    try:
        yield
    except PermissionError:
        raise EnvironmentFailure("permission denied reading the data file", where=path) from None
    except (pyarrow.ArrowException, ValueError, OSError) as exc:
        raise DataError(f"not a readable Parquet file ({exc})", where=path) from None


def parquet_rows(path: Path, caps: Caps) -> int:
    """The rows of a Parquet file or dataset, from its footers (no data read)."""
    with _reading(path):
        return _Source(path, caps).rows


def first_seen_ids(path: Path, caps: Caps, id_column: str) -> list[str]:
    """Every series id of a Parquet file or dataset, as ``id_names`` makes them, in the
    order of each one's first row (the order ``load_dataset`` gives its series), read a
    batch of the id column at a time. A missing or empty id is left out: a load reports it."""
    import pyarrow

    with _reading(path):
        source = _Source(path, caps, [id_column])
        seen: dict[str, None] = {}
        for batch in source.batches([id_column], TAIL_BATCH_ROWS):
            ids = batch.column(0)
            if not pyarrow.types.is_dictionary(ids.type):
                ids = ids.dictionary_encode()
            codes = pd.unique(ids.indices.fill_null(-1).to_numpy(zero_copy_only=False))
            names = id_names(ids.dictionary.to_pandas().iloc[codes[codes >= 0]])
            seen.update(dict.fromkeys(str(n) for n in names if isinstance(n, str) and n))
        return list(seen)


def release_arrow_memory() -> None:
    """Give the memory pyarrow's pool holds but no longer uses back to the system: it
    keeps freed memory for reuse, and nothing after a load would reuse it
    (benchmarks/README.md, issue 38)."""
    if "pyarrow" in sys.modules:
        import pyarrow

        pyarrow.default_memory_pool().release_unused()


def is_dataset(path: Path) -> bool:
    """Whether ``path`` names a Parquet dataset rather than one file: a folder of Parquet
    files (hive-style partition folders, ``store=s0/``, give a column), or a glob
    pattern (``sales/*.parquet``) matching some."""
    return path.is_dir() or any(c in path.name for c in "*?[")


def dataset_files(path: Path) -> list[Path]:
    """The files of the Parquet dataset ``path``, in name order: under a folder, every
    file ending in ``.parquet`` at any depth; for a pattern, those it matches."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.parquet") if p.is_file())
    else:
        files = sorted(p for p in path.parent.glob(path.name) if p.is_file())
    if not files:
        what = "is a directory with" if path.is_dir() else "the pattern matches"
        raise DataError(
            f"{what} no Parquet file (a name ending in .parquet); data.path names a CSV or "
            "Parquet file, or a folder or glob pattern of Parquet files",
            where=path,
        )
    return files


def dataset_sha256(path: Path) -> str:
    """The SHA-256 of a Parquet file, or of a dataset's files' names and contents."""
    if not is_dataset(path):
        return file_sha256(path)
    digest = hashlib.sha256()
    for file in dataset_files(path):
        digest.update(f"{file.relative_to(_base(path))}\0{file_sha256(file)}\0".encode())
    return digest.hexdigest()


def _base(path: Path) -> Path:
    return path if path.is_dir() else path.parent


class _Source:
    """One Parquet file or a dataset's files, after the caps: its columns, rows and
    batches."""

    def __init__(self, path: Path, caps: Caps, categories: Sequence[str] = ()) -> None:
        import pyarrow.dataset
        import pyarrow.parquet

        # pyarrow's pre-buffering keeps each column chunk it reads ahead until the reader
        # is gone: a batch reader would come to hold the file (benchmarks/README.md).
        self.source: pyarrow.parquet.ParquetFile | pyarrow.dataset.Dataset
        if is_dataset(path):
            files = dataset_files(path)
            check_size(path, caps, files)
            options = pyarrow.dataset.ParquetReadOptions(dictionary_columns=set(categories))
            scan = pyarrow.dataset.ParquetFragmentScanOptions(pre_buffer=False)
            self.source = pyarrow.dataset.dataset(
                [str(f) for f in files],
                format=pyarrow.dataset.ParquetFileFormat(
                    read_options=options, default_fragment_scan_options=scan
                ),
                partitioning=pyarrow.dataset.HivePartitioning.discover(infer_dictionary=True),
                partition_base_dir=str(_base(path)),
            )
            schema, rows = self.source.schema, self.source.count_rows()
        else:
            check_is_file(path, "a Parquet file")
            check_size(path, caps)
            self.source = pyarrow.parquet.ParquetFile(
                path, read_dictionary=list(categories) or None, pre_buffer=False
            )
            schema, rows = self.source.schema_arrow, self.source.metadata.num_rows
        self.schema = schema
        self.rows = int(rows)
        self.names: list[str] = list(schema.names)
        check_width(len(self.names), path)
        if caps.max_rows is not None and rows > caps.max_rows:
            raise DataError(too_many_rows(caps.max_rows), where=path)

    def read(self, columns: list[str] | None) -> pa.Table:
        import pyarrow.parquet

        if isinstance(self.source, pyarrow.parquet.ParquetFile):
            return self.source.read(columns=columns)
        return self.source.to_table(columns=columns)

    def batches(self, columns: list[str], size: int) -> Iterator[pa.RecordBatch]:
        import pyarrow.parquet

        if isinstance(self.source, pyarrow.parquet.ParquetFile):
            return self.source.iter_batches(size, columns=columns)
        return iter(
            self.source.to_batches(
                columns=columns, batch_size=size, batch_readahead=1, fragment_readahead=1
            )
        )


# Rows ``read_tails`` reads at a time (about 25 MB of a time and two value columns).
TAIL_BATCH_ROWS = 1 << 20


def read_tails(
    path: Path,
    caps: Caps,
    pick: Callable[[list[str]], list[str]],
    id_column: str | None,
    time_column: str,
    keep: int,
) -> Tails | None:
    """The columns ``pick`` chooses of each series' last ``keep`` rows, read
    ``TAIL_BATCH_ROWS`` at a time, so that memory holds one batch and the tails, not the
    file. None where only the whole column can tell what is right: a time column that is
    not a timestamp (text is parsed with every value), an empty id or time, or a series
    whose rows are not in time order; ``read_parquet`` then reads the file, and its
    loader says what is wrong."""
    import pyarrow

    with _reading(path):
        # The ids as a dictionary, each read once: its series are numbered per batch.
        source = _Source(path, caps, [] if id_column is None else [id_column])
        columns = pick(source.names)
        if not pyarrow.types.is_timestamp(source.schema.field(time_column).type):
            return None
        tails = TailRows(keep)
        try:
            for batch in source.batches(columns, TAIL_BATCH_ROWS):
                if not tails.add(batch, id_column, time_column):
                    return None
            return tails.result(id_column)
        finally:
            release_arrow_memory()  # the batches read, which nothing after reuses
