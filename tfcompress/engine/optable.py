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

from tfcompress.engine import control
from tfcompress.engine.ir import Graph, Op
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.ops import (
    activations,
    conv,
    detection,
    elementwise,
    float32,
    float_tables,
    logic,
    matmul,
    movement,
    pieces,
    pooling,
    quantize,
    reduce,
    resize,
    sequence,
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


#: data movement (ops/walk.py, movement.py, pieces.py): any element type; the rows list the types tests cover
_MOVE = {"tfc_move": "move.c"}
_CONCAT = {"tfc_concat": "concat.c"}
_SPLIT = {"tfc_split": "concat.c"}
_GATHER = {"tfc_gather": "gather.c"}

_CONV_KERNELS = {
    "tfc_conv2d_s8": "conv2d_s8.c",
    "tfc_conv2d_add_s8": "conv2d_add_s8.c",  # CONV_2D fused with the ADD that consumes it (fusion.py)
    "tfc_conv2d_s16": "conv2d_s16.c",
    "tfc_conv2d_s8_w4": "conv2d_s8_w4.c",  # 4-bit weights (weights4.py)
    "tfc_conv2d_add_s8_w4": "conv2d_add_s8_w4.c",
    "tfc_conv2d_s8_sp": "conv2d_s8_sp.c",  # sparse weights (weights_sparse.py)
    "tfc_conv2d_add_s8_sp": "conv2d_add_s8_sp.c",
}

_MEAN_KERNELS = {"tfc_mean_s8": "mean.c", "tfc_mean_s16": "mean.c"}
_ARG_TYPES = ("int8", "uint8", "int32", "float32")
_ARG_KERNELS = {f"tfc_arg_min_max_{s}": "arg_min_max.c" for s in ("s8", "u8", "s32", "f32")}

OPS: dict[str, OpSpec] = {
    # ---- convolution, matrix multiplication and sequence ops
    "CONV_2D": OpSpec(conv.lower_conv2d, ("int8", "int16x8"), _CONV_KERNELS,
                      "per-channel weights, stride, dilation, SAME/VALID, fused activation, groups, int4 weights"),
    "DEPTHWISE_CONV_2D": OpSpec(conv.lower_depthwise, ("int8", "int16x8"), {
        "tfc_depthwise_conv2d_s8": "depthwise_conv2d_s8.c",
        "tfc_depthwise_conv2d_s16": "depthwise_conv2d_s16.c",
        "tfc_depthwise_conv2d_s8_w4": "depthwise_conv2d_s8_w4.c",
        "tfc_depthwise_conv2d_s8_sp": "depthwise_conv2d_s8_sp.c"},
        "per-channel weights, depth multiplier, dilation, int4 weights"),
    "FULLY_CONNECTED": OpSpec(conv.lower_fully_connected, ("int8", "int16x8"), {
        "tfc_fully_connected_s8": "fully_connected_s8.c",
        "tfc_fully_connected_s16": "fully_connected_s16.c",
        "tfc_fully_connected_s8_w4": "fully_connected_s8_w4.c",
        "tfc_fully_connected_s8_sp": "fully_connected_s8_sp.c",
        "tfc_fully_connected_rw_s8": "fully_connected_rw.c",
        "tfc_fully_connected_rw_s16": "fully_connected_rw.c"},
        "per-tensor or per-channel weights, int4 weights, run-time (non-constant) weights, keep_num_dims"),
    "TRANSPOSE_CONV": OpSpec(conv.lower_transpose_conv, ("int8", "int16x8"), {
        "tfc_transpose_conv_s8": "transpose_conv.c", "tfc_transpose_conv_s16": "transpose_conv.c"},
        "per-channel weights, optional bias, SAME/VALID, fused activation"),
    "BATCH_MATMUL": OpSpec(matmul.lower_batch_matmul, ("int8", "int16"), {
        "tfc_batch_matmul_s8": "batch_matmul.c", "tfc_batch_matmul_s16": "batch_matmul.c"},
        "adj_x/adj_y, broadcast batch dimensions, constant or activation operands"),
    "SVDF": OpSpec(sequence.lower_svdf, ("int8",), {"tfc_svdf_s8_s8": "svdf.c", "tfc_svdf_s8_s16": "svdf.c"},
                   "int8 or int16 state (a variable tensor)"),
    "UNIDIRECTIONAL_SEQUENCE_LSTM": OpSpec(sequence.lower_lstm, ("int8", "int16x8"), {
        "tfc_lstm_s8": "lstm.c", "tfc_lstm_s16": "lstm.c"},
        "TFLM's integer LSTM: int16 cell state, hidden/cell state as variable tensors, time-major or not"),

    # ---- pooling, resizing, reductions
    "AVERAGE_POOL_2D": OpSpec(pooling.lower_avg_pool, ("int8", "int16"),
                              {"tfc_avg_pool2d_s8": "pool2d_s8.c", "tfc_avg_pool2d_s16": "pool2d_s16.c"}),
    "MAX_POOL_2D": OpSpec(pooling.lower_max_pool, ("int8", "int16"),
                          {"tfc_max_pool2d_s8": "pool2d_s8.c", "tfc_max_pool2d_s16": "pool2d_s16.c"}),
    "MEAN": OpSpec(reduce.lower_mean, ("int8", "int16"), _MEAN_KERNELS, "any constant axes"),
    "SUM": OpSpec(reduce.lower_sum, ("int8", "int16"), _MEAN_KERNELS, "any constant axes"),
    "REDUCE_MAX": OpSpec(reduce.lower_reduce_max, ("int8", "int16"), {
        "tfc_reduce_max_s8": "reduce_minmax.c", "tfc_reduce_max_s16": "reduce_minmax.c"}, "any constant axes"),
    "REDUCE_MIN": OpSpec(reduce.lower_reduce_min, ("int8", "int16"), {
        "tfc_reduce_min_s8": "reduce_minmax.c", "tfc_reduce_min_s16": "reduce_minmax.c"}, "any constant axes"),
    "REDUCE_ALL": OpSpec(reduce.lower_reduce_all_any, ("bool",), {"tfc_reduce_all_b": "reduce_minmax.c"},
                         "any constant axes"),
    "REDUCE_ANY": OpSpec(reduce.lower_reduce_all_any, ("bool",), {"tfc_reduce_any_b": "reduce_minmax.c"},
                         "any constant axes"),
    "REDUCE_PROD": OpSpec(reduce.lower_reduce_prod, ("int8", "int16"), {
        "tfc_reduce_prod_s8": "reduce_prod.c", "tfc_reduce_prod_s16": "reduce_prod.c"},
        "TFLite reference arithmetic (TFLM has no kernel)"),
    "ARG_MAX": OpSpec(reduce.lower_arg_max, _ARG_TYPES, _ARG_KERNELS, "int32 or int64 output, first index on ties"),
    "ARG_MIN": OpSpec(reduce.lower_arg_min, _ARG_TYPES, _ARG_KERNELS, "int32 or int64 output, first index on ties"),
    "CUMSUM": OpSpec(reduce.lower_cumsum, ("int8",), {"tfc_cumsum_s8": "cumsum_s8.c"}, "exclusive, reverse"),
    "RESIZE_NEAREST_NEIGHBOR": OpSpec(resize.lower_resize_nearest, ("int8", "int16", "uint8", "float32"),
                                      {"tfc_resize_nearest": "resize.c"}, "align_corners, half_pixel_centers"),
    "RESIZE_BILINEAR": OpSpec(resize.lower_resize_bilinear, ("int8", "int16"), {
        "tfc_resize_bilinear_s8": "resize.c", "tfc_resize_bilinear_s16": "resize.c"},
        "align_corners, half_pixel_centers"),

    # ---- element-wise binary ops, comparisons, logical ops (any broadcast TFLM accepts, constant operands)
    "ADD": OpSpec(elementwise.lower_add, ("int8", "int16", "int32"),
                  {"tfc_add_s8": "binary_s8.c", "tfc_add_s16": "add_s16.c", "tfc_add_s32": "sub.c"}, "broadcasting"),
    "SUB": OpSpec(elementwise.lower_sub, ("int8", "int16", "int32"),
                  {"tfc_sub_s8": "sub.c", "tfc_sub_s16": "sub.c", "tfc_sub_s32": "sub.c"}, "broadcasting"),
    "MUL": OpSpec(elementwise.lower_mul, ("int8", "int16", "int32"),
                  {"tfc_mul_s8": "binary_s8.c", "tfc_mul_s16": "mul.c", "tfc_mul_s32": "mul.c"}, "broadcasting"),
    "SQUARED_DIFFERENCE": OpSpec(elementwise.lower_squared_difference, ("int8", "int16", "int32"), {
        "tfc_squared_difference_s8": "squared_difference.c", "tfc_squared_difference_s16": "squared_difference.c",
        "tfc_squared_difference_s32": "squared_difference.c"}, "broadcasting"),
    "DIV": OpSpec(elementwise.lower_div, ("int8", "int32"), {"tfc_div_s8": "div.c", "tfc_div_s32": "div.c"},
                  "broadcasting; int8 division by the zero point as TFLM"),
    "FLOOR_DIV": OpSpec(elementwise.lower_floor_div, ("int32",), {"tfc_floor_div_s32": "floor_div.c"}, "broadcasting"),
    "FLOOR_MOD": OpSpec(elementwise.lower_floor_mod, ("int32",), {"tfc_floor_mod_s32": "floor_div.c"}, "broadcasting"),
    "MAXIMUM": OpSpec(elementwise.lower_maximum, ("int8", "int16", "int32"), {
        f"tfc_maximum_{s}": "minmax.c" for s in ("s8", "s16", "s32")}, "broadcasting"),
    "MINIMUM": OpSpec(elementwise.lower_minimum, ("int8", "int16", "int32"), {
        f"tfc_minimum_{s}": "minmax.c" for s in ("s8", "s16", "s32")}, "broadcasting"),
    "PRELU": OpSpec(elementwise.lower_prelu, ("int8", "int16"), {"tfc_prelu_s8": "prelu.c", "tfc_prelu_s16": "prelu.c"},
                    "int8 alpha, broadcast"),
    "ADD_N": OpSpec(elementwise.lower_add_n, ("int8", "int32"), {"tfc_add_n_s8": "add_n.c", "tfc_add_n_s32": "add_n.c"}),
    **{name: OpSpec(logic.lower_comparison, ("int8", "int16", "int32")
                    + (("bool",) if name in ("EQUAL", "NOT_EQUAL") else ()),
                    {f"tfc_compare_{s}": "compare.c" for s in ("s8", "s16", "s32", "b")},
                    "-> bool, broadcasting; int8 compared after TFLM's rescaling"
                    + ("; int16 as TFLM: its unset rescaling makes it always false" if name == "GREATER" else ""))
       for name in ("EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL")},
    "LOGICAL_AND": OpSpec(logic.lower_logical_binary, ("bool",), {"tfc_logical_and": "logical.c"}, "broadcasting"),
    "LOGICAL_OR": OpSpec(logic.lower_logical_binary, ("bool",), {"tfc_logical_or": "logical.c"}, "broadcasting"),
    "LOGICAL_NOT": OpSpec(logic.lower_logical_not, ("bool",), {"tfc_logical_not": "logical.c"}),
    "SELECT_V2": OpSpec(logic.lower_select, ("int8", "int16", "int32", "float32", "bool"), {"tfc_select": "select.c"},
                        "three-way broadcasting"),
    "SELECT": OpSpec(logic.lower_select, ("int8", "int16", "int32", "float32", "bool"), {"tfc_select": "select.c"},
                     "scalar or rank-1 condition"),

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
                       {"tfc_lut_s8": "lut_s8.c", "tfc_sigmoid_s16": "sigmoid_s16.c"},
                       "int8: 256-entry table; int16: TFLM's interpolated sigmoid table"),
    "TANH": OpSpec(activations.lower_tanh, ("int8", "int16"),
                   {"tfc_lut_s8": "lut_s8.c", "tfc_sigmoid_s16": "sigmoid_s16.c"},
                   "int8: 256-entry table; int16: TFLM's interpolated sigmoid table"),
    "HARD_SWISH": OpSpec(activations.lower_hard_swish, ("int8",), {"tfc_lut_s8": "lut_s8.c"}, "256-entry table"),
    "ELU": OpSpec(float_tables.lower_elu, ("int8",), {"tfc_lut_s8": "lut_s8.c"}, "256-entry table"),
    "RSQRT": OpSpec(activations.lower_rsqrt, ("int8", "int16"),
                    {"tfc_lut_s8": "lut_s8.c", "tfc_rsqrt_s16": "rsqrt_s16.c"}, "int8: 256-entry table"),
    "EXP": OpSpec(float_tables.lower_exp, ("int8", "int16"), {"tfc_lut_s8": "lut_s8.c", "tfc_lut_s16": "lut_s16.c"},
                  "tables (TFLite's reference kernel: TFLM has no integer EXP)"),
    "LOG": OpSpec(float_tables.lower_log, ("int8", "int16"), {"tfc_lut_s8": "lut_s8.c", "tfc_lut_s16": "lut_s16.c"},
                  "tables (TFLite's reference kernel: TFLM has no integer LOG)"),
    "SQRT": OpSpec(float_tables.lower_sqrt, ("int8",), {"tfc_lut_s8": "lut_s8.c"},
                   "256-entry table (TFLite's reference kernel: TFLM has no integer SQRT)"),
    "NEG": OpSpec(float_tables.lower_neg, ("int8",), {"tfc_lut_s8": "lut_s8.c"},
                  "integer negation, as TFLite's reference kernel (TFLM has no integer NEG)"),
    "GELU": OpSpec(float_tables.lower_gelu, ("int8",), {"tfc_lut_s8": "lut_s8.c"},
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
    "PAD": OpSpec(movement.lower_pad, ("int8", "int16", "int32"), _MOVE,
                  "constant, zero point or 0, up to 6-D after merging"),
    "PADV2": OpSpec(movement.lower_pad, ("int8", "float32"), _MOVE, "constant value, up to 6-D after merging"),
    "MIRROR_PAD": OpSpec(movement.lower_mirror_pad, ("int8", "int16", "float32"), _MOVE, "REFLECT and SYMMETRIC"),
    "CONCATENATION": OpSpec(pieces.lower_concatenation, ("int8", "int16", "int32", "float32", "bool"), _CONCAT,
                            "any axis, equal quantisation"),
    "PACK": OpSpec(pieces.lower_pack, ("int8", "int64"), _CONCAT, "any axis"),
    "UNPACK": OpSpec(pieces.lower_unpack, ("int8", "int16", "float32"), _SPLIT, "any axis"),
    "SPLIT": OpSpec(pieces.lower_split, ("int8", "int16", "int32"), _SPLIT, "any axis"),
    "SPLIT_V": OpSpec(pieces.lower_split_v, ("int8", "int16", "float32"), _SPLIT, "any axis"),
    "STRIDED_SLICE": OpSpec(movement.lower_strided_slice, ("int8", "int16", "int32", "float32", "bool"), _MOVE,
                            "TFLM's masks (begin/end/shrink), negative strides"),
    "SLICE": OpSpec(movement.lower_slice, ("int8", "int16", "int32"), _MOVE, "constant begin/size"),
    "TRANSPOSE": OpSpec(movement.lower_transpose, ("int8", "int16", "float32"), _MOVE, "any permutation"),
    "REVERSE_V2": OpSpec(movement.lower_reverse, ("int8", "int16", "int32"), _MOVE, "any axes"),
    "BROADCAST_TO": OpSpec(movement.lower_broadcast_to, ("int8", "int16", "int32"), _MOVE),
    "TILE": OpSpec(movement.lower_tile, ("int8", "int16"), _MOVE, "constant multiples"),
    "SPACE_TO_DEPTH": OpSpec(movement.lower_space_to_depth, ("int8", "float32"), _MOVE),
    "DEPTH_TO_SPACE": OpSpec(movement.lower_depth_to_space, ("int8", "float32"), _MOVE),
    "BATCH_TO_SPACE_ND": OpSpec(movement.lower_batch_to_space, ("int8", "int16"), _MOVE, "3-D / 4-D, crops"),
    "SPACE_TO_BATCH_ND": OpSpec(movement.lower_space_to_batch, ("int8", "int16"),
                                {"tfc_space_to_batch": "space_to_batch.c"}, "3-D / 4-D, padding"),
    "GATHER": OpSpec(pieces.lower_gather, ("int8", "int16", "float32"), _GATHER,
                     "run-time or constant indices, batch_dims"),
    "GATHER_ND": OpSpec(pieces.lower_gather_nd, ("int8", "int16", "int32"), _GATHER, "run-time or constant indices"),
    "EMBEDDING_LOOKUP": OpSpec(pieces.lower_embedding_lookup, ("int8",), _GATHER,
                               "same type in and out (hybrid int8 -> float32: below)"),
    "DYNAMIC_UPDATE_SLICE": OpSpec(pieces.lower_dynamic_update_slice, ("int8", "int16", "float32"),
                                   {"tfc_dynamic_update_slice": "dynamic_update_slice.c"}, "run-time start"),
    "FILL": OpSpec(pieces.lower_fill, ("int32", "float32"), _MOVE, "run-time value, constant dims"),
    "ZEROS_LIKE": OpSpec(pieces.lower_zeros_like, ("int8", "int32", "float32"), {"tfc_fill_bytes": "copy.c"}),
    "CAST": OpSpec(pieces.lower_cast, ("int8->int32", "int32->int8", "bool->int32"),
                   {"tfc_cast": "cast.c", "tfc_copy_bytes": "copy.c"}, "integer and bool types (float: below)"),
    "RESHAPE": OpSpec(shape.lower_reshape, ("any",), {"tfc_copy_bytes": "copy.c"}, "aliased (no copy)"),
    "SQUEEZE": OpSpec(shape.lower_reshape, ("any",), {"tfc_copy_bytes": "copy.c"}, "aliased (no copy)"),
    "EXPAND_DIMS": OpSpec(shape.lower_reshape, ("any",), {"tfc_copy_bytes": "copy.c"}, "aliased (no copy)"),

    # ---- control flow (engine/control.py)
    "IF": OpSpec(control.lower_if, ("-",), {}, "then/else subgraphs compiled inline"),
    "WHILE": OpSpec(control.lower_while, ("-",), {}, "cond/body subgraphs compiled inline"),

    # ---- state (engine/state.py)
    "VAR_HANDLE": OpSpec(state.lower_nothing, ("resource",), {}, "resource variable in the state area"),
    "CALL_ONCE": OpSpec(state.lower_nothing, ("-",), {}, "initialisation evaluated on the host, run by reset"),
    "READ_VARIABLE": OpSpec(state.lower_read_variable, ("any",), {"tfc_copy_bytes": "copy.c"}),
    "ASSIGN_VARIABLE": OpSpec(state.lower_assign_variable, ("any",), {"tfc_copy_bytes": "copy.c"}),
}

#: ops that move or convert values bit-exactly whatever their element type (float32 included):
#: they do not make a model "float"
ANY_TYPE_OPS = frozenset({
    "PAD", "PADV2", "MIRROR_PAD", "CONCATENATION", "PACK", "UNPACK", "SPLIT", "SPLIT_V", "STRIDED_SLICE",
    "SLICE", "TRANSPOSE", "REVERSE_V2", "BROADCAST_TO", "TILE", "SPACE_TO_DEPTH", "DEPTH_TO_SPACE",
    "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "GATHER", "GATHER_ND", "EMBEDDING_LOOKUP", "DYNAMIC_UPDATE_SLICE",
    "FILL", "ZEROS_LIKE", "CAST", "RESHAPE", "SQUEEZE", "EXPAND_DIMS"})

# ---- float32 ops inside integer models ("float islands", engine/ops/float32.py): the row used when
# float32.computes_in_float(op); the op's row in OPS (if any) serves its integer types.
_F32_UNARY = {k: "unary_f32.c" for k in float32.UNARY_KERNELS.values()}
_F32_BINARY = {k: "binary_f32.c" for k in float32.BINARY_KERNELS.values()}


def _f32_unary(op: str, note: str = "") -> OpSpec:
    kernel = float32.UNARY_KERNELS[op]
    return OpSpec(float32.lower_unary, ("float32",), {kernel: _F32_UNARY[kernel]}, note)


def _f32_binary(op: str, note: str) -> OpSpec:
    kernel = float32.BINARY_KERNELS[op]
    return OpSpec(float32.lower_binary, ("float32",), {kernel: _F32_BINARY[kernel]}, note)


FLOAT_OPS: dict[str, OpSpec] = {
    **{op: _f32_unary(op) for op in ("ABS", "NEG", "CEIL", "FLOOR", "SQRT", "RSQRT", "SQUARE", "SIN", "COS",
                                      "EXP", "LOG", "TANH", "RELU", "RELU6", "ELU", "HARD_SWISH", "LEAKY_RELU")},
    "ROUND": _f32_unary("ROUND", "half to even (as TFLM)"),
    "LOGISTIC": _f32_unary("LOGISTIC", "TFLM's cut-offs (1 above 16.62, exp(x) below -9)"),
    **{op: _f32_binary(op, "broadcasting up to 5-D, fused activation") for op in ("ADD", "SUB", "MUL", "DIV")},
    **{op: _f32_binary(op, "broadcasting up to 5-D")
       for op in ("MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE", "FLOOR_DIV", "FLOOR_MOD")},
    **{op: _f32_binary(op, "bool output, broadcasting up to 5-D")
       for op in ("EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL")},
    "ADD_N": OpSpec(float32.lower_add_n, ("float32",), {"tfc_add_n_f32": "add_n_f32.c"}, "any number of inputs"),
    **{op: OpSpec(float32.lower_reduce, ("float32",), {float32.REDUCE_KERNELS[op]: "reduce_f32.c"},
                  "any constant axes") for op in ("SUM", "MEAN", "REDUCE_MAX", "REDUCE_MIN")},
    "CUMSUM": OpSpec(float32.lower_cumsum, ("float32",), {"tfc_cumsum_f32": "cumsum_f32.c"},
                     "constant axis, exclusive, reverse"),
    "SOFTMAX": OpSpec(float32.lower_softmax, ("float32",), {"tfc_softmax_f32": "softmax_f32.c"}),
    "LOG_SOFTMAX": OpSpec(float32.lower_softmax, ("float32",), {"tfc_log_softmax_f32": "softmax_f32.c"}),
    "CAST": OpSpec(float32.lower_cast, (*(f"{a}->{b}" for a, b in float32.CAST_KERNELS), "float32->float32"),
                   {**{k: "cast_f32.c" for k in float32.CAST_KERNELS.values()}, "tfc_copy_bytes": "copy.c"},
                   "float to integer truncates and saturates (NaN: 0), as TFLM"),
    detection.OP_NAME: OpSpec(detection.lower_detection_postprocess, ("float32", "uint8->float32", "int8->float32"),
                              {detection.KERNEL: "detection_postprocess.c"},
                              "custom op: SSD box decoding + regular or fast NMS, TFLM's arithmetic and order; "
                              "8-bit inputs dequantised as TFLite's kernel"),
    "EMBEDDING_LOOKUP": OpSpec(float32.lower_embedding_lookup, ("int8->float32",),
                               {"tfc_embedding_lookup_s8_f32": "embedding_lookup_f32.c"},
                               "hybrid: int8 table dequantised into float32"),
}

#: kernels the generated code calls besides the ops' (model input/output copies, state reset)
SUPPORT_KERNELS: dict[str, str] = {"tfc_copy_bytes": "copy.c", "tfc_fill_bytes": "copy.c"}
#: driver kernels the compiler adds (not an op's own): row banding (engine/banding.py)
DRIVER_KERNELS: dict[str, str] = {"tfc_band_s8": "band.c"}

#: headers every generated model ships with
COMMON_HEADERS = ("tfc_fixedpoint.h", "tfc_kernels.h", "tfc_add.h", "tfc_conv_core.h", "tfc_depthwise_core.h",
                  "tfc_pool2d_ref.h")

#: what to suggest instead of an unsupported op
ALTERNATIVES: dict[str, str] = {}


def reference_kernels() -> dict[str, str]:
    """Every reference kernel function -> its source file (from the op rows)."""
    table = dict(SUPPORT_KERNELS) | DRIVER_KERNELS
    for spec in [*OPS.values(), *FLOAT_OPS.values()]:
        table.update(spec.kernels)
    return table


def op_spec(g: Graph, op: Op) -> OpSpec:
    """The spec of ``op`` (its float32 row when it computes in float) or a TfcError naming the op,
    its output tensor and what to do."""
    in_float = float32.computes_in_float(g, op)
    if op.name in FLOAT_OPS and in_float:
        return FLOAT_OPS[op.name]
    spec = OPS.get(op.name)
    # an op computing in float32 whose row has only integer kernels is as unsupported as a missing op
    # (routing rows, typed "any" or "-", carry float32 values too)
    no_float_kernel = (spec is not None and in_float and op.name not in ANY_TYPE_OPS
                       and not any("float32" in t or t in ("any", "-") for t in spec.types))
    if spec is None or no_float_kernel:
        out = g.t(op.outputs[0]).name if op.outputs else "?"
        alt = ALTERNATIVES.get(op.name, "replace the layer with one built from the ops `tfcompress ops` lists, "
                               "or deploy this model with the TFLite Micro runtime")
        raise TfcError(f"op {op.name} (#{op.index}, output '{out}', {op_types(g, op)}) is not supported by "
                       "the engine", alt)
    return spec


def op_types(g: Graph, op: Op) -> str:
    """The op's element types as ``tfcompress ops`` lists them: ``int8``, ``int32->float32``."""
    first = next((g.t(i).dtype for i in op.inputs if i >= 0), "")
    out = g.t(op.outputs[0]).dtype if op.outputs else ""
    return first or out if not (first and out) or first == out else f"{first}->{out}"


def check_float_model(g: Graph) -> None:
    """A float (unquantised) model gets one clear error before anything else, naming its first
    op without a float32 kernel. Not float: a model with quantised integer activations (an int8
    model whose converter left a few ops in float32, DEQUANTIZE -> CEIL -> QUANTIZE: those compile
    as float islands), and a model whose every op has a float32 kernel (FLOAT_OPS). Ops that only
    route or move values (control flow, state, data movement) do not count."""
    routing = {"QUANTIZE", "DEQUANTIZE", "IF", "WHILE", "CALL_ONCE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE"}
    compute = [op for op in g.ops if op.name not in routing and op.name not in ANY_TYPE_OPS]
    float_ops = [op for op in compute
                 if any(i >= 0 and g.t(i).dtype == "float32" for i in op.inputs + op.outputs)]
    quantized = any(g.t(i).dtype in ("int8", "int16", "uint8") and g.t(i).scales and not g.t(i).is_const
                    for op in g.ops for i in op.inputs + op.outputs if i >= 0)
    no_kernel = [op for op in float_ops if not (op.name in FLOAT_OPS and float32.computes_in_float(g, op))]
    if compute and len(float_ops) == len(compute) and not quantized and no_kernel:
        op = no_kernel[0]
        raise TfcError(f"the model is float (op {op.name} '{g.t(op.outputs[0]).name}' computes in "
                       "float32); the engine compiles integer models",
                       "convert with --mode int8 (full integer quantisation with a representative dataset)")
