"""What a ``model.onnx`` must pass before ONNX Runtime parses it (no TensorFlow): read as
protobuf wire format here (no ``onnx`` package, no ONNX Runtime), every node of every graph and
subgraph is an operator of the default domain that our export produces, no tensor
points at external data (a file ONNX Runtime would open beside the model), and the file
holds no functions.

Protobuf's wire format: each field is a varint key (field number << 3 | wire type), then
a varint (type 0), 8 bytes (1), a varint length and that many bytes (2), or 4 bytes (5).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..errors import BundleError

# Every operator Keras' ONNX export (tf2onnx) writes for the networks lstm-forecast builds
# (LSTM and GRU layers, bidirectional, folded, dense, quantile heads, embeddings,
# ensembles), and the ones it writes for the same layers under other shapes; any other
# operator, or any other domain, is refused.
ALLOWED_OPERATORS = frozenset(
    {
        "Add", "And", "Cast", "Clip", "Concat", "Constant", "ConstantOfShape", "Div",
        "Dropout", "Equal", "Expand", "Flatten", "Gather", "Gemm", "Greater", "GRU",
        "Identity", "If", "Less", "Loop", "LSTM", "MatMul", "Max", "Mean", "Min", "Mul",
        "Neg", "Not", "Or", "Range", "Relu", "Reshape", "ReverseSequence", "Scan", "Shape",
        "Sigmoid", "Slice", "Softplus", "Split", "Squeeze", "Sub", "Sum", "Tanh", "Tile",
        "Transpose", "Unsqueeze", "Where",
    }
)  # fmt: skip
# Opset domains a graph may import (the export imports ai.onnx.ml without using it).
ALLOWED_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml"})

# Field numbers of onnx.proto3.
_MODEL_GRAPH, _MODEL_OPSET, _MODEL_FUNCTIONS = 7, 8, 25
_OPSET_DOMAIN = 1
_GRAPH_NODE, _GRAPH_INITIALIZER, _GRAPH_SPARSE_INITIALIZER = 1, 5, 15
_NODE_OP_TYPE, _NODE_ATTRIBUTE, _NODE_DOMAIN = 4, 5, 7
_ATTRIBUTE_TENSOR, _ATTRIBUTE_GRAPH, _ATTRIBUTE_TENSORS, _ATTRIBUTE_GRAPHS = 5, 6, 10, 11
_TENSOR_DATA_LOCATION, _EXTERNAL = 14, 1
_LENGTH_DELIMITED = 2


def check_onnx_graph(content: bytes, path: Path) -> None:
    """Refuse the ONNX file ``content`` read from ``path`` (exit 3) unless every operator
    and domain is allowed, no tensor is stored outside the file, and there are no
    functions; the message names the rule."""
    try:
        data = memoryview(content)
        graphs = 0
        for field, value in _fields(data):
            if field == _MODEL_GRAPH:
                graphs += 1
                _check_graph(_bytes(value))
            elif field == _MODEL_OPSET:
                domain = _text(_first(_bytes(value), _OPSET_DOMAIN))
                if domain not in ALLOWED_DOMAINS:
                    raise _Refused(f"imports operator set {domain!r}")
            elif field == _MODEL_FUNCTIONS:
                raise _Refused("defines functions, which our export never writes")
        if graphs != 1:
            raise _Refused(f"holds {graphs} graphs, not one")
    except _Refused as exc:
        raise BundleError(f"refused before parsing: the graph {exc}", where=path) from None
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise BundleError(f"not a well-formed ONNX file ({exc})", where=path) from None


class _Refused(Exception):
    """A rule the graph breaks (the message says which)."""


def _check_graph(graph: memoryview) -> None:
    for field, value in _fields(graph):
        if field == _GRAPH_NODE:
            _check_node(_bytes(value))
        elif field in (_GRAPH_INITIALIZER, _GRAPH_SPARSE_INITIALIZER):
            _check_tensor(_bytes(value))


def _check_node(node: memoryview) -> None:
    op_type, domain = "", ""
    for field, value in _fields(node):
        if field == _NODE_OP_TYPE:
            op_type = _text(value)
        elif field == _NODE_DOMAIN:
            domain = _text(value)
        elif field == _NODE_ATTRIBUTE:
            for inner, part in _fields(_bytes(value)):
                if inner in (_ATTRIBUTE_GRAPH, _ATTRIBUTE_GRAPHS):
                    _check_graph(_bytes(part))  # the body of a Loop, If or Scan
                elif inner in (_ATTRIBUTE_TENSOR, _ATTRIBUTE_TENSORS):
                    _check_tensor(_bytes(part))
    if domain not in ("", "ai.onnx"):
        raise _Refused(f"uses operator {op_type!r} of domain {domain!r}")
    if op_type not in ALLOWED_OPERATORS:
        raise _Refused(f"uses operator {op_type!r}, which our export never writes")


def _check_tensor(tensor: memoryview) -> None:
    for field, value in _fields(tensor):
        if field == _TENSOR_DATA_LOCATION and value == _EXTERNAL:
            raise _Refused("stores a tensor in an external file")


def _fields(data: memoryview) -> Iterator[tuple[int, int | memoryview]]:
    """``(field number, value)`` of each field: an int, or the bytes of a length-delimited
    field (a nested message or a string)."""
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _varint(data, at)
            yield field, value
        elif wire == 1:
            at += 8
        elif wire == _LENGTH_DELIMITED:
            size, at = _varint(data, at)
            if at + size > len(data):
                raise ValueError("a field runs past the end of its message")
            yield field, data[at : at + size]
            at += size
        elif wire == 5:
            at += 4
        else:
            raise ValueError(f"unknown wire type {wire}")
    if at != len(data):
        raise ValueError("a field runs past the end of its message")


def _varint(data: memoryview, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7
        if shift > 63:
            raise ValueError("a varint longer than 10 bytes")


def _bytes(value: int | memoryview) -> memoryview:
    if isinstance(value, int):
        raise ValueError("a message field holds a number")
    return value


def _text(value: int | memoryview | None) -> str:
    return "" if value is None else bytes(_bytes(value)).decode("utf-8")


def _first(message: memoryview, wanted: int) -> int | memoryview | None:
    return next((value for field, value in _fields(message) if field == wanted), None)
