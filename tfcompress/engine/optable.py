"""The op table: one row per TFLite builtin op — its lowering, the types it handles, its C kernels.

Adding an op is four things, all of them local:

1. a lowering function ``lower_<op>(graph, op) -> LoweredOp`` in ``tfcompress/engine/ops/<family>.py``
   (host-side arithmetic: multipliers, tables, strides; a :class:`TfcError` naming the op, its
   output tensor and the fix for anything it does not handle);
2. the C kernel in ``firmware/engine/<kernel>.c`` (one op per file, TFLM's arithmetic through
   ``tfc_fixedpoint.h``) and its parameter block + prototype in ``firmware/engine/tfc_kernels.h``;
3. one row in :data:`OPS` below: the lowering, the types (what ``tfcompress ops`` lists) and the
   kernel function -> source file of every kernel the lowering may emit;
4. a corpus model exercising it (``tests/corpus/``), checked bit-exact against TFLite Micro.

An optimised kernel set (:mod:`tfcompress.engine.kernelsets`) may replace a kernel with one of
the same signature; kernels it does not replace come from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tfcompress.engine.ir import Graph, Op
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.ops import (
    activations,
    conv,
    elementwise,
    pooling,
    quantize,
    reduce,
    shape,
    softmax,
    state,
)
from tfcompress.errors import TfcError


@dataclass(frozen=True)
class OpSpec:
    """How one builtin op is compiled."""

    lower: Callable[[Graph, Op], LoweredOp | None]
    types: tuple[str, ...]
    kernels: dict[str, str] = field(default_factory=dict)
    summary: str = ""


_CONV_KERNELS = {
    "tfc_conv2d_s8": "conv2d_s8.c",
    "tfc_conv2d_add_s8": "conv2d_add_s8.c",  # CONV_2D fused with the ADD that consumes it (fusion.py)
    "tfc_conv2d_s16": "conv2d_s16.c",
    "tfc_conv2d_s8_w4": "conv2d_s8_w4.c",  # 4-bit weights (weights4.py)
    "tfc_conv2d_add_s8_w4": "conv2d_add_s8_w4.c",
    "tfc_conv2d_s8_sp": "conv2d_s8_sp.c",  # sparse weights (weights_sparse.py)
    "tfc_conv2d_add_s8_sp": "conv2d_add_s8_sp.c",
}

OPS: dict[str, OpSpec] = {
    # ---- convolution, matrix multiplication and sequence ops
    "CONV_2D": OpSpec(conv.lower_conv2d, ("int8", "int16x8"), _CONV_KERNELS,
                      "per-channel weights, stride, dilation, SAME/VALID, fused activation"),
    "DEPTHWISE_CONV_2D": OpSpec(conv.lower_depthwise, ("int8",), {
        "tfc_depthwise_conv2d_s8": "depthwise_conv2d_s8.c",
        "tfc_depthwise_conv2d_s8_w4": "depthwise_conv2d_s8_w4.c",
        "tfc_depthwise_conv2d_s8_sp": "depthwise_conv2d_s8_sp.c"},
        "per-channel weights, depth multiplier, dilation"),
    "FULLY_CONNECTED": OpSpec(conv.lower_fully_connected, ("int8", "int16x8"), {
        "tfc_fully_connected_s8": "fully_connected_s8.c",
        "tfc_fully_connected_s16": "fully_connected_s16.c",
        "tfc_fully_connected_s8_w4": "fully_connected_s8_w4.c",
        "tfc_fully_connected_s8_sp": "fully_connected_s8_sp.c"},
        "per-tensor or per-channel weights"),

    # ---- pooling, resizing, reductions
    "AVERAGE_POOL_2D": OpSpec(pooling.lower_avg_pool, ("int8",), {"tfc_avg_pool2d_s8": "pool2d_s8.c"}),
    "MAX_POOL_2D": OpSpec(pooling.lower_max_pool, ("int8",), {"tfc_max_pool2d_s8": "pool2d_s8.c"}),
    "MEAN": OpSpec(reduce.lower_mean, ("int8",), {"tfc_mean_s8": "mean_s8.c"}, "any constant axes"),

    # ---- element-wise binary ops, comparisons, logical ops
    "ADD": OpSpec(elementwise.lower_add, ("int8", "int16"),
                  {"tfc_add_s8": "binary_s8.c", "tfc_add_s16": "add_s16.c"}, "broadcasting up to 5-D"),
    "MUL": OpSpec(elementwise.lower_mul, ("int8",), {"tfc_mul_s8": "binary_s8.c"}, "broadcasting up to 5-D"),

    # ---- activations, quantisation, softmax family, normalisation
    "SOFTMAX": OpSpec(softmax.lower_softmax, ("int8", "int8->int16", "int16"),
                      {"tfc_softmax_s8": "softmax_s8.c", "tfc_softmax_s8_s16": "softmax_s8.c",
                       "tfc_softmax_s16": "softmax_s16.c"}, "int16: TFLM's interpolated exp and 1/(1+x) tables"),
    "LOG_SOFTMAX": OpSpec(softmax.lower_log_softmax, ("int8",), {"tfc_log_softmax_s8": "log_softmax_s8.c"}),
    "L2_NORMALIZATION": OpSpec(softmax.lower_l2_normalization, ("int8",), {"tfc_l2norm_s8": "l2norm_s8.c"},
                               "along the last axis"),
    "RELU": OpSpec(activations.lower_relu, ("int8", "int16"),
                   {"tfc_lut_s8": "lut_s8.c", "tfc_rescale": "rescale.c"}, "int8: 256-entry table"),
    "RELU6": OpSpec(activations.lower_relu6, ("int8", "int16"),
                    {"tfc_lut_s8": "lut_s8.c", "tfc_rescale": "rescale.c"}, "int8: 256-entry table"),
    "RELU_N1_TO_1": OpSpec(activations.lower_relu_n1_to_1, ("int8",), {"tfc_lut_s8": "lut_s8.c"},
                           "256-entry table (TFLite's reference kernel: TFLM has none)"),
    "RELU_0_TO_1": OpSpec(activations.lower_relu_0_to_1, ("int8",), {"tfc_lut_s8": "lut_s8.c"},
                          "256-entry table (TFLite's reference kernel: TFLM has none)"),
    "LEAKY_RELU": OpSpec(activations.lower_leaky_relu, ("int8", "int16"),
                         {"tfc_lut_s8": "lut_s8.c", "tfc_rescale": "rescale.c"}, "int8: 256-entry table"),
    "ABS": OpSpec(activations.lower_abs, ("int8", "int16"),
                  {"tfc_lut_s8": "lut_s8.c", "tfc_rescale": "rescale.c"}, "int8: 256-entry table"),
    "LOGISTIC": OpSpec(activations.lower_logistic, ("int8", "int16"),
                       {"tfc_lut_s8": "lut_s8.c", "tfc_logistic_s16": "sigmoid_s16.c"},
                       "int8: 256-entry table; int16: TFLM's interpolated sigmoid table"),
    "TANH": OpSpec(activations.lower_tanh, ("int8", "int16"),
                   {"tfc_lut_s8": "lut_s8.c", "tfc_tanh_s16": "sigmoid_s16.c"},
                   "int8: 256-entry table; int16: TFLM's interpolated sigmoid table"),
    "HARD_SWISH": OpSpec(activations.lower_hard_swish, ("int8",), {"tfc_lut_s8": "lut_s8.c"}, "256-entry table"),
    "ELU": OpSpec(activations.lower_elu, ("int8",), {"tfc_lut_s8": "lut_s8.c"}, "256-entry table"),
    "RSQRT": OpSpec(activations.lower_rsqrt, ("int8", "int16"),
                    {"tfc_lut_s8": "lut_s8.c", "tfc_rsqrt_s16": "rsqrt_s16.c"}, "int8: 256-entry table"),
    "EXP": OpSpec(activations.lower_exp, ("int8", "int16"), {"tfc_lut_s8": "lut_s8.c", "tfc_lut_s16": "lut_s16.c"},
                  "tables (TFLite's reference kernel: TFLM has no integer EXP)"),
    "LOG": OpSpec(activations.lower_log, ("int8", "int16"), {"tfc_lut_s8": "lut_s8.c", "tfc_lut_s16": "lut_s16.c"},
                  "tables (TFLite's reference kernel: TFLM has no integer LOG)"),
    "SQRT": OpSpec(activations.lower_sqrt, ("int8",), {"tfc_lut_s8": "lut_s8.c"},
                   "256-entry table (TFLite's reference kernel: TFLM has no integer SQRT)"),
    "NEG": OpSpec(activations.lower_neg, ("int8",), {"tfc_lut_s8": "lut_s8.c"},
                  "integer negation, as TFLite's reference kernel (TFLM has no integer NEG)"),
    "GELU": OpSpec(activations.lower_gelu, ("int8",), {"tfc_lut_s8": "lut_s8.c"},
                   "256-entry table, exact or approximate (TFLite's reference kernel: TFLM has no GELU)"),
    "QUANTIZE": OpSpec(quantize.lower_quantize, (
        "float32->int8", "float32->uint8", "float32->int16", "int8->int8", "int8->uint8", "uint8->int8",
        "uint8->uint8", "int8->int16", "int8->int32", "int16->int8", "int16->int16", "int16->int32",
        "int32->int8", "int32->int16"), {
        "tfc_quantize_f32_s8": "quantize_f32.c", "tfc_quantize_f32_u8": "quantize_f32.c",
        "tfc_quantize_f32_s16": "quantize_f32.c", "tfc_lut_s8": "lut_s8.c", "tfc_rescale": "rescale.c"},
        "8-bit to 8-bit: 256-entry table"),
    "DEQUANTIZE": OpSpec(quantize.lower_dequantize, ("int8->float32", "uint8->float32", "int16->float32"),
                         {"tfc_dequantize_s8_f32": "quantize_f32.c", "tfc_dequantize_s16_f32": "quantize_f32.c"},
                         "8-bit: 256-entry table"),

    # ---- data movement
    "PAD": OpSpec(shape.lower_pad, ("int8",), {"tfc_pad_s8": "pad_s8.c"}, "constant, up to 5-D"),
    "PADV2": OpSpec(shape.lower_pad, ("int8",), {"tfc_pad_s8": "pad_s8.c"}, "constant, up to 5-D"),
    "CONCATENATION": OpSpec(shape.lower_concatenation, ("int8",), {"tfc_concat": "concat.c"}, "any axis"),
    "RESHAPE": OpSpec(shape.lower_reshape, ("any",), {"tfc_copy_bytes": "copy.c"}, "aliased (no copy)"),
    "SQUEEZE": OpSpec(shape.lower_reshape, ("any",), {"tfc_copy_bytes": "copy.c"}, "aliased (no copy)"),
    "EXPAND_DIMS": OpSpec(shape.lower_reshape, ("any",), {"tfc_copy_bytes": "copy.c"}, "aliased (no copy)"),

    # ---- state (engine/state.py)
    "VAR_HANDLE": OpSpec(state.lower_nothing, ("resource",), {}, "resource variable in the state area"),
    "CALL_ONCE": OpSpec(state.lower_nothing, ("-",), {}, "initialisation evaluated on the host, run by reset"),
    "READ_VARIABLE": OpSpec(state.lower_read_variable, ("any",), {"tfc_copy_bytes": "copy.c"}),
    "ASSIGN_VARIABLE": OpSpec(state.lower_assign_variable, ("any",), {"tfc_copy_bytes": "copy.c"}),
}

#: kernels the generated code calls besides the ops' (model input/output copies, state reset)
SUPPORT_KERNELS: dict[str, str] = {"tfc_copy_bytes": "copy.c", "tfc_fill_bytes": "copy.c"}

#: headers every generated model ships with
COMMON_HEADERS = ("tfc_fixedpoint.h", "tfc_kernels.h", "tfc_add.h", "tfc_conv_core.h", "tfc_depthwise_core.h")

#: what to suggest instead of an unsupported op
ALTERNATIVES: dict[str, str] = {}


def reference_kernels() -> dict[str, str]:
    """Every reference kernel function -> its source file (from the op rows)."""
    table = dict(SUPPORT_KERNELS)
    for spec in OPS.values():
        table.update(spec.kernels)
    return table


def op_spec(g: Graph, op: Op) -> OpSpec:
    """The spec of ``op`` or a TfcError naming the op, its output tensor and what to do."""
    spec = OPS.get(op.name)
    if spec is None:
        out = g.t(op.outputs[0]).name if op.outputs else "?"
        alt = ALTERNATIVES.get(op.name, "replace the layer with one built from the ops `tfcompress ops` lists, "
                               "or deploy this model with the TFLite Micro runtime")
        raise TfcError(f"op {op.name} (#{op.index}, output '{out}') is not supported by the engine", alt)
    return spec


def check_float_model(g: Graph) -> None:
    """A float (unquantised) model gets one clear error before anything else."""
    compute = [op for op in g.ops if op.name not in ("QUANTIZE", "DEQUANTIZE")]
    float_ops = [op for op in compute
                 if any(i >= 0 and g.t(i).dtype == "float32" for i in op.inputs + op.outputs)]
    if compute and len(float_ops) == len(compute):
        op = float_ops[0]
        raise TfcError(f"the model is float (op {op.name} '{g.t(op.outputs[0]).name}' computes in "
                       "float32); the engine compiles integer models",
                       "convert with --mode int8 (full integer quantisation with a representative dataset)")
