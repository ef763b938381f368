"""The network's files: ``model.keras`` saved and loaded (after the bundle's checks), and
its ONNX copy exported and compared with Keras; the network as a plain function (Keras)."""

from __future__ import annotations

import contextlib
import dataclasses
import io
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ..errors import BundleError
from ..features.coding import WindowCoding
from ..features.forecasts import Forecaster, Network, forecaster_of
from .network import uncompiled
from .onnx_runtime import load_onnx_network

__all__ = [
    "ONNX_TOLERANCE",
    "OnnxExport",
    "as_forecaster",
    "export_onnx",
    "framework_versions",
    "keras_network",
    "load_keras_model",
    "save_model",
]


def as_forecaster(model: keras.Model, coding: WindowCoding, batch_size: int = 4096) -> Forecaster:
    """``model`` behind ``coding`` (``features.forecasts.forecaster_of``), in inference
    mode (dropout off)."""
    return forecaster_of(keras_network(model), coding, batch_size)


def keras_network(model: keras.Model) -> Network:
    """``model`` as a plain function of encoded inputs, in inference mode (dropout off)."""

    def network(inputs: np.ndarray) -> np.ndarray:
        return np.asarray(model(inputs, training=False))

    return network


@dataclass(frozen=True)
class OnnxExport:
    """What became of the ONNX copy of a network (recorded in metadata.json)."""

    shipped: bool
    max_abs_difference: float | None  # ONNX Runtime against Keras, in scaled units
    reason: str | None = None  # why it was not shipped

    def to_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)


ONNX_TOLERANCE = 1e-4


def export_onnx(model: keras.Model, path: Path, check_inputs: np.ndarray) -> OnnxExport:
    """Write ``model`` as ONNX to ``path`` if ONNX Runtime reproduces Keras' outputs on
    ``check_inputs`` (encoded windows) to within ``ONNX_TOLERANCE``; otherwise write
    nothing and say why. Predict prefers the ONNX file: it needs no TensorFlow."""
    expected = np.asarray(model(check_inputs, training=False))
    try:
        # Keras and tf2onnx print progress on stdout, which belongs to results.
        with contextlib.redirect_stdout(io.StringIO()):
            model.export(str(path), format="onnx", verbose=False)
        difference = float(np.max(np.abs(load_onnx_network(path)(check_inputs) - expected)))
    except (ValueError, TypeError, RuntimeError, ImportError, OSError, BundleError) as exc:
        path.unlink(missing_ok=True)
        return OnnxExport(False, None, f"export failed: {type(exc).__name__}: {exc}")
    if not difference <= ONNX_TOLERANCE:
        path.unlink(missing_ok=True)
        return OnnxExport(False, difference, f"ONNX Runtime differs from Keras by {difference:.3g}")
    return OnnxExport(True, difference)


def save_model(model: keras.Model, path: Path) -> None:
    """Save the architecture and weights only: no optimizer or compile state, so the
    archive holds nothing a loader must deserialize beyond our own layers."""
    uncompiled(model).save(path)


def load_keras_model(path: Path, keras_version: str) -> keras.Model:
    """Load a ``model.keras`` that passed the bundle's archive checks
    (``bundle.trust.check_keras_archive``), with ``safe_mode``."""
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


def framework_versions() -> dict[str, str]:
    """The TensorFlow and Keras versions that trained a network (for metadata.json)."""
    return {"tensorflow": tf.__version__, "keras": keras.__version__}
