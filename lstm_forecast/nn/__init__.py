"""The network and its training: Keras and TensorFlow are imported here and nowhere else.

``onnx_runtime``, ``onnx_graph``, ``compat`` and ``hooks`` import neither, so the predict
path and the light commands may use them; every other module here loads TensorFlow.
"""
