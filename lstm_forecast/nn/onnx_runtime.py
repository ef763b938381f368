"""Run a network from its ONNX file with ONNX Runtime: no TensorFlow, no Keras (the one
module of ``nn`` on the predict path).

An ONNX file is a graph of standard operators and their weights, data rather than code:
ONNX Runtime runs only the operators it implements, and a graph that names any other
(a custom op) fails to load unless its library is registered, which we never do. The
bytes are read once, after the manifest check, checked by ``onnx_graph`` (operators,
domains, no external data), and handed to ONNX Runtime from memory.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import BundleError
from ..features.forecasts import Network
from .onnx_graph import check_onnx_graph

MAX_ONNX_BYTES = 1 << 30
# ONNX Runtime's opt-out of its telemetry on Linux and macOS (1.30 on): without it, its
# first session writes a device id and an event cache under $XDG_CACHE_HOME or
# $HOME/.cache and queues events for upload. A caller who sets the variable is obeyed.
TELEMETRY_SWITCH = "ORT_DISABLE_TELEMETRY"


def load_onnx_network(path: Path) -> Network:
    """The network in ``path`` as a function of encoded inputs ``(n, window rows,
    n_inputs)``."""
    os.environ.setdefault(TELEMETRY_SWITCH, "1")  # read once, when ONNX Runtime starts
    import onnxruntime
    from onnxruntime.capi import onnxruntime_pybind11_state as ort_errors

    size = path.stat().st_size
    if size > MAX_ONNX_BYTES:
        raise BundleError(f"{size} bytes, over the {MAX_ONNX_BYTES}-byte cap", where=path)
    content = path.read_bytes()
    check_onnx_graph(content, path)  # before ONNX Runtime parses a byte of it
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: warnings would reach the user's stderr
    try:
        session = onnxruntime.InferenceSession(
            content, sess_options=options, providers=["CPUExecutionProvider"]
        )
    except (
        ort_errors.Fail,
        ort_errors.InvalidArgument,
        ort_errors.InvalidGraph,
        ort_errors.InvalidProtobuf,
        ort_errors.NoSuchFile,
        ort_errors.NotImplemented,
        ort_errors.RuntimeException,
    ) as exc:
        raise BundleError(f"ONNX Runtime refused it ({exc})", where=path) from None
    (input_,) = session.get_inputs()

    def run(inputs: np.ndarray) -> np.ndarray:
        (outputs,) = session.run(None, {input_.name: inputs.astype(np.float32)})
        return np.asarray(outputs)

    return run
