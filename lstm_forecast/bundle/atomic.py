"""Outputs that are either the old version or the new one, never half of either: locked,
written beside the target, fsynced and renamed into place.

A run that writes a target (a file or a bundle directory) first takes the target's lock
(``locking``), then removes what an earlier run killed mid-write left beside it, writes
into a temporary sibling, fsyncs it, renames it into place and fsyncs the parent folder.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from ..errors import EnvironmentFailure
from .locking import exclusive_lock

# Temporary siblings of a target ``name``: ``.name.<kind>-<pid>``.
STAGING, PREVIOUS, TEMPORARY = "staging", "previous", "tmp"
ENVIRONMENT_ERRNOS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EFBIG,  # a file-size limit (ulimit -f) or a filesystem's largest file
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.EIO,
}


def sibling(target: Path, kind: str) -> Path:
    return target.parent / f".{target.name}.{kind}-{os.getpid()}"


@contextmanager
def locked_target(target: Path) -> Iterator[None]:
    """Hold ``target``'s lock for the block, after cleaning up an earlier killed run.

    Under the lock no other run is writing ``target``, so every temporary sibling is a
    leftover. A previous bundle moved aside by a run killed before it renamed the new one
    in (only where the atomic exchange is not available) is put back.
    """
    with exclusive_lock(target):
        leftovers = {
            kind: sorted(target.parent.glob(f".{_glob_escape(target.name)}.{kind}-*"))
            for kind in (STAGING, PREVIOUS, TEMPORARY)
        }
        if not target.exists() and leftovers[PREVIOUS]:
            os.rename(leftovers[PREVIOUS].pop(), target)
        for path in [p for paths in leftovers.values() for p in paths]:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        yield


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one rename: readers see the old file or the new one."""
    write_atomically(path, lambda handle: handle.write(data))


def write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Replace ``path`` with what ``write`` writes to the handle it is given, in one rename
    (``write_bytes_atomically``), so an output written piece by piece is never held
    whole."""
    temporary = sibling(path, TEMPORARY)
    try:
        with temporary.open("wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        fsync_path(path.parent)
    except OSError as exc:
        raise EnvironmentFailure(
            f"cannot write: {reason(exc)}; the previous file, if any, is intact", where=path
        ) from None
    finally:
        temporary.unlink(missing_ok=True)  # a write that failed, for any reason


def make_folder(folder: Path) -> None:
    """Create ``folder`` and its parents if missing (an output folder, before the work)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EnvironmentFailure(f"cannot create the folder: {reason(exc)}", where=folder) from None


def write_text_atomically(path: Path, text: str) -> None:
    write_bytes_atomically(path, text.encode("utf-8"))


def fsync_tree(directory: Path) -> None:
    for path in [*directory.rglob("*"), directory]:
        fsync_path(path)


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def reason(exc: OSError) -> str:
    return "no space left on device" if exc.errno == errno.ENOSPC else exc.strerror or str(exc)


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in name)
