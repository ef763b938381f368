"""Exclusive locks on the outputs a run writes, so two cron runs never write one target.

The lock is ``flock`` on a small file beside the target (``.<name>.lock``). The kernel
drops it when the holding process exits, however it exits (SIGKILL included), so a lock
left by a killed process never blocks the next run. The file holds the holder's pid and
start time, for the message a second run prints. The holder deletes it on release; a run
that locked a file just deleted (it opened the old one) sees that the path no longer
names its file and tries again, so two runs never hold two different locks.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import EnvironmentFailure, LockHeld


def lock_path(target: Path) -> Path:
    return target.parent / f".{target.name}.lock"


@contextmanager
def exclusive_lock(target: Path) -> Iterator[None]:
    """Hold the lock on ``target`` for the block; raise ``LockHeld`` at once if another
    process holds it (no waiting: a cron job must not pile up behind a stuck one)."""
    path = lock_path(target)
    fd = _acquire(path, target)
    try:
        started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "started": started}).encode(), 0)
        yield
    finally:
        path.unlink(missing_ok=True)  # while still holding it: see the module docstring
        os.close(fd)  # closing the descriptor releases the lock


def _acquire(path: Path, target: Path) -> int:
    while True:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise EnvironmentFailure(
                f"cannot create the lock file {path.name}: {exc.strerror or exc}", where=target
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise LockHeld(
                f"another lstm-forecast run is writing it ({holder}; lock file {path}); "
                "try again when it has finished",
                where=target,
            ) from None
        if _names(path, fd):
            return fd
        os.close(fd)  # the holder deleted this file as we locked it: take the new one


def _names(path: Path, fd: int) -> bool:
    """Whether ``path`` is still the file open as ``fd``."""
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (mine.st_dev, mine.st_ino)


def _holder(fd: int) -> str:
    try:
        holder = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"pid {int(holder['pid'])}, started {holder['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown: it is still starting"


def check_unlocked(target: Path) -> None:
    """Raise ``LockHeld`` now if another run holds ``target``'s lock: a cheap early exit
    before slow imports. The caller still takes the lock for its writing."""
    with exclusive_lock(target):
        pass
