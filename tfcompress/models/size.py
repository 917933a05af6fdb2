"""Size estimates of a Keras model once converted to int8 TFLite."""

from __future__ import annotations

from typing import Any

#: Layer weights stored as int8 after conversion (BatchNorm folds into the conv before it).
_KERNEL_ATTRS = ("kernel", "depthwise_kernel")


def _unwrap(layer: Any) -> Any:
    """The inner layer of tfmot wrappers (prune/cluster/quantize)."""
    while hasattr(layer, "layer") and layer.__class__.__name__.endswith("Wrapper"):
        layer = layer.layer
    return layer


def int8_weight_bytes(model: Any) -> int:
    """Estimate the weight bytes of the int8 model: int8 kernels + one int32 bias per output.

    Every conv/dense gets a bias after conversion (its own, or the folded batch norm);
    quantisation parameters and graph metadata are not counted.
    """
    total = 0
    for layer in model.layers:
        inner = _unwrap(layer)
        if getattr(inner, "layers", None):  # a nested model
            total += int8_weight_bytes(inner)
            continue
        for attr in _KERNEL_ATTRS:
            kernel = getattr(inner, attr, None)
            if kernel is None:
                continue
            shape = [int(d) for d in kernel.shape]
            n = 1
            for d in shape:
                n *= d
            outputs = shape[-2] * shape[-1] if attr == "depthwise_kernel" else shape[-1]
            total += n + 4 * outputs
    return total
