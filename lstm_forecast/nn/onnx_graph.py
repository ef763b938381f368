"""What a ``model.onnx`` must pass before ONNX Runtime parses it (no TensorFlow): read as
protobuf wire format here (no ``onnx`` package, no ONNX Runtime), it holds only what our
export writes (an allow-list of the fields of each message, of operators and domains, of
attribute kinds and of tensor storage): every node of every graph and subgraph is an
operator of the default domain that our export produces, no tensor is sparse or points at
external data (a file ONNX Runtime would open beside the model), graphs nest at most a
few deep, and the file holds no functions.

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

# Field numbers of onnx.proto3, and which fields of each message a graph may hold: our
# export writes a subset of them; any other field (sparse tensors, external data, training
# graphs, functions, type protos) is refused, so a trick we did not think of fails closed.
_MODEL_GRAPH, _MODEL_OPSET, _MODEL_FUNCTIONS = 7, 8, 25
_MODEL_FIELDS = frozenset({1, 2, 3, 4, 5, 6, _MODEL_GRAPH, _MODEL_OPSET, 14})
_OPSET_DOMAIN = 1
_GRAPH_NODE, _GRAPH_INITIALIZER, _GRAPH_SPARSE_INITIALIZER = 1, 5, 15
_GRAPH_FIELDS = frozenset({_GRAPH_NODE, 2, _GRAPH_INITIALIZER, 10, 11, 12, 13, 16})
_NODE_OP_TYPE, _NODE_ATTRIBUTE, _NODE_DOMAIN = 4, 5, 7
_NODE_FIELDS = frozenset({1, 2, 3, _NODE_OP_TYPE, _NODE_ATTRIBUTE, 6, _NODE_DOMAIN, 9})
_ATTRIBUTE_TENSOR, _ATTRIBUTE_GRAPH, _ATTRIBUTE_TYPE = 5, 6, 20
# name, f, i, s, t, g, floats, ints, strings, doc_string, type: no lists of tensors or
# graphs, no sparse tensors, no type protos, no references to a function's attributes.
_ATTRIBUTE_FIELDS = frozenset({1, 2, 3, 4, _ATTRIBUTE_TENSOR, _ATTRIBUTE_GRAPH, 7, 8, 9, 13})
_ATTRIBUTE_KINDS = frozenset(range(1, 9))  # FLOAT, INT, STRING, TENSOR, GRAPH and lists of 3
_SPARSE_FIELDS = frozenset({22, 23})  # an attribute's sparse_tensor and sparse_tensors
_SPARSE_KINDS = (11, 12)  # the kinds SPARSE_TENSOR and SPARSE_TENSORS
_TENSOR_EXTERNAL_DATA, _TENSOR_DATA_LOCATION = 13, 14
# dims, data_type, the typed data lists, name, raw_data, doc_string (and data_location 0).
_TENSOR_FIELDS = frozenset({1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12})
_LENGTH_DELIMITED = 2
# Graphs inside graphs (the bodies of Loop, If and Scan) deeper than this are refused: our
# export nests none, and a deep nest would exhaust the stack of whoever walks it.
MAX_GRAPH_DEPTH = 8


def check_onnx_graph(content: bytes, path: Path) -> None:
    """Refuse the ONNX file ``content`` read from ``path`` (exit 3) unless it holds only
    what our export writes: allowed message fields, operators, domains, attribute kinds
    and tensor storage, graphs nested at most ``MAX_GRAPH_DEPTH`` deep; the message names
    the rule."""
    try:
        data = memoryview(content)
        graphs = 0
        for field, value in _fields(data):
            if field == _MODEL_FUNCTIONS:
                raise _Refused("defines functions, which our export never writes")
            _allowed(field, _MODEL_FIELDS, "model")
            if field == _MODEL_GRAPH:
                graphs += 1
                _check_graph(_bytes(value), 1)
            elif field == _MODEL_OPSET:
                domain = _text(_first(_bytes(value), _OPSET_DOMAIN))
                if domain not in ALLOWED_DOMAINS:
                    raise _Refused(f"imports operator set {domain!r}")
        if graphs != 1:
            raise _Refused(f"holds {graphs} graphs, not one")
    except _Refused as exc:
        raise BundleError(f"refused before parsing: the graph {exc}", where=path) from None
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise BundleError(f"not a well-formed ONNX file ({exc})", where=path) from None


class _Refused(Exception):
    """A rule the graph breaks (the message says which)."""


def _allowed(field: int, fields: frozenset[int], message: str) -> None:
    if field not in fields:
        raise _Refused(f"holds field {field} of a {message}, which our export never writes")


def _check_graph(graph: memoryview, depth: int) -> None:
    if depth > MAX_GRAPH_DEPTH:
        raise _Refused(f"nests graphs more than {MAX_GRAPH_DEPTH} deep")
    for field, value in _fields(graph):
        if field == _GRAPH_SPARSE_INITIALIZER:
            raise _Refused("holds a sparse tensor, which our export never writes")
        _allowed(field, _GRAPH_FIELDS, "graph")
        if field == _GRAPH_NODE:
            _check_node(_bytes(value), depth)
        elif field == _GRAPH_INITIALIZER:
            _check_tensor(_bytes(value))


def _check_node(node: memoryview, depth: int) -> None:
    op_type, domain = "", ""
    for field, value in _fields(node):
        _allowed(field, _NODE_FIELDS, "node")
        if field == _NODE_OP_TYPE:
            op_type = _text(value)
        elif field == _NODE_DOMAIN:
            domain = _text(value)
        elif field == _NODE_ATTRIBUTE:
            _check_attribute(_bytes(value), depth)
    if domain not in ("", "ai.onnx"):
        raise _Refused(f"uses operator {op_type!r} of domain {domain!r}")
    if op_type not in ALLOWED_OPERATORS:
        raise _Refused(f"uses operator {op_type!r}, which our export never writes")


def _check_attribute(attribute: memoryview, depth: int) -> None:
    for field, value in _fields(attribute):
        if field in _SPARSE_FIELDS or (field == _ATTRIBUTE_TYPE and value in _SPARSE_KINDS):
            raise _Refused("holds a sparse tensor, which our export never writes")
        if field == _ATTRIBUTE_TYPE:
            if not isinstance(value, int) or value not in _ATTRIBUTE_KINDS:
                raise _Refused(f"holds an attribute of kind {value}, which our export never writes")
            continue
        _allowed(field, _ATTRIBUTE_FIELDS, "node's attribute")
        if field == _ATTRIBUTE_GRAPH:
            _check_graph(_bytes(value), depth + 1)  # the body of a Loop, If or Scan
        elif field == _ATTRIBUTE_TENSOR:
            _check_tensor(_bytes(value))


def _check_tensor(tensor: memoryview) -> None:
    for field, value in _fields(tensor):
        if field == _TENSOR_EXTERNAL_DATA or (field == _TENSOR_DATA_LOCATION and value != 0):
            raise _Refused("stores a tensor in an external file")
        if field != _TENSOR_DATA_LOCATION:
            _allowed(field, _TENSOR_FIELDS, "tensor")


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
