"""Facts about paths on disk that every layer may ask: a file's SHA-256, and whether a
folder can be made where a config says."""

from __future__ import annotations

import hashlib
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
