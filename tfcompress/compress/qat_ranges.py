"""Start QAT from calibrated activation ranges instead of tfmot's [-6, 6].

tfmot's activation fake-quantisers start every range at [-6, 6] and move it by an exponential
moving average with decay 0.999 per training step. A short fine-tune (a few hundred steps) leaves
most of that initial range in place: layers with small activations get a needlessly coarse step,
larger ones (heatmap logits) are clipped. Post-training conversion calibrates instead, which is
why a short QAT could end up worse than plain int8. Here every activation range of the wrapped
model is set, before fine-tuning, to the min/max the float model produces on calibration data
(what the TFLite converter's calibration measures); the moving average then refines it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfcompress.tfenv import keras

#: wrapper variable prefixes of activation ranges (tfmot 0.8): output quantizers and activations
#: after a fused layer (the model-input QuantizeLayer's are named after the layer)
_RANGE_PREFIXES = ("output", "post_activation")


def activation_range_vars(qmodel: Any) -> dict[str, tuple[Any, Any]]:
    """float-model layer name (``""``: the model input) -> the (min, max) variables of its range."""
    found: dict[str, tuple[Any, Any]] = {}
    for layer in qmodel.layers:
        by_name = {w.name.split("/")[-1].split(":")[0]: w for w in layer.weights}
        is_input = type(layer).__name__ == "QuantizeLayer"
        for prefix in (layer.name,) if is_input else _RANGE_PREFIXES:
            lo, hi = by_name.get(f"{prefix}_min"), by_name.get(f"{prefix}_max")
            if lo is not None and hi is not None:
                found["" if is_input else layer.name.removeprefix("quant_")] = (lo, hi)
    return found


def calibrate_activation_ranges(qmodel: Any, float_model: Any, x: np.ndarray, batch_size: int = 256) -> int:
    """Set ``qmodel``'s activation ranges from ``float_model``'s outputs on ``x``; return how many."""
    targets = activation_range_vars(qmodel)
    outputs = {n: float_model.inputs[0] if n == "" else _output_in(float_model, n) for n in targets}
    names = [n for n, t in outputs.items() if t is not None]
    if not names:
        return 0
    probe = keras().Model(float_model.inputs, [outputs[n] for n in names])
    lo = np.full(len(names), np.inf)
    hi = np.full(len(names), -np.inf)
    for start in range(0, len(x), batch_size):
        outs = probe(x[start:start + batch_size], training=False)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        for i, o in enumerate(outs):
            o = np.asarray(o)
            lo[i], hi[i] = min(lo[i], float(o.min())), max(hi[i], float(o.max()))
    for i, n in enumerate(names):
        vmin, vmax = targets[n]
        vmin.assign(min(lo[i], 0.0))  # TFLite ranges contain 0
        vmax.assign(max(hi[i], 0.0))
    return len(names)


def _output_in(model: Any, name: str) -> Any:
    """The output tensor of layer ``name`` in ``model``'s own graph (a layer reused by several models,
    as after tfmot's strip functions, has one node per model), or None."""
    try:
        layer = model.get_layer(name)
    except ValueError:
        return None
    nodes = getattr(model, "_network_nodes", set())
    for i in range(len(layer._inbound_nodes)):
        if f"{layer.name}_ib-{i}" in nodes:
            return layer.get_output_at(i)
    return None
