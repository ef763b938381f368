"""Where the arrays that grow with every row of the data are made: in memory, or, while
``rows_in_files`` is in effect (``training.memory_budget_mb``), each in a file of its own
mapped into memory, which the kernel reads in as it is used and can drop again when
memory is wanted (numpy; no TensorFlow).

The arrays are the same either way (the same bytes, read in place by TensorFlow), so a
training whose rows are in files computes what one in memory does.
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import mmap
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import EnvironmentFailure

# Where TensorFlow can read an array in place, not copy it (its kernels need the data on
# a boundary of this many bytes: nn/batches.py). A mapping starts on a page, which is one.
ALIGNMENT = 64

_FOLDER: contextvars.ContextVar[Path | None] = contextvars.ContextVar("row_files", default=None)


@contextlib.contextmanager
def rows_in_files(folder: Path | None) -> Iterator[None]:
    """Within it, ``row_array`` makes its arrays in files under ``folder`` (None: in
    memory, as outside it). The arrays outlive it."""
    token = _FOLDER.set(folder)
    try:
        yield
    finally:
        _FOLDER.reset(token)


def rows_folder() -> Path | None:
    """The folder ``row_array`` makes its files in now (None: it makes arrays in memory)."""
    return _FOLDER.get()


def aligned_empty(shape: tuple[int, ...], dtype: np.dtype[Any] | type) -> np.ndarray:
    """An uninitialised array in memory whose data starts on an ``ALIGNMENT``-byte boundary."""
    kind = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * kind.itemsize
    raw = np.empty(nbytes + ALIGNMENT, dtype=np.uint8)
    offset = (-raw.ctypes.data) % ALIGNMENT
    return raw[offset : offset + nbytes].view(kind).reshape(shape)


def row_array(shape: tuple[int, ...], dtype: np.dtype[Any] | type) -> np.ndarray:
    """An uninitialised array of ``shape`` for data that grows with the rows, on an
    ``ALIGNMENT`` boundary: in memory (``aligned_empty``), or within ``rows_in_files``
    in a file of its own, mapped into memory. The file has no name in its folder: its
    space is the mapping's, reserved when it is made (a full disk is an error here, not
    a crash when a row is written) and given back when the array is gone, also when the
    process is killed.

    Raises:
        EnvironmentFailure: the folder cannot hold the file (missing, not writable, full).
    """
    folder = _FOLDER.get()
    kind = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * kind.itemsize
    if folder is None or nbytes == 0:
        return aligned_empty(shape, kind)
    try:
        with tempfile.TemporaryFile(dir=folder, prefix="lstm-forecast-rows-") as file:
            os.posix_fallocate(file.fileno(), 0, nbytes)
            mapped = mmap.mmap(file.fileno(), nbytes)
    except OSError as exc:
        raise EnvironmentFailure(
            f"cannot keep {nbytes / 2**30:.2f} GiB of rows in a file here ({exc.strerror or exc}); "
            "free space there, set TMPDIR to a folder with room, or raise "
            "training.memory_budget_mb to keep the rows in memory",
            where=folder,
        ) from None
    return np.frombuffer(mapped, dtype=kind).reshape(shape)


def give_back_freed_memory() -> None:
    """Give the pages the C heap holds free back to the system (glibc's ``malloc_trim``):
    after a stage that made and freed many arrays (scoring a chunk of series at a time,
    a load a chunk at a time) the heap keeps them for reuse, and nothing after reuses
    them (benchmarks/README.md). Nothing where the C library has no such call."""
    trim = getattr(_C_LIBRARY, "malloc_trim", None)
    if trim is not None:
        trim(0)


# The process's own C library (None where ctypes cannot open it).
try:
    _C_LIBRARY: ctypes.CDLL | None = ctypes.CDLL(None)
except OSError:
    _C_LIBRARY = None
