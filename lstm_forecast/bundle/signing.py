"""Signed bundles: with a key configured, train writes an HMAC-SHA256 of ``manifest.json``
(which holds the SHA-256 of every other member) into ``signature.json``, and every
reader refuses a bundle without one or with one this key did not make.

The key is a file named by the environment variable ``SIGNING_KEY_VARIABLE``, never the
key itself on a command line (where ``ps`` and shell histories show it). Without the
variable nothing changes: bundles are written unsigned and a signature is not checked.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

from ..errors import BundleError, UserError
from ..files import not_a_regular_file

SIGNING_KEY_VARIABLE = "LSTM_FORECAST_SIGNING_KEY_FILE"
SIGNATURE = "signature.json"
ALGORITHM = "HMAC-SHA256"
MIN_KEY_BYTES = 16
MAX_KEY_BYTES = 4096


def signing_key() -> bytes | None:
    """The configured key (the file's bytes without surrounding whitespace), or None
    when ``SIGNING_KEY_VARIABLE`` is unset or empty."""
    named = os.environ.get(SIGNING_KEY_VARIABLE, "")
    if not named:
        return None
    path = Path(named)
    where = f"{SIGNING_KEY_VARIABLE}={named}"
    why = not_a_regular_file(path)
    if why is not None:
        raise UserError(f"the signing key file {why}", where=where)
    if path.stat().st_size > MAX_KEY_BYTES:
        raise UserError(f"the signing key file is over {MAX_KEY_BYTES} bytes", where=where)
    try:
        key = path.read_bytes().strip()
    except OSError as exc:
        raise UserError(f"cannot read the signing key file: {exc.strerror}", where=where) from None
    if len(key) < MIN_KEY_BYTES:
        raise UserError(
            f"the signing key has {len(key)} bytes; use {MIN_KEY_BYTES} or more (e.g. "
            "`openssl rand -hex 32`)",
            where=where,
        )
    return key


def sign(directory: Path, manifest: bytes, key: bytes) -> None:
    """Write ``signature.json`` into ``directory`` for its manifest.json's bytes."""
    signature = {"algorithm": ALGORITHM, "manifest_hmac": _hmac(key, manifest)}
    (directory / SIGNATURE).write_text(json.dumps(signature, indent=2) + "\n", encoding="utf-8")


def check_signature(run_dir: Path, manifest: bytes, key: bytes) -> None:
    """Refuse (exit 3) a bundle whose ``signature.json`` is missing, malformed, or not
    this key's HMAC of ``manifest`` (the bytes of its manifest.json)."""
    path = run_dir / SIGNATURE
    if not path.is_file() or path.is_symlink():
        raise BundleError(
            f"unsigned: a signing key is configured ({SIGNING_KEY_VARIABLE}) and the bundle "
            f"has no {SIGNATURE}; retrain it on a host with the key",
            where=run_dir,
        )
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
        algorithm, value = recorded["algorithm"], recorded["manifest_hmac"]
    except (ValueError, TypeError, KeyError, UnicodeDecodeError, OSError):
        raise BundleError("malformed signature", where=path) from None
    if algorithm != ALGORITHM or not isinstance(value, str):
        raise BundleError(f"unknown signature algorithm {algorithm!r}", where=path)
    if not hmac.compare_digest(_hmac(key, manifest), value):
        raise BundleError(
            "signature does not match manifest.json under the configured key: the bundle "
            "was signed with another key, or changed after it was signed",
            where=path,
        )


def _hmac(key: bytes, manifest: bytes) -> str:
    return hmac.new(key, manifest, hashlib.sha256).hexdigest()
