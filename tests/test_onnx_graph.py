"""The ONNX graph check is an allow-list (issue 37): a graph holding anything our export
does not write (a sparse tensor, data in another file, a graph nested deep, an attribute
kind, a training graph) is refused before ONNX Runtime opens it. No network is trained."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from lstm_forecast.errors import BundleError
from lstm_forecast.nn.onnx_graph import MAX_GRAPH_DEPTH, check_onnx_graph

from .helpers import run_python


def _model(nodes: list[onnx.NodeProto], initializers: list[TensorProto] = ()) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
        initializer=list(initializers),
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _weights() -> TensorProto:
    return numpy_helper.from_array(np.ones(2, dtype=np.float32), "w")


def _sparse(location: str | None) -> onnx.SparseTensorProto:
    values = numpy_helper.from_array(np.ones(1, dtype=np.float32), "v")
    if location is not None:  # the values' bytes in a file beside the model
        values.ClearField("raw_data")
        values.data_location = TensorProto.EXTERNAL
        values.external_data.add(key="location", value=location)
    indices = numpy_helper.from_array(np.zeros(1, dtype=np.int64), "i")
    return helper.make_sparse_tensor(values, indices, [4])


def _refused(model: onnx.ModelProto, says: str) -> None:
    with pytest.raises(BundleError, match=says):
        check_onnx_graph(model.SerializeToString(), Path("model.onnx"))


def test_a_graph_as_our_export_writes_it_passes() -> None:
    model = _model([helper.make_node("Identity", ["x"], ["y"])], [_weights()])
    check_onnx_graph(model.SerializeToString(), Path("model.onnx"))


def test_a_sparse_initializer_is_refused_whatever_it_stores() -> None:
    for location in (None, "secret.txt"):
        model = _model([helper.make_node("Identity", ["x"], ["y"])])
        model.graph.sparse_initializer.append(_sparse(location))
        _refused(model, "holds a sparse tensor")


def test_a_constant_s_sparse_value_is_refused() -> None:
    node = helper.make_node("Constant", [], ["y"], sparse_value=_sparse("secret.txt"))
    _refused(_model([node]), "holds a sparse tensor")


def test_external_data_named_without_a_location_flag_is_refused() -> None:
    weights = _weights()
    weights.external_data.add(key="location", value="secret.txt")
    _refused(_model([helper.make_node("Identity", ["x"], ["y"])], [weights]), "external file")


@pytest.mark.parametrize(
    ("attribute", "says"),
    [
        (helper.make_attribute("types", [helper.make_tensor_type_proto(1, [1])]), "field 15"),
        (helper.make_attribute("ts", [_weights(), _weights()]), "field 10"),
    ],
    ids=["type-protos", "tensor-list"],
)
def test_attribute_kinds_our_export_never_writes_are_refused(
    attribute: onnx.AttributeProto, says: str
) -> None:
    node = helper.make_node("Identity", ["x"], ["y"])
    node.attribute.append(attribute)
    _refused(_model([node]), says)


def test_a_training_graph_beside_the_graph_is_refused() -> None:
    model = _model([helper.make_node("Identity", ["x"], ["y"])])
    model.training_info.add()
    _refused(model, "holds field 20 of a model")


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        out.append((value & 0x7F) | (0x80 if value > 0x7F else 0))
        value >>= 7
        if not value:
            return bytes(out)


def test_graphs_nested_thousands_deep_are_refused_without_exhausting_the_stack() -> None:
    graph = _field(1, _field(4, b"Identity"))
    for _ in range(3000):  # If -> then_branch -> If -> ...
        attribute = _field(1, b"then_branch") + _field(6, graph) + b"\xa0\x01\x05"  # type 5
        graph = _field(1, _field(4, b"If") + _field(5, attribute))
    model = _field(7, graph) + _field(8, _field(1, b""))
    with pytest.raises(BundleError, match=f"nests graphs more than {MAX_GRAPH_DEPTH} deep"):
        check_onnx_graph(model, Path("model.onnx"))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a named pipe")
def test_the_file_a_sparse_tensor_names_is_never_opened(tmp_path: Path) -> None:
    """The named file is a pipe with no writer: whoever opened it would wait forever, so a
    refusal within the timeout shows nobody did."""
    os.mkfifo(tmp_path / "secret.txt")
    model = _model([helper.make_node("Identity", ["x"], ["y"])])
    model.graph.sparse_initializer.append(_sparse("secret.txt"))
    (tmp_path / "model.onnx").write_bytes(model.SerializeToString())
    code = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from lstm_forecast.errors import BundleError
        from lstm_forecast.nn.onnx_runtime import load_onnx_network
        os.chdir({str(tmp_path)!r})
        try:
            load_onnx_network(Path("model.onnx"))
        except BundleError as exc:
            print(exc.message)
        """
    )
    ran = run_python(code, timeout=60)
    assert ran.code == 0, ran.err
    assert "refused before parsing: the graph holds a sparse tensor" in ran.out
