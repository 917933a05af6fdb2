"""The inference engine: .tflite -> ahead-of-time C, bit-exact with TFLite Micro.

``compile_tflite(path_or_bytes, kernels="reference") -> CompiledModel`` (from
:mod:`tfcompress.engine.compiler`, also reachable here); ``tfcompress.engine.host`` builds and runs
the C on the host, ``tfcompress.engine.validate`` compares it with TFLite Micro. This module
imports nothing at load time, so code that needs only a light part of the engine (the kernel-set
names, the op table) does not load, or depend on, the rest.
"""

from __future__ import annotations

import importlib
from typing import Any

#: names this package offers, loaded from their module on first use
_LAZY = {"compile_tflite": "tfcompress.engine.compiler", "CompiledModel": "tfcompress.engine.compiler"}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tfcompress.engine' has no attribute '{name}'")
