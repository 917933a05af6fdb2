"""Lowering of reductions over constant axes (MEAN, SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD; int8 and
int16; REDUCE_ALL / REDUCE_ANY of bool), ARG_MAX / ARG_MIN and CUMSUM.

The reductions share one N-D walk (``tfc_mean_params``): the host merges adjacent dimensions that are
both kept or both reduced and drops dimensions of size 1, so the common shapes (a spatial mean, a sum
over the last axis) become a 1-D or 2-D walk on the device.
"""

from __future__ import annotations

import math

from tfcompress.engine.ir import Graph, Op, Tensor
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.ops.common import MAX_DIMS, out_name
from tfcompress.engine.quant import quantize_multiplier
from tfcompress.errors import TfcError

#: element type -> (kernel suffix, C type, smallest, largest value)
_INT_TYPES = {"int8": ("s8", "int8_t", -128, 127), "int16": ("s16", "int16_t", -32768, 32767)}


def _int_tensors(g: Graph, op: Op, tensors: list[Tensor], fix: str = "convert with int8 or int16x8 quantisation"
                 ) -> str:
    """The shared element type of ``tensors`` (int8 or int16), or a TfcError naming the op."""
    dt = tensors[0].dtype
    for t in tensors:
        if t.dtype not in _INT_TYPES or t.dtype != dt:
            types = ", ".join(sorted({u.dtype for u in tensors}))
            raise TfcError(f"{op.name} '{out_name(g, op)}': {types} tensors are not supported (int8 or int16 only)",
                           fix)
    return dt


def _const_ints(g: Graph, op: Op, index: int, what: str) -> list[int]:
    t = g.t(index)
    if not t.is_const:
        raise TfcError(f"{op.name} '{out_name(g, op)}': the {what} must be constant",
                       f"use a fixed {what} (TFLite Micro needs it constant too)")
    return [int(v) for v in t.data.reshape(-1)]


def _axes(g: Graph, op: Op, ndim: int) -> list[int]:
    """The reduced axes (negative ones resolved, duplicates dropped) as TFLM's ResolveAxis reads them."""
    raw = _const_ints(g, op, op.inputs[1], "axis tensor")
    for a in raw:
        if not -ndim <= a < ndim:
            raise TfcError(f"{op.name} '{out_name(g, op)}': axis {a} is out of range for a {ndim}-D input",
                           "re-export the model")
    return sorted({a % ndim for a in raw}) if ndim else []


def reduce_walk(shape: tuple[int, ...], axes: list[int]) -> list[tuple[int, int, bool]]:
    """(size, element stride, reduced?) per dimension of the walk: size-1 dimensions dropped,
    neighbours with the same role merged."""
    dims: list[tuple[int, int, bool]] = []
    stride = 1
    for d in range(len(shape) - 1, -1, -1):
        size = int(shape[d])
        if size != 1:
            red = d in axes
            if dims and dims[0][2] == red and dims[0][1] * dims[0][0] == stride:
                dims[0] = (dims[0][0] * size, dims[0][1], red)
            else:
                dims.insert(0, (size, stride, red))
        stride *= size
    return dims


def walk_fields(g: Graph, op: Op, x: Tensor, axes: list[int]) -> dict:
    """The kept (k_*) and reduced (r_*) sizes and strides of ``tfc_mean_params`` and the count."""
    if any(d == 0 for d in x.shape):
        raise TfcError(f"{op.name} '{out_name(g, op)}' reads an empty tensor", "re-export the model")
    dims = reduce_walk(tuple(x.shape), axes)
    kept = [(s, st) for s, st, r in dims if not r]
    red = [(s, st) for s, st, r in dims if r]
    if len(kept) > MAX_DIMS or len(red) > MAX_DIMS:
        raise TfcError(f"{op.name} '{out_name(g, op)}': the reduction of shape {list(x.shape)} over axes {axes} "
                       f"needs more than {MAX_DIMS} dimensions", "reshape the input to fewer dimensions first")
    pad = [0] * MAX_DIMS
    return dict(k_ndim=len(kept), k_shape=([s for s, _ in kept] + pad)[:MAX_DIMS],
                k_stride=([st for _, st in kept] + pad)[:MAX_DIMS], r_ndim=len(red),
                r_shape=([s for s, _ in red] + pad)[:MAX_DIMS], r_stride=([st for _, st in red] + pad)[:MAX_DIMS],
                count=int(math.prod(int(x.shape[d]) for d in axes)))


def _reduction(g: Graph, op: Op) -> tuple[Tensor, Tensor, str, dict]:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    dt = _int_tensors(g, op, [x, y])
    if len(op.inputs) < 2 or op.inputs[1] < 0:
        raise TfcError(f"{op.name} '{y.name}' has no axis tensor", "re-export the model")
    return x, y, dt, walk_fields(g, op, x, _axes(g, op, len(x.shape)))


def mean_multiplier(in_scale: float, out_scale: float, count: int, compute_sum: bool) -> tuple[int, int]:
    """TFLM's QuantizedMeanOrSum output multiplier: in/out scale, for MEAN divided by the count with
    as many extra bits as the count has (at most 32, keeping the shift >= -31)."""
    mult, shift = quantize_multiplier(in_scale / out_scale)
    if compute_sum:
        return mult, shift
    n_shift = min(count.bit_length() - 1, 32, 31 + shift)
    return int((mult << n_shift) // count), shift - n_shift


def _mean_or_sum(g: Graph, op: Op, compute_sum: bool) -> LoweredOp:
    x, y, dt, fields = _reduction(g, op)
    suffix, ctype, _, _ = _INT_TYPES[dt]
    mult, shift = mean_multiplier(x.scale, y.scale, fields["count"], compute_sum)
    fields.update(in_zp=x.zero_point, mult=mult, shift=shift, out_zp=y.zero_point)
    return LoweredOp(op, f"tfc_mean_{suffix}", "tfc_mean_params", fields, [x.index], [y.index],
                     in_ctypes=(ctype,), out_ctype=ctype)


def lower_mean(g: Graph, op: Op) -> LoweredOp:
    """MEAN over constant axes (int8, int16): TFLM's QuantizedMeanOrSum, the sum minus the input zero
    point times the count, requantised with in/out scale pre-divided by the count (every keep_dims
    and axes combination, equal quantisation included, takes this path in TFLM)."""
    return _mean_or_sum(g, op, compute_sum=False)


def lower_sum(g: Graph, op: Op) -> LoweredOp:
    """SUM over constant axes (int8, int16): QuantizedMeanOrSum with the plain in/out scale."""
    return _mean_or_sum(g, op, compute_sum=True)


def _min_max(g: Graph, op: Op, kind: str) -> LoweredOp:
    x, y, dt, fields = _reduction(g, op)
    if x.scale != y.scale or x.zero_point != y.zero_point:
        raise TfcError(f"{op.name} '{y.name}': input and output quantisation differ (TFLite Micro requires "
                       "them equal)", "re-convert the model with the TFLite converter")
    suffix, ctype, _, _ = _INT_TYPES[dt]
    fields.update(in_zp=0, mult=0, shift=0, out_zp=0)
    return LoweredOp(op, f"tfc_reduce_{kind}_{suffix}", "tfc_mean_params", fields, [x.index], [y.index],
                     in_ctypes=(ctype,), out_ctype=ctype)


def lower_reduce_max(g: Graph, op: Op) -> LoweredOp:
    """REDUCE_MAX over constant axes (int8; int16 with TFLite's reference kernels as oracle)."""
    return _min_max(g, op, "max")


def lower_reduce_min(g: Graph, op: Op) -> LoweredOp:
    """REDUCE_MIN over constant axes (int8; int16 with TFLite's reference kernels as oracle)."""
    return _min_max(g, op, "min")


def lower_reduce_all_any(g: Graph, op: Op) -> LoweredOp:
    """REDUCE_ALL / REDUCE_ANY of bool tensors over constant axes: the minimum / maximum of the 0/1
    bytes on the reductions' walk."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype != "bool" or y.dtype != "bool":
        raise TfcError(f"{op.name} '{y.name}': {x.dtype} -> {y.dtype} is not supported (bool only, as TFLite)",
                       "re-export the model")
    if len(op.inputs) < 2 or op.inputs[1] < 0:
        raise TfcError(f"{op.name} '{y.name}' has no axis tensor", "re-export the model")
    fields = walk_fields(g, op, x, _axes(g, op, len(x.shape)))
    fields.update(in_zp=0, mult=0, shift=0, out_zp=0)
    kernel = "tfc_reduce_all_b" if op.name == "REDUCE_ALL" else "tfc_reduce_any_b"
    return LoweredOp(op, kernel, "tfc_mean_params", fields, [x.index], [y.index],
                     in_ctypes=("uint8_t",), out_ctype="uint8_t")


def lower_reduce_prod(g: Graph, op: Op) -> LoweredOp:
    """REDUCE_PROD (int8, int16; TFLM has no kernel, TFLite's reference QuantizedReduceProd is the
    oracle): each product step and the final result rescaled by in_scale / out_scale^(1/count)."""
    x, y, dt, fields = _reduction(g, op)
    suffix, ctype, _, _ = _INT_TYPES[dt]
    count = fields["count"]
    mult, shift = quantize_multiplier(x.scale / math.pow(y.scale, 1.0 / count))
    if not -31 <= shift < 8:
        raise TfcError(f"REDUCE_PROD '{y.name}': the per-step rescaling 2^{shift} is out of range",
                       "re-quantise the model")
    fields.update(in_zp=x.zero_point, mult=mult, shift=shift, out_zp=y.zero_point)
    return LoweredOp(op, f"tfc_reduce_prod_{suffix}", "tfc_mean_params", fields, [x.index], [y.index],
                     in_ctypes=(ctype,), out_ctype=ctype)


# ---- ARG_MAX / ARG_MIN

#: input element type -> kernel suffix, C type
_ARG_TYPES = {"int8": ("s8", "int8_t"), "uint8": ("u8", "uint8_t"), "int32": ("s32", "int32_t"),
              "float32": ("f32", "float")}


def _arg_min_max(g: Graph, op: Op, is_max: bool) -> LoweredOp:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype not in _ARG_TYPES:  # int16: neither TFLM nor TFLite has a kernel
        raise TfcError(f"{op.name} '{y.name}': {x.dtype} input is not supported ({', '.join(_ARG_TYPES)} are; "
                       "TFLite Micro and TFLite have no kernel for it either)",
                       "apply the op to an int8 tensor (or dequantise first)")
    if y.dtype not in ("int32", "int64"):
        raise TfcError(f"{op.name} '{y.name}': {y.dtype} output is not supported (int32 or int64)",
                       "convert with output_type=tf.int32")
    nd = len(x.shape)
    axis_vals = _const_ints(g, op, op.inputs[1], "axis tensor")
    if nd == 0 or not axis_vals or not -nd <= axis_vals[0] < nd:
        raise TfcError(f"{op.name} '{y.name}': axis {axis_vals[:1]} does not fit the {nd}-D input",
                       "re-export the model")
    axis = axis_vals[0] % nd  # TFLM reads the first value only
    if any(d == 0 for d in x.shape):
        raise TfcError(f"{op.name} '{y.name}' reads an empty tensor", "re-export the model")
    suffix, ctype = _ARG_TYPES[x.dtype]
    fields = dict(outer=int(math.prod(x.shape[:axis])), axis_size=int(x.shape[axis]),
                  inner=int(math.prod(x.shape[axis + 1:])), is_max=int(is_max), out64=int(y.dtype == "int64"))
    return LoweredOp(op, f"tfc_arg_min_max_{suffix}", "tfc_arg_params", fields, [x.index], [y.index],
                     in_ctypes=(ctype,), out_ctype="void")


def lower_arg_max(g: Graph, op: Op) -> LoweredOp:
    """ARG_MAX along one constant axis: the first index of the largest value (int32/int64 out)."""
    return _arg_min_max(g, op, True)


def lower_arg_min(g: Graph, op: Op) -> LoweredOp:
    """ARG_MIN along one constant axis: the first index of the smallest value (int32/int64 out)."""
    return _arg_min_max(g, op, False)


# ---- CUMSUM

#: TFLM's CUMSUM integer path: ADD's arithmetic with a 20-bit left shift
CUMSUM_LEFT_SHIFT = 20


def lower_cumsum(g: Graph, op: Op) -> LoweredOp:
    """CUMSUM int8 (TFLM's quantised path: each input offset, shifted left by 20, halved (the
    multiplier of in_scale / (2 in_scale)) and accumulated in int32; the accumulator starts at the
    scaled negative zero point, as TFLM's does; each partial sum rescaled to the output)."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if not (x.dtype == y.dtype == "int8"):
        raise TfcError(f"CUMSUM '{y.name}': {x.dtype} -> {y.dtype} is not supported (int8 only, as in "
                       "TFLite Micro)", "convert with int8 quantisation")
    nd = len(x.shape)
    axis_vals = _const_ints(g, op, op.inputs[1], "axis tensor")
    if nd == 0 or len(axis_vals) != 1 or not -nd <= axis_vals[0] < nd:
        raise TfcError(f"CUMSUM '{y.name}': axis {axis_vals} does not fit the {nd}-D input", "re-export the model")
    axis = axis_vals[0] % nd
    twice = 2.0 * x.scale
    in_mult, in_shift = quantize_multiplier(x.scale / twice)
    out_mult, out_shift = quantize_multiplier(twice / ((1 << CUMSUM_LEFT_SHIFT) * y.scale))
    if in_shift > 0 or out_shift > 0:
        raise TfcError(f"CUMSUM '{y.name}': output scale below 2^-19 of the input scale",
                       "re-quantise the model")
    o = op.options
    fields = dict(outer=int(math.prod(x.shape[:axis])), depth=int(x.shape[axis]),
                  inner=int(math.prod(x.shape[axis + 1:])), exclusive=int(bool(o.get("exclusive", False))),
                  reverse=int(bool(o.get("reverse", False))), in_offset=-x.zero_point, in_mult=in_mult,
                  in_shift=in_shift, out_mult=out_mult, out_shift=out_shift, out_zp=y.zero_point)
    return LoweredOp(op, "tfc_cumsum_s8", "tfc_cumsum_params", fields, [x.index], [y.index])
