"""What a bundle must pass before anything in it is deserialised: no file in a format
that runs code, no path out of the folder, and a Keras archive whose every layer is one
lstm-forecast builds (read as a zip and JSON, without Keras)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import BundleError

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
            "Add",
        )
    }
    | {
        ("keras.initializers", name)
        for name in ("GlorotUniform", "Orthogonal", "Zeros", "RandomUniform")
    }
    | {
        ("keras.regularizers", "L2"),  # model.linear_skip's penalty
        ("keras", "DTypePolicy"),
        ("keras.src.models.functional", "Functional"),
        (None, "__keras_tensor__"),
    }
)
_ACTIVATIONS = {"tanh", "sigmoid", "relu", "softplus", "linear", None}


def member_path(run_dir: Path, name: str, manifest: Path) -> Path:
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or "\\" in name or not name:
        raise BundleError(f"refusing file name {name!r}", where=manifest)
    return run_dir / pure


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
