"""A bundle read as the starting point of a warm-started training: verified as every
reader verifies it, with its Keras network (TensorFlow is imported here)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Config
from ..errors import BundleError, UserError
from ..features import Preprocessing
from ..files import file_sha256
from .layout import MANIFEST, MODEL_FILE, read_body
from .store import is_bundle, read_one_bundle, verify
from .trust import check_keras_archive

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class Parent:
    """A trained bundle a new training starts from."""

    run_dir: Path
    config: Config
    preprocessing: Preprocessing
    model: keras.Model
    manifest_sha256: str  # recorded in the child's metadata.json

    def record(self) -> dict[str, str]:
        return {"run_dir": str(self.run_dir), "manifest_sha256": self.manifest_sha256}


def load_parent(run_dir: Path) -> Parent:
    """The bundle in ``run_dir`` and its Keras network, all from one bundle even if a
    retrain swaps in a new one meanwhile.

    Raises:
        UserError: ``run_dir`` is not a bundle.
        BundleError: it is one, but fails a check (exit 3, as for every reader).
    """
    if not is_bundle(run_dir):
        raise UserError(
            "training.init_from: not a bundle (no manifest.json); name a run directory "
            "written by train",
            where=run_dir,
        )
    return read_one_bundle(run_dir, _read)


def _read(run_dir: Path) -> Parent:
    files = verify(run_dir)
    body = read_body(run_dir, files)
    check_keras_archive(run_dir / MODEL_FILE)  # before Keras reads any of it
    from ..nn import keras_file

    keras_version = str(body.metadata.get("keras", ""))
    model = keras_file.load_keras_model(run_dir / MODEL_FILE, keras_version)
    recorded = body.preprocessing.coding.output_shape
    if tuple(model.output_shape[1:]) != recorded:
        raise BundleError(
            f"the network's outputs have shape {tuple(model.output_shape[1:])} a window where "
            f"preprocessing.json records {recorded} (horizon, targets[, quantiles]): the "
            "network is not the one trained with it; restore the bundle as train wrote it",
            where=run_dir / MODEL_FILE,
        )
    return Parent(
        run_dir=run_dir,
        config=body.config,
        preprocessing=body.preprocessing,
        model=model,
        manifest_sha256=file_sha256(run_dir / MANIFEST),
    )
