"""Bundles: atomic saving, manifest checks, and refusing model files that carry code."""

from __future__ import annotations

import errno
import json
import os
import shutil
import zipfile
from pathlib import Path
from typing import BinaryIO

import pytest

from lstm_forecast.bundle import store
from lstm_forecast.bundle.atomic import write_atomically, write_bytes_atomically
from lstm_forecast.bundle.layout import REQUIRED_FILES
from lstm_forecast.bundle.store import (
    read_one_bundle,
    staged_bundle,
    verify,
    write_manifest,
)
from lstm_forecast.bundle.trust import check_keras_archive
from lstm_forecast.errors import BundleError, EnvironmentFailure, UserError

from .bundles import SharedBundle
from .helpers import run_cli

# Spelled out, not imported: a renamed bundle file must fail this test.
REQUIRED = (
    "model.keras",
    "preprocessing.json",
    "config.yaml",
    "metadata.json",
    "metrics.json",
    "history.csv",
)


def fake_bundle(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name in REQUIRED:
        (directory / name).write_text(f"{name}\n")
    write_manifest(directory)
    return directory


def test_manifest_round_trip(tmp_path: Path) -> None:
    files = verify(fake_bundle(tmp_path / "b"))
    assert set(files) == set(REQUIRED) == set(REQUIRED_FILES)


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda b: (b / "metrics.json").write_text("{}"), "metrics.json: SHA-256 does not match"),
        (lambda b: (b / "history.csv").unlink(), "history.csv: missing or not a regular file"),
        (lambda b: (b / "manifest.json").unlink(), "manifest.json: missing"),
        (lambda b: (b / "manifest.json").write_text("{"), "manifest.json: not valid JSON"),
        (
            lambda b: (b / "manifest.json").write_text('{"schema": 99, "files": {}}'),
            "bundle schema 99",
        ),
        (lambda b: _rewrite_manifest(b, drop="model.keras"), "model.keras is not listed"),
        (lambda b: _rewrite_manifest(b, add="../outside"), "refusing file name '../outside'"),
        (lambda b: _rewrite_manifest(b, add="/etc/passwd"), "refusing file name '/etc/passwd'"),
    ],
)
def test_verify_refuses_what_does_not_match(tmp_path: Path, tamper, message: str) -> None:  # type: ignore[no-untyped-def]
    bundle = fake_bundle(tmp_path / "b")
    tamper(bundle)
    with pytest.raises(BundleError, match=message.replace("(", r"\(")):
        verify(bundle)


def _plant(bundle: Path, name: str, *, resign: bool) -> None:
    (bundle / name).parent.mkdir(parents=True, exist_ok=True)
    (bundle / name).write_bytes(b"\x80\x04payload")
    if resign:
        write_manifest(bundle)


@pytest.mark.parametrize(
    ("name", "resign", "message"),
    [
        ("model.h5", False, "model.h5: refusing a pickle, joblib, HDF5 or SavedModel file"),
        ("scaler.pkl", True, "scaler.pkl: refusing a pickle"),
        ("extra/scaler.joblib", True, "scaler.joblib: refusing a pickle"),
        ("saved_model/saved_model.pb", False, "saved_model.pb: refusing"),
        ("notes.txt", True, "unexpected file 'notes.txt' listed"),
        ("plots/evil.svg", True, "unexpected file 'plots/evil.svg' listed"),
    ],
)
def test_foreign_and_unexpected_files_are_refused(
    tmp_path: Path, name: str, resign: bool, message: str
) -> None:
    bundle = fake_bundle(tmp_path / "b")
    _plant(bundle, name, resign=resign)
    with pytest.raises(BundleError, match=message):
        verify(bundle)


def test_plots_are_allowed(tmp_path: Path) -> None:
    bundle = fake_bundle(tmp_path / "b")
    _plant(bundle, "plots/loss.png", resign=True)
    assert "plots/loss.png" in verify(bundle)


def _rewrite_manifest(bundle: Path, *, drop: str | None = None, add: str | None = None) -> None:
    manifest = json.loads((bundle / "manifest.json").read_text())
    if drop:
        del manifest["files"][drop]
    if add:
        manifest["files"][add] = "0" * 64
    (bundle / "manifest.json").write_text(json.dumps(manifest))


def test_symlinked_file_is_refused(tmp_path: Path) -> None:
    bundle = fake_bundle(tmp_path / "b")
    (tmp_path / "elsewhere").write_text("history.csv\n")
    (bundle / "history.csv").unlink()
    (bundle / "history.csv").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(BundleError, match=r"history\.csv: missing or not a regular file"):
        verify(bundle)


def test_staged_bundle_replaces_only_on_success(tmp_path: Path) -> None:
    target = fake_bundle(tmp_path / "run")
    old = (target / "manifest.json").read_bytes()
    with pytest.raises(RuntimeError), staged_bundle(target) as staging:
        (staging / "model.keras").write_text("half")
        raise RuntimeError("crash")
    assert (target / "manifest.json").read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no lock, no staging
    with staged_bundle(target) as staging:
        for name in REQUIRED:
            (staging / name).write_text("new\n")
    assert (target / "model.keras").read_text() == "new\n"
    verify(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no lock, no staging


def test_staged_bundle_refuses_a_directory_that_is_not_a_bundle(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("mine")
    refused = pytest.raises(UserError, match="not an lstm-forecast bundle")
    with refused, staged_bundle(tmp_path / "run"):
        pass
    assert (tmp_path / "run" / "notes.txt").read_text() == "mine"


def test_atomic_write_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text("old")
    write_bytes_atomically(path, b"new")
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_write_that_fails_midway_leaves_the_previous_file(tmp_path: Path) -> None:
    """An output written piece by piece (predict's CSV) that fails after its first piece,
    by a full disk or by a bug: the previous file stays whole, no temporary is left."""
    path = tmp_path / "out.csv"
    path.write_text("previous\n")

    def fills_the_disk(handle: BinaryIO) -> None:
        handle.write(b"first piece\n")
        raise OSError(errno.ENOSPC, "No space left on device")

    def breaks(handle: BinaryIO) -> None:
        handle.write(b"first piece\n")
        raise RuntimeError("a bug")

    with pytest.raises(EnvironmentFailure, match="no space left on device"):
        write_atomically(path, fills_the_disk)
    with pytest.raises(RuntimeError):
        write_atomically(path, breaks)
    assert path.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def keras_zip(path: Path, config: object, members: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", "{}")
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", b"")
        for name, data in (members or {}).items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("config", "members", "message"),
    [
        ({"module": "keras.layers", "class_name": "Lambda", "config": {}}, None, "'Lambda'"),
        ({"module": "os", "class_name": "system", "config": {}}, None, "'system' from module 'os'"),
        (
            {"module": "keras.layers", "class_name": "Dense", "registered_name": "evil>Dense"},
            None,
            "'Dense'",
        ),
        (
            {
                "module": "keras.layers",
                "class_name": "Dense",
                "config": {"activation": "os.system"},
            },
            None,
            "refusing activation 'os.system'",
        ),
        ({}, {"../escape.py": b"x"}, "unexpected archive members"),
        ({}, {"payload.pkl": b"x"}, "unexpected archive members"),
    ],
)
def test_keras_archive_allowlist(
    tmp_path: Path, config: object, members: dict[str, bytes] | None, message: str
) -> None:
    path = keras_zip(tmp_path / "model.keras", config, members)
    with pytest.raises(BundleError, match=message):
        check_keras_archive(path)


def test_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.keras"
    path.write_bytes(b"\x89HDF\r\n")  # an .h5 file renamed
    with pytest.raises(BundleError, match="not a readable Keras archive"):
        check_keras_archive(path)


@pytest.mark.slow
def test_lambda_payload_in_a_resigned_bundle_never_runs(
    shared_airline: SharedBundle, tmp_path: Path
) -> None:
    """A real Keras Lambda payload (it creates a marker file when deserialized unsafely),
    placed in a bundle whose manifest the attacker re-signed, is refused before it runs."""
    import keras

    run_dir = shared_airline.copy(tmp_path / "airline")
    marker = tmp_path / "marker"
    code = f"lambda x: (open({str(marker)!r}, 'w').close(), x)[1]"
    inputs = keras.Input((24, 1))
    outputs = keras.layers.Reshape((12, 1))(
        keras.layers.Dense(12)(keras.layers.Flatten()(keras.layers.Lambda(eval(code))(inputs)))
    )
    keras.Model(inputs, outputs).save(tmp_path / "evil.keras")
    marker.unlink()  # building the model ran the lambda once; start clean
    # The payload is live: unsafe loading would run it.
    keras.saving.load_model(tmp_path / "evil.keras", safe_mode=False)
    assert marker.exists()
    marker.unlink()

    (run_dir / "model.keras").write_bytes((tmp_path / "evil.keras").read_bytes())
    (run_dir / "model.onnx").unlink()  # so that predict falls back to the Keras file
    (run_dir / "manifest.json").unlink()
    write_manifest(run_dir)
    ran = run_cli("predict", run_dir)
    assert ran.code == 3
    assert "model.keras: refusing Keras object 'Lambda'" in ran.err
    assert not marker.exists()


def test_disk_full_while_saving_is_an_environment_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from lstm_forecast.errors import EnvironmentFailure

    target = fake_bundle(tmp_path / "run")
    old = (target / "manifest.json").read_bytes()

    def full_disk(directory: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store, "write_manifest", full_disk)
    refused = pytest.raises(EnvironmentFailure, match="no space left on device; the previous")
    with refused, staged_bundle(target) as staging:
        (staging / "model.keras").write_text("new")
    assert EnvironmentFailure.exit_code == 4
    assert (target / "manifest.json").read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no lock, no staging


def swap_in(new: Path, target: Path) -> None:
    """What a retrain does to ``target``: a new directory in its place, the old one gone."""
    old = target.with_name(target.name + ".old")
    os.rename(target, old)
    os.rename(new, target)
    shutil.rmtree(old)


def second_bundle(tmp_path: Path, name: str = "new") -> Path:
    new = fake_bundle(tmp_path / name)
    (new / "config.yaml").write_text(f"the config of bundle {name}\n")
    write_manifest(new)
    return new


def test_a_read_straddling_a_swap_is_repeated_on_the_new_bundle(tmp_path: Path) -> None:
    target, new = fake_bundle(tmp_path / "run"), second_bundle(tmp_path)
    reads = []

    def read(run_dir: Path) -> tuple[str, str]:
        manifest = (run_dir / "manifest.json").read_text()
        if not reads:
            swap_in(new, target)  # between this reader's two files
        reads.append(run_dir)
        return manifest, (run_dir / "config.yaml").read_text()

    manifest, config = read_one_bundle(target, read)
    assert len(reads) == 2
    assert config == "the config of bundle new\n"
    assert json.loads(manifest)["files"]["config.yaml"] == verify(target)["config.yaml"]


def test_a_checksum_failure_caused_by_a_swap_is_not_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target, new = fake_bundle(tmp_path / "run"), second_bundle(tmp_path)
    hash_file = store.file_sha256

    def swap_then_hash(path: Path) -> str:
        if new.exists():
            swap_in(new, target)  # after verify read the old manifest
        return hash_file(path)

    monkeypatch.setattr(store, "file_sha256", swap_then_hash)
    with pytest.raises(BundleError, match="SHA-256 does not match"):
        verify(target)  # what a reader without the repeat would report
    new = second_bundle(tmp_path, "newer")
    files = read_one_bundle(target, verify)
    assert files == json.loads((target / "manifest.json").read_text())["files"]
    assert files["config.yaml"] == verify(target)["config.yaml"] and not new.exists()


def test_a_refused_bundle_is_reported_at_once_when_nothing_was_swapped(tmp_path: Path) -> None:
    target = fake_bundle(tmp_path / "run")
    (target / "config.yaml").write_text("changed by hand\n")
    reads = []

    def read(run_dir: Path) -> dict[str, str]:
        reads.append(run_dir)
        return verify(run_dir)

    with pytest.raises(BundleError, match="SHA-256 does not match"):
        read_one_bundle(target, read)
    assert len(reads) == 1


def test_a_reader_goes_on_while_swaps_continue_and_gives_up_at_its_time_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten swaps in a row under one reader: it reads an eleventh time and succeeds. With
    the time limit spent, it gives up, saying why."""
    target = fake_bundle(tmp_path / "run")
    reads = []

    def read(run_dir: Path) -> str:
        reads.append(run_dir)
        if len(reads) <= 10:
            swap_in(second_bundle(tmp_path, f"new{len(reads)}"), target)
        return (run_dir / "config.yaml").read_text()

    assert read_one_bundle(target, read) == "the config of bundle new10\n"
    assert len(reads) == 11
    monkeypatch.setattr(store, "READ_TIMEOUT_SECONDS", 0.0)
    reads.clear()
    with pytest.raises(BundleError, match="replaced by newer bundles for 0 s while being read"):
        read_one_bundle(target, read)
    assert len(reads) == 1


def test_a_file_vanishing_in_a_swap_is_read_again_not_a_crash(tmp_path: Path) -> None:
    """A reader that opens a file the swap just deleted (an OSError, not a refusal)."""
    target, new = fake_bundle(tmp_path / "run"), second_bundle(tmp_path)
    reads = []

    def read(run_dir: Path) -> str:
        reads.append(run_dir)
        if len(reads) == 1:
            swap_in(new, target)
            (target / "history.csv").unlink()  # as if it were the old bundle's, now gone
            raise FileNotFoundError(2, "No such file", str(target / "history.csv"))
        return (run_dir / "config.yaml").read_text()

    assert read_one_bundle(target, read) == "the config of bundle new\n"
