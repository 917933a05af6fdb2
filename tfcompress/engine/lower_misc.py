"""Lowering of pooling, element-wise binary ops, SOFTMAX and RESHAPE (int8)."""

from __future__ import annotations

import math

from tfcompress.engine.ir import Graph, Op, Tensor
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.overlap import window_overlap
from tfcompress.engine.quant import (
    activation_range,
    quantize_multiplier,
    quantize_multiplier_gt_one,
    same_padding,
)
from tfcompress.errors import TfcError

MAX_DIMS = 5


def require_int8(g: Graph, op: Op, tensors: list[Tensor]) -> None:
    """Raise a TfcError naming the op and tensor unless every tensor is int8."""
    for t in tensors:
        if t.dtype != "int8":
            raise TfcError(f"{op.name} '{g.t(op.outputs[0]).name}': tensor '{t.name}' is {t.dtype}; "
                           "this kernel supports int8", "convert with --mode int8 (full integer quantisation)")


def _pool(g: Graph, op: Op, kernel: str) -> LoweredOp:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    require_int8(g, op, [x, y])
    if len(x.shape) != 4:
        raise TfcError(f"{op.name} '{y.name}' needs a 4-D NHWC input", "re-export the model")
    if kernel == "tfc_avg_pool2d_s8" or kernel == "tfc_max_pool2d_s8":
        if x.scale != y.scale or x.zero_point != y.zero_point:
            raise TfcError(f"{op.name} '{y.name}': input and output quantisation differ",
                           "re-convert the model with the TFLite converter")
    o = op.options
    n, ih, iw, c = x.shape
    _, oh, ow, _ = y.shape
    kh, kw = int(o["filter_height"]), int(o["filter_width"])
    sh, sw = int(o.get("stride_h", 1)), int(o.get("stride_w", 1))
    pt, pl = same_padding(ih, oh, sh, kh, 1), same_padding(iw, ow, sw, kw, 1)
    amin, amax = activation_range(int(o.get("fused_activation_function", 0)), y.scale, y.zero_point)
    fields = dict(batches=n, in_h=ih, in_w=iw, channels=c, out_h=oh, out_w=ow, k_h=kh, k_w=kw,
                  stride_h=sh, stride_w=sw, pad_top=pt, pad_left=pl, act_min=amin, act_max=amax)
    overlap = {}
    if n == 1:
        d = window_overlap((ih, iw), c, (oh, ow), c, (kh, kw), (sh, sw), (1, 1), (pt, pl))
        overlap[x.index] = min(d, x.nbytes)
    return LoweredOp(op, kernel, "tfc_pool_params", fields, [x.index], [y.index], overlap=overlap)


def lower_avg_pool(g: Graph, op: Op) -> LoweredOp:
    """AVERAGE_POOL_2D (padding excluded from the average, rounding half away from zero)."""
    return _pool(g, op, "tfc_avg_pool2d_s8")


def lower_max_pool(g: Graph, op: Op) -> LoweredOp:
    """MAX_POOL_2D."""
    return _pool(g, op, "tfc_max_pool2d_s8")


def _broadcast(g: Graph, op: Op, a: Tensor, b: Tensor, y: Tensor) -> dict:
    out = list(y.shape) or [1]
    if len(out) > MAX_DIMS:
        raise TfcError(f"{op.name} '{y.name}' has {len(out)} dimensions (max {MAX_DIMS})", "reshape first")

    def strides(t: Tensor) -> list[int]:
        shape = [1] * (len(out) - len(t.shape)) + list(t.shape)
        st, acc = [0] * len(out), 1
        for d in range(len(out) - 1, -1, -1):
            if shape[d] not in (1, out[d]):
                raise TfcError(f"{op.name} '{y.name}': shapes {list(a.shape)} and {list(b.shape)} do not "
                               "broadcast", "re-export the model")
            st[d] = 0 if shape[d] == 1 and out[d] != 1 else acc
            acc *= shape[d]
        return st

    s1, s2 = strides(a), strides(b)
    pad = MAX_DIMS - len(out)
    return dict(ndim=len(out), shape=out + [1] * pad, stride1=s1 + [0] * pad, stride2=s2 + [0] * pad)


def _binary_inputs(g: Graph, op: Op, int16_ok: bool = False) -> tuple[Tensor, Tensor, Tensor]:
    a, b, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    if not (int16_ok and a.dtype == b.dtype == y.dtype == "int16"):
        require_int8(g, op, [a, b, y])
    for t in (a, b):
        if t.is_const:
            raise TfcError(f"{op.name} '{y.name}': constant operand '{t.name}' is not supported yet",
                           "keep both operands as activations")
    return a, b, y


def _elementwise_overlap(a: Tensor, b: Tensor, y: Tensor) -> dict[int, int]:
    return {t.index: 0 for t in (a, b) if t.shape == y.shape}


def lower_add(g: Graph, op: Op) -> LoweredOp:
    """ADD: both inputs rescaled to a shared 2*max(scale) with a 20-bit left shift, then summed."""
    a, b, y = _binary_inputs(g, op, int16_ok=True)
    is16 = y.dtype == "int16"
    left_shift = 15 if is16 else 20
    twice_max = 2.0 * max(a.scale, b.scale)
    m1, s1 = quantize_multiplier(a.scale / twice_max)
    m2, s2 = quantize_multiplier(b.scale / twice_max)
    mo, so = quantize_multiplier(twice_max / ((1 << left_shift) * y.scale))
    amin, amax = activation_range(int(op.options.get("fused_activation_function", 0)), y.scale, y.zero_point,
                                  *((-32768, 32767) if is16 else (-128, 127)))
    fields = _broadcast(g, op, a, b, y) | dict(
        in1_offset=-a.zero_point, in2_offset=-b.zero_point, left_shift=left_shift, in1_mult=m1,
        in1_shift=s1, in2_mult=m2, in2_shift=s2, out_mult=mo, out_shift=so, out_zp=y.zero_point,
        act_min=amin, act_max=amax)
    if is16:
        return LoweredOp(op, "tfc_add_s16", "tfc_binary_params", fields, [a.index, b.index], [y.index],
                         overlap=_elementwise_overlap(a, b, y), in_ctypes=("int16_t",), out_ctype="int16_t")
    return LoweredOp(op, "tfc_add_s8", "tfc_binary_params", fields, [a.index, b.index], [y.index],
                     overlap=_elementwise_overlap(a, b, y))


def lower_mul(g: Graph, op: Op) -> LoweredOp:
    """MUL: (a - za) * (b - zb) rescaled by sa * sb / sy."""
    a, b, y = _binary_inputs(g, op)
    mo, so = quantize_multiplier(a.scale * b.scale / y.scale)
    amin, amax = activation_range(int(op.options.get("fused_activation_function", 0)), y.scale, y.zero_point)
    fields = _broadcast(g, op, a, b, y) | dict(
        in1_offset=-a.zero_point, in2_offset=-b.zero_point, left_shift=0, in1_mult=0, in1_shift=0,
        in2_mult=0, in2_shift=0, out_mult=mo, out_shift=so, out_zp=y.zero_point, act_min=amin, act_max=amax)
    return LoweredOp(op, "tfc_mul_s8", "tfc_binary_params", fields, [a.index, b.index], [y.index],
                     overlap=_elementwise_overlap(a, b, y))


def lower_softmax(g: Graph, op: Op) -> LoweredOp:
    """SOFTMAX int8 -> int8 (output scale 1/256, zero point -128) along the last axis."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    require_int8(g, op, [x, y])
    if abs(y.scale - 1.0 / 256) > 1e-9 or y.zero_point != -128:
        raise TfcError(f"SOFTMAX '{y.name}': output quantisation must be scale 1/256, zero point -128",
                       "re-convert with the TFLite converter (it fixes the softmax output range)")
    beta = float(op.options.get("beta", 1.0))
    real = min(beta * x.scale * (1 << (31 - 5)), float((1 << 31) - 1))
    mult, left = quantize_multiplier_gt_one(real)
    radius = math.floor(((1 << 5) - 1) * (1 << (31 - 5)) / (1 << left))
    depth = x.shape[-1] if x.shape else 1
    fields = dict(outer=x.elements // depth, depth=depth, input_mult=mult, input_left_shift=left,
                  diff_min=-int(radius))
    return LoweredOp(op, "tfc_softmax_s8", "tfc_softmax_params", fields, [x.index], [y.index],
                     overlap={x.index: 0})


def lower_reshape(g: Graph, op: Op) -> LoweredOp:
    """RESHAPE/SQUEEZE/EXPAND_DIMS: the output aliases the input (a copy only if the plan needs it)."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.is_const:
        raise TfcError(f"{op.name} '{y.name}' reshapes a constant", "fold constants before converting")
    if x.nbytes != y.nbytes:
        raise TfcError(f"{op.name} '{y.name}': {x.nbytes} bytes in, {y.nbytes} out", "re-export the model")
    return LoweredOp(op, "tfc_copy_bytes", None, {}, [x.index], [y.index], alias=True,
                     in_ctypes=("void",), out_ctype="void", extra_args=(str(x.nbytes),))


def lower_mean(g: Graph, op: Op) -> LoweredOp:
    """MEAN over constant axes: sum / count when quantisation is unchanged, else TFLM's
    QuantizedMeanOrSum rescaling (multiplier pre-divided by the count)."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    require_int8(g, op, [x, y])
    axes_t = g.t(op.inputs[1])
    if not axes_t.is_const:
        raise TfcError(f"MEAN '{y.name}': axes must be constant", "use fixed reduction axes")
    nd = len(x.shape)
    if nd > MAX_DIMS:
        raise TfcError(f"MEAN '{y.name}' has {nd} dimensions (max {MAX_DIMS})", "reshape first")
    axes = sorted({int(a) % nd for a in axes_t.data.reshape(-1)}) if nd else []
    strides = [int(math.prod(x.shape[d + 1:])) for d in range(nd)]
    kept = [d for d in range(nd) if d not in axes]
    count = int(math.prod(x.shape[d] for d in axes))
    if count == 0:
        raise TfcError(f"MEAN '{y.name}' reduces an empty axis", "re-export the model")
    pad = [0] * MAX_DIMS
    fields = dict(k_ndim=len(kept), k_shape=([x.shape[d] for d in kept] + pad)[:MAX_DIMS],
                  k_stride=([strides[d] for d in kept] + pad)[:MAX_DIMS], r_ndim=len(axes),
                  r_shape=([x.shape[d] for d in axes] + pad)[:MAX_DIMS],
                  r_stride=([strides[d] for d in axes] + pad)[:MAX_DIMS], count=count)
    if x.zero_point == y.zero_point and x.scale == y.scale:
        fields.update(requantize=0, in_zp=0, mult=0, shift=0, out_zp=0)
    else:
        mult, shift = quantize_multiplier(x.scale / y.scale)
        n_shift = min(count.bit_length() - 1, 32, 31 + shift)
        mult = int((mult << n_shift) // count) if n_shift >= 0 else int((mult >> -n_shift) // count)
        fields.update(requantize=1, in_zp=x.zero_point, mult=mult, shift=shift - n_shift, out_zp=y.zero_point)
    return LoweredOp(op, "tfc_mean_s8", "tfc_mean_params", fields, [x.index], [y.index])
