"""Signed bundles: with a key file named by LSTM_FORECAST_SIGNING_KEY_FILE, train signs
the manifest and every reader refuses an unsigned bundle or another key's signature
(exit 3); without the variable nothing changes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from lstm_forecast.bundle.signing import SIGNING_KEY_VARIABLE
from lstm_forecast.bundle.store import write_manifest

from .bundles import SharedBundle
from .helpers import assert_one_line_error, run_cli, run_process, train_tiny

pytestmark = pytest.mark.slow


def key_file(folder: Path, name: str, key: str = "0123456789abcdef0123456789abcdef") -> Path:
    path = folder / name
    path.write_text(key + "\n")
    return path


@pytest.fixture(scope="module")
def signed(
    shared_airline: SharedBundle, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, Path]:
    """A bundle trained with a key, one trained without, and the key file."""
    folder = tmp_path_factory.mktemp("signing")
    key = key_file(folder, "training.key")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SIGNING_KEY_VARIABLE, str(key))
        train_tiny("airline", folder / "signed")
    unsigned = shared_airline.copy(folder / "unsigned_folder")
    return folder / "signed", unsigned, key


def test_a_signed_bundle_is_read_with_its_key_and_without_one(
    signed: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    signed_dir, unsigned_dir, key = signed
    assert (signed_dir / "signature.json").is_file()
    assert not (unsigned_dir / "signature.json").exists()
    assert "signature.json" not in (signed_dir / "manifest.json").read_text()
    without = run_cli("predict", signed_dir)
    monkeypatch.setenv(SIGNING_KEY_VARIABLE, str(key))
    with_key = run_cli("predict", signed_dir)
    assert with_key.code == 0 and without.code == 0, (with_key.err, without.err)
    assert with_key.out == without.out


def test_with_a_key_configured_unsigned_and_foreign_bundles_are_refused(
    signed: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed_dir, unsigned_dir, key = signed
    monkeypatch.setenv(SIGNING_KEY_VARIABLE, str(key))
    ran = run_cli("predict", unsigned_dir)
    assert_one_line_error(ran.code, ran.err, 3, "unsigned", SIGNING_KEY_VARIABLE)
    # Someone who can write the folder but has no key: a changed member, the manifest
    # rewritten to match; the old signature no longer fits.
    copy = tmp_path / "changed"
    shutil.copytree(signed_dir, copy)
    (copy / "history.csv").write_text("member,epoch,loss\n")
    (copy / "manifest.json").unlink()
    write_manifest(copy)
    ran = run_cli("evaluate", copy)
    assert_one_line_error(ran.code, ran.err, 3, "signature.json: signature does not match")
    # A signature.json written by hand (no key): a well-formed HMAC that is not this one.
    forged = tmp_path / "forged"
    shutil.copytree(signed_dir, forged)
    signature = json.loads((forged / "signature.json").read_text())
    signature["manifest_hmac"] = "0" * 64
    (forged / "signature.json").write_text(json.dumps(signature))
    ran = run_cli("predict", forged)
    assert_one_line_error(ran.code, ran.err, 3, "signature.json: signature does not match")
    # The prediction host holds another key.
    monkeypatch.setenv(SIGNING_KEY_VARIABLE, str(key_file(tmp_path, "other.key", "f" * 32)))
    ran = run_cli("predict", signed_dir)
    assert_one_line_error(ran.code, ran.err, 3, "signed with another key")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(None, "the signing key file not found"), ("short", "the signing key has 5 bytes")],
    ids=["missing", "short"],
)
def test_a_key_file_that_cannot_be_used_is_an_error_naming_the_variable(
    signed: tuple[Path, Path, Path], tmp_path: Path, content: str | None, fragment: str
) -> None:
    path = tmp_path / "bad.key"
    if content is not None:
        path.write_text(content)
    env = {**os.environ, SIGNING_KEY_VARIABLE: str(path)}
    ran = run_process("predict", signed[0], env=env)
    assert_one_line_error(ran.code, ran.err, 2, f"{SIGNING_KEY_VARIABLE}={path}", fragment)
