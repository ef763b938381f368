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


# The JSON members' schemas: each key a bundle of this version writes, whether it is
# always there, and the JSON types it may hold (``int`` excludes true and false).
_Schema = dict[str, tuple[bool, tuple[type, ...]]]
_NUMBER = (int, float)
METADATA_SCHEMA: _Schema = {
    "schema": (True, (int,)),
    "lstm_forecast": (True, (str,)),
    "tensorflow": (False, (str,)),
    "keras": (False, (str,)),
    "python": (True, (str,)),
    "data_path": (True, (str,)),
    "data_sha256": (True, (str,)),
    "seed": (True, (int,)),
    "ensemble": (True, (int,)),
    "epochs_run": (True, (list,)),
    "best_epoch": (True, (list,)),
    "train_seconds": (True, _NUMBER),
    "onnx": (True, (dict,)),
    "created": (True, (str,)),
    "parent": (False, (dict,)),
}
METRICS_SCHEMA: _Schema = {
    "targets": (True, (list,)),
    "horizon": (True, (int,)),
    "season_length": (True, (int,)),
    "quantiles": (True, (list,)),
    "origins": (True, (int,)),
    "overall": (True, (dict, type(None))),
    "model_beats_seasonal_naive": (False, (dict,)),
    "model_beats_both_naives": (False, (dict,)),
    "series": (False, (dict,)),
    "skipped_series": (False, (dict,)),
    "against_naives": (False, (dict,)),
}


def check_json_member(data: dict[str, Any], schema: _Schema, path: Path) -> None:
    """Refuse a JSON member with a key its schema lacks, a required key missing, or a
    value of another type, naming the key."""
    unknown = sorted(set(data) - set(schema))
    if unknown:
        raise BundleError(f"unexpected key {unknown[0]!r}: not one this version writes", where=path)
    for key, (required, types) in schema.items():
        if key not in data:
            if required:
                raise BundleError(f"key {key!r} is missing", where=path)
            continue
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, types):
            wanted = " or ".join("null" if t is type(None) else t.__name__ for t in types)
            raise BundleError(f"key {key!r} holds {value!r}, not {wanted}", where=path)
