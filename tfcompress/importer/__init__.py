"""Import models from other frameworks as tf_keras models (today: ONNX, e.g. from ``torch.onnx.export``).

The importer maps each ONNX node to a plain tf_keras layer (Conv2D, DepthwiseConv2D, Dense,
BatchNormalization, pooling, ReLU, ...), so every later stage — pruning, clustering and QAT
with tfmot, TFLite conversion, the engine, the device — treats the result like a zoo model.
ONNX's NCHW tensors become NHWC Keras tensors; weights are transposed on import.
"""

from __future__ import annotations

from tfcompress.importer.onnx_model import SUPPORTED_OPS, import_onnx, load_onnx, require_onnx

__all__ = ["SUPPORTED_OPS", "import_onnx", "load_onnx", "require_onnx"]
