"""Every member of a bundle is checked by every reader, whichever members the command
uses: the Keras archive's config (without TensorFlow) even when predict runs the ONNX
file, the ONNX graph's operators before ONNX Runtime parses it, and the JSON members
against their schemas. One failure refuses the bundle (exit 3), naming member and rule."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import onnx
import pytest

from lstm_forecast.bundle.store import write_manifest
from lstm_forecast.errors import BundleError
from lstm_forecast.nn.onnx_graph import check_onnx_graph

from .bundles import SharedBundle
from .helpers import run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bundle(shared_airline: SharedBundle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_airline.copy(tmp_path_factory.mktemp("trust"))


def tampered(bundle: Path, folder: Path, change: Callable[[Path], None]) -> Path:
    """A copy of ``bundle`` changed by ``change``, its manifest rewritten to match (what
    anyone who can write the folder can do)."""
    copy = folder / "tampered"
    shutil.copytree(bundle, copy)
    change(copy)
    (copy / "manifest.json").unlink()
    write_manifest(copy)
    return copy


def add_lambda(run_dir: Path) -> None:
    """A Lambda layer in model.keras' config, the rest of the archive as it was."""
    path = run_dir / "model.keras"
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    layer = {"module": "keras.layers", "class_name": "Lambda", "config": {"function": "x"}}
    config["config"]["layers"].append(layer)
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def edit_onnx(edit: Callable[[onnx.ModelProto], None]) -> Callable[[Path], None]:
    def change(run_dir: Path) -> None:
        model = onnx.load(run_dir / "model.onnx")
        edit(model)
        (run_dir / "model.onnx").write_bytes(model.SerializeToString())

    return change


def foreign_domain(model: onnx.ModelProto) -> None:
    model.graph.node[0].domain = "com.example.custom"


def unknown_operator(model: onnx.ModelProto) -> None:
    model.graph.node.append(onnx.helper.make_node("Upsample", ["a"], ["b"]))


def external_weights(model: onnx.ModelProto) -> None:
    model.graph.initializer[0].data_location = onnx.TensorProto.EXTERNAL


def nested_foreign_op(model: onnx.ModelProto) -> None:
    """A custom operator inside the body of a Loop, where a flat scan would miss it."""
    body = onnx.helper.make_graph([onnx.helper.make_node("RunMe", [], [], domain="x")], "b", [], [])
    model.graph.node.append(onnx.helper.make_node("Loop", ["m", "c"], ["o"], body=body))


def json_change(name: str, key: str, value: object) -> Callable[[Path], None]:
    def change(run_dir: Path) -> None:
        data = json.loads((run_dir / name).read_text())
        data[key] = value
        (run_dir / name).write_text(json.dumps(data))

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (add_lambda, "model.keras: refusing Keras object 'Lambda'"),
        (
            edit_onnx(foreign_domain),
            "model.onnx: refused before parsing: the graph uses operator",
        ),
        (
            edit_onnx(unknown_operator),
            "model.onnx: refused before parsing: the graph uses operator 'Upsample', "
            "which our export never writes",
        ),
        (
            edit_onnx(external_weights),
            "model.onnx: refused before parsing: the graph stores a tensor in an external file",
        ),
        (
            edit_onnx(nested_foreign_op),
            "model.onnx: refused before parsing: the graph uses operator 'RunMe' of domain 'x'",
        ),
        (json_change("metadata.json", "onnx", "yes"), "metadata.json: key 'onnx' holds 'yes'"),
        (json_change("metadata.json", "loader", "x"), "metadata.json: unexpected key 'loader'"),
        (json_change("metrics.json", "horizon", True), "metrics.json: key 'horizon' holds True"),
    ],
    ids=[
        "lambda-beside-onnx",
        "foreign-domain",
        "unknown-operator",
        "external-weights",
        "operator-in-a-loop-body",
        "metadata-type",
        "metadata-key",
        "metrics-type",
    ],
)
def test_a_resigned_bundle_with_any_bad_member_is_refused_by_every_reader(
    bundle: Path, tmp_path: Path, change: Callable[[Path], None], message: str
) -> None:
    copy = tampered(bundle, tmp_path, change)
    for command in ("predict", "evaluate"):
        ran = run_cli(command, copy)
        assert ran.code == 3, (command, ran.err)
        assert message in ran.err, ran.err


def test_the_graph_check_reads_what_onnx_reads(bundle: Path) -> None:
    """The wire-format reader agrees with the onnx package on a real export: it passes,
    and the operators it allows include every one the export wrote."""
    content = (bundle / "model.onnx").read_bytes()
    check_onnx_graph(content, bundle / "model.onnx")
    with pytest.raises(BundleError, match="not a well-formed ONNX file"):
        check_onnx_graph(content[: len(content) // 2], bundle / "model.onnx")
