"""Bundles on disk as wholes: staged beside the target and swapped in atomically, with a
manifest of every file's SHA-256 written last; verified and read as one bundle even while
a retrain swaps a new one in.

Saving writes into a staging directory, writes ``manifest.json`` last, and swaps the
staging directory into place: a crash leaves the previous bundle as it was. Loading
trusts nothing: the manifest and every checksum are checked, and ``trust`` checks the
content before anything is deserialised.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from ..errors import BundleError, EnvironmentFailure, UserError
from ..files import file_in_the_way, file_sha256
from .atomic import (
    ENVIRONMENT_ERRNOS,
    PREVIOUS,
    STAGING,
    fsync_path,
    fsync_tree,
    locked_target,
    reason,
    sibling,
)
from .layout import (
    MANIFEST,
    MODEL_FILE,
    OPTIONAL_FILES,
    REQUIRED_FILES,
    SCHEMA_VERSION,
    Bundle,
    is_member_name,
    parse_json,
    read_body,
    read_member,
    write_json,
)
from .signing import SIGNATURE, check_signature, sign, signing_key
from .trust import member_path

# Formats that run code when loaded, or that we never write: a bundle holding one is refused
# outright, listed in the manifest or not, so nobody is led to load it by hand.
_FOREIGN_SUFFIXES = {".h5", ".hdf5", ".pkl", ".pickle", ".joblib", ".dill", ".pb", ".pt", ".pth"}


# How long a reader goes on re-reading while retrains keep swapping bundles in under it
# before it gives up (each swap is followed by a whole retrain, so one re-read suffices in
# practice; the limit only bounds a pathological loop).
READ_TIMEOUT_SECONDS = 300.0


Loaded = TypeVar("Loaded")


def is_bundle(path: Path) -> bool:
    return (path / MANIFEST).is_file()


def check_target(target: Path) -> None:
    """Refuse an output directory we must not replace: one that holds something that is not
    a bundle, or a path through a file. Called before any training starts."""
    blocked = file_in_the_way(target)
    if blocked:
        raise UserError(f"output directory {blocked}", where=target)
    if target.is_dir() and any(target.iterdir()) and not is_bundle(target):
        raise UserError(
            f"output directory exists and is not an lstm-forecast bundle (no {MANIFEST}); "
            "refusing to overwrite it: choose another output.dir or remove it",
            where=target,
        )
    # The bundle is staged beside the target and renamed onto it: its folder (or the
    # nearest one that exists, where it will be made) must let us write.
    folder = target.absolute().parent
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent
    try:  # a file made and gone at once: what permissions, quotas and mounts allow
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise EnvironmentFailure(
            f"cannot write in {folder}, where the bundle is made ({exc.strerror}); choose "
            "another output.dir, or let this user write there",
            where=target,
        ) from None


@contextmanager
def staged_bundle(target: Path) -> Iterator[Path]:
    """Yield an empty staging directory; on success, make it the bundle at ``target``.

    The target's lock is held throughout (a second run on it exits 75 at once), and what
    a killed run left beside it is cleaned up first. The manifest is written after the
    body, everything is fsynced, then the staging directory replaces the target in one
    rename. On any failure or interruption the staging directory is removed and the
    previous bundle is untouched.
    """
    check_target(target)
    key = signing_key()
    with locked_target(target):
        check_target(target)  # again, now that no other run can change it
        staging = sibling(target, STAGING)
        try:
            staging.mkdir()
        except OSError as exc:
            raise _environment_failure(exc, target) from None
        try:
            yield staging
            write_manifest(staging)
            if key is not None:
                sign(staging, (staging / MANIFEST).read_bytes(), key)
            fsync_tree(staging)
            _swap_into_place(staging, target)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if exc.errno in ENVIRONMENT_ERRNOS:
                raise _environment_failure(exc, target) from None
            raise
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise


def write_manifest(directory: Path) -> None:
    files = {
        p.relative_to(directory).as_posix(): file_sha256(p)
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name not in (MANIFEST, SIGNATURE)
    }
    write_json(directory / MANIFEST, {"schema": SCHEMA_VERSION, "files": files})


def verify(run_dir: Path) -> dict[str, str]:
    """Check the manifest and every file's checksum; returns ``{name: sha256}``."""
    if run_dir.is_file():
        raise UserError(
            "is a file, not a run directory (the folder train writes); to forecast this "
            f"data, pass it after the bundle: RUN_DIR --data {run_dir}",
            where=run_dir,
        )
    if not run_dir.is_dir():
        raise UserError("run directory not found", where=run_dir)
    content = read_member(run_dir, MANIFEST)
    key = signing_key()
    if key is not None:  # the bytes it signs are the bytes parsed: before any is trusted
        check_signature(run_dir, content, key)
    manifest = parse_json(content, run_dir / MANIFEST)
    files = manifest.get("files")
    schema = manifest.get("schema")
    if isinstance(schema, int) and not isinstance(schema, bool) and schema > SCHEMA_VERSION:
        raise BundleError(
            f"bundle schema {schema}: made by a newer lstm-forecast; this one reads schema "
            f"{SCHEMA_VERSION}: upgrade lstm-forecast (pip install -U lstm-forecast-cli) to "
            "read it, or retrain with this version",
            where=run_dir / MANIFEST,
        )
    if schema != SCHEMA_VERSION:
        raise BundleError(
            f"bundle schema {schema!r}; this version of lstm-forecast reads schema "
            f"{SCHEMA_VERSION}",
            where=run_dir / MANIFEST,
        )
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise BundleError(
            "malformed: 'files' must map names to SHA-256 digests", where=run_dir / MANIFEST
        )
    _refuse_foreign_files(run_dir)
    for name in REQUIRED_FILES:
        if name not in files:
            raise BundleError(
                f"{name} is not listed: the bundle is incomplete", where=run_dir / MANIFEST
            )
    for name, digest in files.items():
        path = member_path(run_dir, name, run_dir / MANIFEST)
        if not is_member_name(name):
            raise BundleError(
                f"unexpected file {name!r} listed: a bundle holds only "
                f"{', '.join((*REQUIRED_FILES, *OPTIONAL_FILES))} and plots/*.png",
                where=run_dir / MANIFEST,
            )
        if path.is_symlink() or not path.is_file():
            raise BundleError("missing or not a regular file (listed in manifest.json)", where=path)
        if file_sha256(path) != digest:
            raise BundleError(
                "SHA-256 does not match manifest.json: the file was changed "
                "after the bundle was written",
                where=path,
            )
    return files


def read_one_bundle(run_dir: Path, read: Callable[[Path], Loaded]) -> Loaded:
    """``read(run_dir)``, repeated until everything it read came from one bundle.

    A retrain (a cron job beside a predict job) swaps its new bundle into place in one
    rename. A reader that straddles the swap opens some files of the old bundle and some
    of the new, or finds a file of the old one gone: the manifest of one and a file of the
    other fail the checksum, and files read after ``verify`` are not checked again, so an
    old scaler could be paired with a new network without a word. The swap gives
    ``run_dir`` a new directory (another inode, a new change time), so a read during
    which the directory stayed the same saw one bundle, and one during which it changed
    is repeated on the new bundle, whatever it raised (a refusal or a vanished file),
    until ``READ_TIMEOUT_SECONDS`` pass.
    """
    deadline = time.monotonic() + READ_TIMEOUT_SECONDS
    while True:
        before = _identity(run_dir)
        try:
            loaded = read(run_dir)
        except (BundleError, OSError):
            if before is None or _identity(run_dir) == before:
                raise
        else:
            if before is None or _identity(run_dir) == before:
                return loaded
        if time.monotonic() > deadline:
            raise BundleError(
                f"replaced by newer bundles for {READ_TIMEOUT_SECONDS:.0f} s while being "
                "read; try again",
                where=run_dir,
            )


def _identity(path: Path) -> tuple[int, ...] | None:
    """The directory at ``path``: its device and inode, and its change and modification
    times (a rename changes them), so an inode freed and reused by a later bundle within
    one read is not taken for the same directory."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_dev, status.st_ino, status.st_ctime_ns, status.st_mtime_ns


def _swap_into_place(staging: Path, target: Path) -> None:
    """Make ``staging`` the directory at ``target``; the old bundle goes only afterwards."""
    if not target.exists():
        os.rename(staging, target)
    elif _exchange(staging, target):
        shutil.rmtree(staging)  # now holds the previous bundle
    else:
        previous = sibling(target, PREVIOUS)
        os.rename(target, previous)
        os.rename(staging, target)
        shutil.rmtree(previous)
    fsync_path(target.parent)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE), if available."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(done == 0)


def _environment_failure(exc: OSError, target: Path) -> EnvironmentFailure:
    return EnvironmentFailure(
        f"cannot write the bundle: {reason(exc)}; the previous bundle, if any, is intact",
        where=target,
    )


def load_bundle(run_dir: Path) -> Bundle:
    """Verify a run directory and read its bundle (checks first, then ONNX Runtime when
    the bundle has ``model.onnx``, else Keras), all from one bundle even when a retrain
    swaps a new one in meanwhile."""
    return read_one_bundle(run_dir, lambda folder: read_body(folder, verify(folder)))


def _refuse_foreign_files(run_dir: Path) -> None:
    for path in sorted(run_dir.rglob("*")):
        foreign = path.suffix.lower() in _FOREIGN_SUFFIXES or path.name == "variables"
        if foreign:
            raise BundleError(
                "refusing a pickle, joblib, HDF5 or SavedModel file in a bundle: "
                f"lstm-forecast writes and loads only {MODEL_FILE}, after checks",
                where=path,
            )
