"""A Keras model's outputs as NumPy, shared by training, the compression stages and evaluation
(a module of its own so neither stage's code hash covers the other's)."""

from __future__ import annotations

from typing import Any

import numpy as np


def predict(model: Any, x: np.ndarray, batch_size: int = 256) -> Any:
    """Model outputs for ``x`` in inference mode, as NumPy (Keras' compiled predict loop); a list
    of arrays for a model with several outputs (a detector's boxes and class logits)."""
    if len(x) == 0:
        shapes = model.output_shape if isinstance(model.output_shape, list) else [model.output_shape]
        empty = [np.zeros((0,) + tuple(s[1:]), np.float32) for s in shapes]
        return empty if len(empty) > 1 else empty[0]
    out = model.predict(x, batch_size=batch_size, verbose=0)
    if isinstance(out, (list, tuple)):
        return [np.asarray(o) for o in out] if len(out) > 1 else np.asarray(out[0])
    return np.asarray(out)
