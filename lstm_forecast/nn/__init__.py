"""The network and its training: Keras and TensorFlow are imported here and nowhere else.

``onnx_runtime``, ``onnx_graph`` and ``compat`` import neither, so the predict path may
use them; every other module here loads TensorFlow.
"""
