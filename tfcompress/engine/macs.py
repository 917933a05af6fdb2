"""Multiply-accumulates per op (the convolutions and fully connected layers; 0 elsewhere): of a
lowered op (the engine's parameter block) or of a TFLite op as read (tensor shapes)."""

from __future__ import annotations

import math

from tfcompress.engine.ir import Graph, Op
from tfcompress.engine.lowered import LoweredOp


def op_macs(lo: LoweredOp) -> int:
    """MACs one run of ``lo`` performs: the conv / depthwise conv / fully connected arithmetic from
    its parameter block (a fused CONV_2D+ADD counts its convolution); 0 for other ops."""
    if getattr(lo, "parts", None):  # a driver (row banding): the ops it runs
        return sum(op_macs(x) for x in lo.parts)
    f = lo.fields
    try:
        if lo.struct == "tfc_conv_params":
            depth = 1 if lo.kernel.startswith("tfc_depthwise") else f["in_c"]
            return int(f["batches"] * f["out_h"] * f["out_w"] * f["out_c"] * f["k_h"] * f["k_w"] * depth)
        if lo.struct == "tfc_fc_params":
            return int(f["batches"] * f["in_depth"] * f["out_depth"])
    except (KeyError, TypeError):
        return 0
    return 0


def graph_op_macs(g: Graph, op: Op) -> int:
    """MACs of a TFLite op from its tensors' shapes: CONV_2D (output elements x filter h x w x input
    depth), DEPTHWISE_CONV_2D (output elements x filter h x w), FULLY_CONNECTED (output elements x
    input depth); 0 for other ops or unknown shapes."""
    if op.name not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED") or len(op.inputs) < 2 or not op.outputs:
        return 0
    w, out = g.t(op.inputs[1]).shape, g.t(op.outputs[0]).shape
    if not w or not out or any(d is None or d < 0 for d in (*w, *out)):
        return 0
    n = math.prod(out)
    if op.name == "CONV_2D" and len(w) == 4:
        return int(n * w[1] * w[2] * w[3])
    if op.name == "DEPTHWISE_CONV_2D" and len(w) == 4:
        return int(n * w[1] * w[2])
    if op.name == "FULLY_CONNECTED" and len(w) == 2:
        return int(n * w[1])
    return 0
