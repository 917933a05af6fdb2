"""Multiply-accumulates per lowered op (the convolutions and fully connected layers; 0 elsewhere)."""

from __future__ import annotations

from tfcompress.engine.lowered import LoweredOp


def op_macs(lo: LoweredOp) -> int:
    """MACs one run of ``lo`` performs: the conv / depthwise conv / fully connected arithmetic from
    its parameter block (a fused CONV_2D+ADD counts its convolution); 0 for other ops."""
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
