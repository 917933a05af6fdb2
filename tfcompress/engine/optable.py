"""The op table: builtin op -> lowering function and kernel sources, per kernel set (data, not branches).

To add an op: write ``lower_<op>`` returning a :class:`LoweredOp`, a C kernel in
``firmware/engine/``, and one row below. An optimised kernel set lists replacement sources for
kernels with the same C signature; kernels it does not list fall back to the reference ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tfcompress.engine import lower_conv, lower_io, lower_lut, lower_misc, lower_shape
from tfcompress.engine.ir import Graph, Op
from tfcompress.engine.lowered import LoweredOp
from tfcompress.errors import TfcError, unknown


@dataclass(frozen=True)
class OpSpec:
    """How one builtin op is compiled."""

    lower: Callable[[Graph, Op], LoweredOp]
    summary: str


OPS: dict[str, OpSpec] = {
    "CONV_2D": OpSpec(lower_conv.lower_conv2d, "int8, per-channel, stride/dilation/padding"),
    "DEPTHWISE_CONV_2D": OpSpec(lower_conv.lower_depthwise, "int8, per-channel, depth multiplier, dilation"),
    "FULLY_CONNECTED": OpSpec(lower_conv.lower_fully_connected, "int8, per-tensor or per-channel"),
    "AVERAGE_POOL_2D": OpSpec(lower_misc.lower_avg_pool, "int8"),
    "MAX_POOL_2D": OpSpec(lower_misc.lower_max_pool, "int8"),
    "ADD": OpSpec(lower_misc.lower_add, "int8, broadcasting"),
    "MUL": OpSpec(lower_misc.lower_mul, "int8, broadcasting"),
    "SOFTMAX": OpSpec(lower_misc.lower_softmax, "int8 -> int8"),
    "RELU": OpSpec(lower_lut.lower_relu, "int8, 256-entry table"),
    "RELU6": OpSpec(lower_lut.lower_relu6, "int8, 256-entry table"),
    "LEAKY_RELU": OpSpec(lower_lut.lower_leaky_relu, "int8, 256-entry table"),
    "LOGISTIC": OpSpec(lower_lut.lower_logistic, "int8, 256-entry table"),
    "TANH": OpSpec(lower_lut.lower_tanh, "int8, 256-entry table"),
    "HARD_SWISH": OpSpec(lower_lut.lower_hard_swish, "int8, 256-entry table"),
    "QUANTIZE": OpSpec(lower_io.lower_quantize, "float32 -> int8, or int8 -> int8 via a 256-entry table"),
    "DEQUANTIZE": OpSpec(lower_io.lower_dequantize, "int8 -> float32, 256-entry table"),
    "PAD": OpSpec(lower_shape.lower_pad, "constant, up to 5-D"),
    "PADV2": OpSpec(lower_shape.lower_pad, "constant, up to 5-D"),
    "CONCATENATION": OpSpec(lower_shape.lower_concatenation, "any axis"),
    "MEAN": OpSpec(lower_misc.lower_mean, "int8, any constant axes"),
    "RESHAPE": OpSpec(lower_misc.lower_reshape, "aliased (no copy)"),
    "SQUEEZE": OpSpec(lower_misc.lower_reshape, "aliased (no copy)"),
    "EXPAND_DIMS": OpSpec(lower_misc.lower_reshape, "aliased (no copy)"),
}

#: C kernel function -> source file, per kernel set. "optimized" overrides "reference".
KERNEL_SOURCES: dict[str, dict[str, str]] = {
    "reference": {
        "tfc_conv2d_s8": "conv2d_s8.c",
        "tfc_conv2d_add_s8": "conv2d_add_s8.c",
        "tfc_depthwise_conv2d_s8": "depthwise_conv2d_s8.c",
        "tfc_fully_connected_s8": "fully_connected_s8.c",
        "tfc_avg_pool2d_s8": "pool2d_s8.c",
        "tfc_max_pool2d_s8": "pool2d_s8.c",
        "tfc_add_s8": "binary_s8.c",
        "tfc_mul_s8": "binary_s8.c",
        "tfc_softmax_s8": "softmax_s8.c",
        "tfc_copy_bytes": "copy.c",
        "tfc_lut_s8": "lut_s8.c",
        "tfc_pad_s8": "pad_s8.c",
        "tfc_concat": "concat.c",
        "tfc_conv2d_s16": "conv2d_s16.c",
        "tfc_fully_connected_s16": "fully_connected_s16.c",
        "tfc_add_s16": "add_s16.c",
        "tfc_mean_s8": "mean_s8.c",
        "tfc_quantize_f32_s8": "quantize_f32.c",
        "tfc_dequantize_s8_f32": "quantize_f32.c",
        "tfc_conv2d_s8_w4": "conv2d_s8_w4.c",  # 4-bit weights (weights4.py), every kernel set
        "tfc_conv2d_add_s8_w4": "conv2d_add_s8_w4.c",
        "tfc_depthwise_conv2d_s8_w4": "depthwise_conv2d_s8_w4.c",
        "tfc_fully_connected_s8_w4": "fully_connected_s8_w4.c",
        "tfc_conv2d_s8_sp": "conv2d_s8_sp.c",  # sparse weights (weights_sparse.py), every kernel set
        "tfc_conv2d_add_s8_sp": "conv2d_add_s8_sp.c",
        "tfc_depthwise_conv2d_s8_sp": "depthwise_conv2d_s8_sp.c",
        "tfc_fully_connected_s8_sp": "fully_connected_s8_sp.c",
    },
    "optimized": {  # Cortex-M4/M7 DSP (portable C fallback elsewhere); data prepared by kernels_opt.py
        "tfc_conv2d_s8": "optimized/conv2d_s8_opt.c",
        "tfc_conv2d_add_s8": "optimized/conv2d_s8_opt.c",
        "tfc_conv2d_s8_w4": "optimized/conv2d_s8_opt.c",
        "tfc_conv2d_add_s8_w4": "optimized/conv2d_s8_opt.c",
        "tfc_conv2d_s8_direct": "optimized/conv2d_s8_direct_opt.c",  # kernels_opt.conv_direct
        "tfc_conv2d_add_s8_direct": "optimized/conv2d_s8_direct_opt.c",
        "tfc_depthwise_conv2d_s8": "optimized/depthwise_conv2d_s8_opt.c",
        "tfc_fully_connected_s8": "optimized/fully_connected_s8_opt.c",
        "tfc_add_s8": "optimized/binary_s8_opt.c",
        "tfc_mul_s8": "optimized/binary_s8_opt.c",
        "tfc_avg_pool2d_s8": "optimized/pool2d_s8_opt.c",
        "tfc_max_pool2d_s8": "optimized/pool2d_s8_opt.c",
    },
}

#: headers a kernel set's sources include besides COMMON_HEADERS (and the generated ones,
#: kernel_limits.generated_headers)
KERNEL_HEADERS: dict[str, tuple[str, ...]] = {"reference": (),
                                              "optimized": ("optimized/tfc_dsp.h", "optimized/tfc_add_opt.h",
                                                            "optimized/tfc_conv_opt.h")}

#: headers every generated model ships with
COMMON_HEADERS = ("tfc_fixedpoint.h", "tfc_kernels.h", "tfc_add.h", "tfc_conv_core.h", "tfc_depthwise_core.h")


def can_fuse_conv_add(kernels: str) -> bool:
    """Fuse CONV_2D+ADD only where the kernel set's conv and fused conv come from the same family
    (a set that replaces the conv but not the fused kernel keeps them separate, so it stays fast)."""
    table = KERNEL_SOURCES.get(kernels, {})
    return "tfc_conv2d_s8" not in table or "tfc_conv2d_add_s8" in table

#: what to suggest instead of an unsupported op
ALTERNATIVES: dict[str, str] = {
    "SPACE_TO_BATCH_ND": "dilated convolutions: convert so the converter fuses them into CONV_2D",
    "BATCH_TO_SPACE_ND": "dilated convolutions: convert so the converter fuses them into CONV_2D",
}


def op_spec(g: Graph, op: Op) -> OpSpec:
    """The spec of ``op`` or a TfcError naming the op, its output tensor and alternatives."""
    spec = OPS.get(op.name)
    if spec is None:
        out = g.t(op.outputs[0]).name if op.outputs else "?"
        alt = ALTERNATIVES.get(op.name, "replace the layer with one built from: " + ", ".join(sorted(OPS)))
        raise TfcError(f"op {op.name} (#{op.index}, output '{out}') is not supported by the engine", alt)
    return spec


def kernel_sources(kernels: str, names: set[str]) -> list[str]:
    """The C source files implementing ``names`` in kernel set ``kernels`` (sorted, unique)."""
    if kernels not in KERNEL_SOURCES:
        raise unknown("kernel set", kernels, KERNEL_SOURCES)
    table = KERNEL_SOURCES["reference"] | KERNEL_SOURCES[kernels]
    missing = sorted(n for n in names if n not in table)
    if missing:
        raise TfcError(f"no kernel source for {', '.join(missing)}", "add it to KERNEL_SOURCES")
    return sorted({table[n] for n in names})


def check_float_model(g: Graph) -> None:
    """A float (unquantised) model gets one clear error before anything else."""
    float_ops = [op for op in g.ops if op.name not in ("QUANTIZE", "DEQUANTIZE")
                 and any(i >= 0 and g.t(i).dtype == "float32" for i in op.inputs + op.outputs)]
    if float_ops:
        op = float_ops[0]
        raise TfcError(f"the model is float (op {op.name} '{g.t(op.outputs[0]).name}' computes in "
                       "float32); the engine compiles integer models",
                       "convert with --mode int8 (full integer quantisation with a representative dataset)")
