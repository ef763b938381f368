"""Save and load run directories, atomically and safely.

Saving writes into a staging directory beside the target, writes ``manifest.json`` (the
SHA-256 of every file) last, and swaps the staging directory into place: a crash leaves
the previous bundle as it was. Loading trusts nothing: the manifest is checked, the Keras
archive is inspected as a zip and its layer config walked against an allowlist before
Keras deserializes anything, and only then is it loaded with ``safe_mode=True``.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar

from .atomic import (
    ENVIRONMENT_ERRNOS,
    PREVIOUS,
    STAGING,
    file_sha256,
    fsync_path,
    fsync_tree,
    locked_target,
    reason,
    sibling,
)
from .errors import BundleError, EnvironmentFailure, UserError

if TYPE_CHECKING:
    import keras

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
MODEL_FILE = "model.keras"
REQUIRED_FILES = (
    MODEL_FILE,
    "preprocessing.json",
    "config.yaml",
    "metadata.json",
    "metrics.json",
    "history.csv",
)
OPTIONAL_FILES = ("model.onnx",)  # written when ONNX Runtime reproduces Keras' outputs
MAX_JSON_BYTES = 64 << 20
# Formats that run code when loaded, or that we never write: a bundle holding one is refused
# outright, listed in the manifest or not, so nobody is led to load it by hand.
_FOREIGN_SUFFIXES = {".h5", ".hdf5", ".pkl", ".pickle", ".joblib", ".dill", ".pb", ".pt", ".pth"}
# What a Keras 3 archive holds, and the most each member may expand to.
_KERAS_MEMBERS = {"metadata.json": 1 << 16, "config.json": 4 << 20, "model.weights.h5": 8 << 30}
# Every (module, class) our builder produces; any other object in a model config is refused.
_KERAS_CLASSES = (
    {
        ("keras.layers", name)
        for name in (
            "InputLayer",
            "LSTM",
            "GRU",
            "Bidirectional",
            "Dropout",
            "Dense",
            "Reshape",
            "Concatenate",
            "Cropping1D",
            "Embedding",
            "Flatten",
            "Average",
        )
    }
    | {
        ("keras.initializers", name)
        for name in ("GlorotUniform", "Orthogonal", "Zeros", "RandomUniform")
    }
    | {
        ("keras", "DTypePolicy"),
        ("keras.src.models.functional", "Functional"),
        (None, "__keras_tensor__"),
    }
)
_ACTIVATIONS = {"tanh", "sigmoid", "relu", "softplus", "linear", None}
# How many bundles may be swapped in while one read is under way before the reader gives up.
READ_ATTEMPTS = 5

Loaded = TypeVar("Loaded")


def is_bundle(path: Path) -> bool:
    return (path / MANIFEST).is_file()


def file_in_the_way(folder: Path) -> str | None:
    """Why ``folder`` cannot be (made) a folder: it "is a file", or it "has a parent that
    is a file (...)"; None when it can."""
    for parent in [folder, *folder.parents]:
        if parent.exists() and not parent.is_dir():
            return "is a file" if parent == folder else f"has a parent that is a file ({parent})"
    return None


def check_target(target: Path) -> None:
    """Refuse an output directory we must not replace: one that holds something that is not
    a bundle, or a path through a file. Called before any training starts."""
    blocked = file_in_the_way(target)
    if blocked:
        raise UserError(f"output directory {blocked}", where=target)
    if target.is_dir() and any(target.iterdir()) and not is_bundle(target):
        raise UserError(
            "output directory exists and is not an lstm-forecast bundle (no "
            "manifest.json); refusing to overwrite it: choose another output.dir "
            "or remove it",
            where=target,
        )


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
        if p.is_file() and p.name != MANIFEST
    }
    write_json(directory / MANIFEST, {"schema": SCHEMA_VERSION, "files": files})


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")


def verify(run_dir: Path) -> dict[str, str]:
    """Check the manifest and every file's checksum; returns ``{name: sha256}``."""
    if not run_dir.is_dir():
        raise UserError("run directory not found", where=run_dir)
    manifest = read_json(run_dir, MANIFEST)
    files = manifest.get("files")
    if manifest.get("schema") != SCHEMA_VERSION:
        raise BundleError(
            f"bundle schema {manifest.get('schema')!r}; this version of "
            f"lstm-forecast reads schema {SCHEMA_VERSION}",
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
        path = _member_path(run_dir, name)
        if name not in (*REQUIRED_FILES, *OPTIONAL_FILES) and not _is_plot(name):
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


def _refuse_foreign_files(run_dir: Path) -> None:
    for path in sorted(run_dir.rglob("*")):
        foreign = path.suffix.lower() in _FOREIGN_SUFFIXES or path.name == "variables"
        if foreign:
            raise BundleError(
                "refusing a pickle, joblib, HDF5 or SavedModel file in a bundle: "
                "lstm-forecast writes and loads only model.keras, after checks",
                where=path,
            )


def _is_plot(name: str) -> bool:
    pure = PurePosixPath(name)
    return len(pure.parts) == 2 and pure.parts[0] == "plots" and pure.suffix == ".png"


def read_json(run_dir: Path, name: str) -> dict[str, Any]:
    path = run_dir / name
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise BundleError(f"larger than {MAX_JSON_BYTES} bytes", where=path)
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BundleError("missing: not a complete bundle", where=path) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"not valid JSON ({exc})", where=path) from None
    if not isinstance(data, dict):
        raise BundleError("not a JSON object", where=path)
    return data


def read_one_bundle(run_dir: Path, read: Callable[[Path], Loaded]) -> Loaded:
    """``read(run_dir)``, repeated until everything it read came from one bundle.

    A retrain (a cron job beside a predict job) swaps its new bundle into place in one
    rename. A reader that straddles the swap opens some files of the old bundle and some
    of the new: the manifest of one and a file of the other fail the checksum (a spurious
    exit 3), and files read after ``verify`` are not checked again, so an old scaler
    could be paired with a new network without a word. The swap gives ``run_dir`` a new
    directory inode, so a read during which the inode stayed put saw one bundle, and one
    during which it changed is repeated on the new bundle, its errors included.
    """
    for _ in range(READ_ATTEMPTS):
        before = _identity(run_dir)
        try:
            loaded = read(run_dir)
        except BundleError:
            if before is None or _identity(run_dir) == before:
                raise
            continue
        if before is None or _identity(run_dir) == before:
            return loaded
    raise BundleError(
        f"replaced by a newer bundle {READ_ATTEMPTS} times while being read; try again",
        where=run_dir,
    )


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_dev, status.st_ino


def check_keras_archive(path: Path) -> None:
    """Inspect a ``.keras`` zip without extracting it or running anything in it."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            names = [m.filename for m in members]
            if sorted(names) != sorted(_KERAS_MEMBERS):
                raise BundleError(
                    f"unexpected archive members {sorted(names)}; expected "
                    f"{sorted(_KERAS_MEMBERS)}",
                    where=path,
                )
            for member in members:
                if member.file_size > _KERAS_MEMBERS[member.filename]:
                    raise BundleError(
                        f"archive member {member.filename} expands to "
                        f"{member.file_size} bytes, over its cap",
                        where=path,
                    )
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"not a readable Keras archive ({exc})", where=path) from None
    _check_keras_config(config, path)


def load_keras_model(run_dir: Path, keras_version: str) -> keras.Model:
    """Load the network after the archive and its config pass every check."""
    path = run_dir / MODEL_FILE
    check_keras_archive(path)
    import keras

    if keras_version.split(".")[0] != keras.__version__.split(".")[0]:
        raise BundleError(
            f"written by Keras {keras_version}; this is Keras "
            f"{keras.__version__} (a different major version)",
            where=path,
        )
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except (ValueError, TypeError, OSError) as exc:
        raise BundleError(f"Keras refused to load it ({exc})", where=path) from None


def _check_keras_config(node: Any, path: Path) -> None:
    if isinstance(node, dict):
        if "class_name" in node:
            key = (node.get("module"), node["class_name"])
            if key not in _KERAS_CLASSES or node.get("registered_name") not in (None, key[1]):
                raise BundleError(
                    f"refusing Keras object {key[1]!r} from module {key[0]!r}: "
                    "not a layer lstm-forecast builds",
                    where=path,
                )
        for name in ("activation", "recurrent_activation"):
            if name in node and node[name] not in _ACTIVATIONS:
                raise BundleError(f"refusing activation {node[name]!r}", where=path)
        for value in node.values():
            _check_keras_config(value, path)
    elif isinstance(node, list):
        for value in node:
            _check_keras_config(value, path)


def _member_path(run_dir: Path, name: str) -> Path:
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or "\\" in name or not name:
        raise BundleError(f"refusing file name {name!r}", where=run_dir / MANIFEST)
    return run_dir / pure


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
