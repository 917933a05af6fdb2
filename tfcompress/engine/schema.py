"""The TFLite flatbuffer schema module shipped by tflite-micro (or TensorFlow)."""

from __future__ import annotations

from functools import cache
from types import ModuleType


@cache
def schema() -> ModuleType:
    """Return the generated ``schema_py_generated`` module (tflite-micro first: no TF import)."""
    try:
        from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as mod
    except ImportError:  # pragma: no cover - fall back to TensorFlow's copy
        from tensorflow.lite.python import schema_py_generated as mod
    return mod


@cache
def enum_names(enum_class_name: str) -> dict[int, str]:
    """Map the integer values of a schema enum class to their names."""
    cls = getattr(schema(), enum_class_name)
    return {v: k for k, v in vars(cls).items() if not k.startswith("_") and isinstance(v, int)}
