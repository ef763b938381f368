"""Save and load run directories, atomically and safely.

Saving writes into a staging directory beside the target, writes ``manifest.json`` (the
SHA-256 of every file) last, and swaps the staging directory into place: a crash leaves
the previous bundle as it was. Loading trusts nothing: the manifest is checked, the Keras
archive is inspected as a zip and its layer config walked against an allowlist before
Keras deserializes anything, and only then is it loaded with ``safe_mode=True``.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from .data import file_sha256
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
MAX_JSON_BYTES = 64 << 20
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
            "Average",
        )
    }
    | {("keras.initializers", name) for name in ("GlorotUniform", "Orthogonal", "Zeros")}
    | {
        ("keras", "DTypePolicy"),
        ("keras.src.models.functional", "Functional"),
        (None, "__keras_tensor__"),
    }
)
_ACTIVATIONS = {"tanh", "sigmoid", "relu", "linear", None}
_FAILURES_OF_ENVIRONMENT = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.EIO,
}


def is_bundle(path: Path) -> bool:
    return (path / MANIFEST).is_file()


def check_target(target: Path) -> None:
    """Refuse an output directory we must not replace: one that holds something that is not
    a bundle, or a path through a file. Called before any training starts."""
    for parent in [target, *target.parents]:
        if parent.exists() and not parent.is_dir():
            what = "is a file" if parent == target else f"has a parent that is a file ({parent})"
            raise UserError(f"output directory {what}", where=target)
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

    The manifest is written after the body, then the staging directory replaces the
    target in one rename. On any failure the staging directory is removed and the
    previous bundle is untouched.
    """
    check_target(target)
    staging = target.parent / f".{target.name}.staging-{os.getpid()}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir()
    except OSError as exc:
        raise _environment_failure(exc, target) from None
    try:
        yield staging
        write_manifest(staging)
        _fsync_tree(staging)
        _swap_into_place(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if exc.errno in _FAILURES_OF_ENVIRONMENT:
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
    for name in REQUIRED_FILES:
        if name not in files:
            raise BundleError(
                f"{name} is not listed: the bundle is incomplete", where=run_dir / MANIFEST
            )
    for name, digest in files.items():
        path = _member_path(run_dir, name)
        if path.is_symlink() or not path.is_file():
            raise BundleError("missing or not a regular file (listed in manifest.json)", where=path)
        if file_sha256(path) != digest:
            raise BundleError(
                "SHA-256 does not match manifest.json: the file was changed "
                "after the bundle was written",
                where=path,
            )
    return files


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


def write_text_atomically(path: Path, text: str) -> None:
    write_bytes_atomically(path, text.encode("utf-8"))


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one rename: readers see the old file or the new one."""
    temporary = path.parent / f".{path.name}.tmp-{os.getpid()}"
    try:
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        _fsync(path.parent)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise EnvironmentFailure(
            f"cannot write: {exc.strerror or exc}; the previous file, if any, is intact", where=path
        ) from None


def _member_path(run_dir: Path, name: str) -> Path:
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or "\\" in name or not name:
        raise BundleError(f"refusing file name {name!r}", where=run_dir / MANIFEST)
    return run_dir / pure


def _fsync_tree(directory: Path) -> None:
    for path in [*directory.rglob("*"), directory]:
        _fsync(path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _swap_into_place(staging: Path, target: Path) -> None:
    """Make ``staging`` the directory at ``target``; the old bundle goes only afterwards."""
    if not target.exists():
        os.rename(staging, target)
    elif _exchange(staging, target):
        shutil.rmtree(staging)  # now holds the previous bundle
    else:
        previous = target.parent / f".{target.name}.previous-{os.getpid()}"
        os.rename(target, previous)
        os.rename(staging, target)
        shutil.rmtree(previous)
    _fsync(target.parent)


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
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        reason = "no space left on device"
    return EnvironmentFailure(
        f"cannot write the bundle: {reason}; the previous bundle, if any, is intact", where=target
    )
