"""Facts about paths on disk that every layer may ask: a file's SHA-256, and whether a
folder can be made where a config says."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_in_the_way(folder: Path) -> str | None:
    """Why ``folder`` cannot be (made) a folder: it "is a file", or it "has a parent that
    is a file (...)"; None when it can."""
    for parent in [folder, *folder.parents]:
        if parent.exists() and not parent.is_dir():
            return "is a file" if parent == folder else f"has a parent that is a file ({parent})"
    return None


def not_a_regular_file(path: Path) -> str | None:
    """Why ``path`` cannot be read as a file's contents: "not found", "is a directory",
    or what else it is (a device, a named pipe, a socket), whose reading may never end or
    never start; None for a regular file (or a link to one)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "not found"
    except OSError as exc:
        return f"cannot be read: {exc.strerror}"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory"
    kind = (
        "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a named pipe (FIFO)"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a regular file"
    )
    return f"is {kind}, not a regular file: save the contents to a file and give its path"
