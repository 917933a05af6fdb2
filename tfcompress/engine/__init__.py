"""The inference engine: .tflite -> ahead-of-time C, bit-exact with TFLite Micro.

``compile_tflite(path_or_bytes, kernels="reference") -> CompiledModel``; see
:mod:`tfcompress.engine.compiler`. ``tfcompress.engine.host`` builds and runs the C on the host.
"""

from __future__ import annotations

from tfcompress.engine.compiler import CompiledModel, compile_tflite
from tfcompress.engine.tflm import tflm_arena_breakdown, tflm_arena_bytes

__all__ = ["CompiledModel", "compile_tflite", "tflm_arena_breakdown", "tflm_arena_bytes"]
