"""Lowering of element-wise binary ops with broadcasting: ADD, MUL (int8; ADD also int16)."""

from __future__ import annotations

from tfcompress.engine.ir import Graph, Op, Tensor
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.ops.common import MAX_DIMS, require_int8
from tfcompress.engine.quant import activation_range, quantize_multiplier
from tfcompress.errors import TfcError


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
