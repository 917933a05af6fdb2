"""Lowering of comparisons (EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL -> bool),
logical ops (LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT) and SELECT / SELECT_V2, with the broadcasting of
:mod:`tfcompress.engine.ops.elementwise`.

Quantised comparisons reproduce TFLM's Prepare exactly: int8 inputs are compared after
``(v - zero_point) << 8`` times the input's scale (as a Q31 multiplier below one), which is not
always numpy's order of the real values. TFLM's GREATER also takes int16, but its Prepare fills
the rescaling parameters for int8 only: int16 operands are rescaled with the parameters' initial
memory, zero in a fresh arena (a device's static arena, the oracle's zeroed one), so every int16
GREATER is false in TFLM, and so it is here. TFLM has no other int16 comparison; TFLite's
reference kernels (the oracle then) rescale int16 EQUAL / NOT_EQUAL like int8 and compare the raw
values of the others.
"""

from __future__ import annotations

from tfcompress.engine.ir import Graph, Op, Tensor, element_size
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.ops.common import out_name
from tfcompress.engine.ops.elementwise import (
    BCAST_DIMS,
    CTYPE,
    SUFFIX,
    broadcast,
    broadcast_fields,
    common_dtype,
    multiplier_below_one,
    overlap_of,
)
from tfcompress.errors import TfcError

#: each comparison's result when a < b (bit 0), a == b (bit 1), a > b (bit 2)
ORDER_BITS = {"LESS": 0b001, "EQUAL": 0b010, "LESS_EQUAL": 0b011, "GREATER": 0b100, "NOT_EQUAL": 0b101,
              "GREATER_EQUAL": 0b110}

#: the identity rescaling: ((v << 0) * 2^30) * 2^1 / 2^31 == v exactly for |v| < 2^30
_IDENTITY = dict(left_shift=0, in1_mult=1 << 30, in1_shift=1, in2_mult=1 << 30, in2_shift=1)


def lower_comparison(g: Graph, op: Op) -> LoweredOp:
    """One comparison -> bool: int8 (TFLM's rescaling), int16, int32, bool (EQUAL and NOT_EQUAL);
    float32 comparisons are the float kernels' (ops/float32.py)."""
    a, b, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    allowed = ("int8", "int16", "int32") + (("bool",) if op.name in ("EQUAL", "NOT_EQUAL") else ())
    dt = common_dtype(g, op, [a, b], allowed)
    common_dtype(g, op, [y], ("bool",))
    fields = broadcast_fields(g, op, a, b, y) | dict(op=ORDER_BITS[op.name])
    if dt == "int8" or (dt == "int16" and op.name in ("EQUAL", "NOT_EQUAL")):
        m1, s1 = multiplier_below_one(g, op, a.scale)
        m2, s2 = multiplier_below_one(g, op, b.scale)
        fields |= dict(in1_offset=-a.zero_point, in2_offset=-b.zero_point, left_shift=8, in1_mult=m1,
                       in1_shift=s1, in2_mult=m2, in2_shift=s2)
    elif dt == "int16" and op.name != "GREATER":
        fields |= _IDENTITY
    # int16 GREATER: TFLM's zero rescaling parameters (see the module docstring); the fields stay 0
    return LoweredOp(op, f"tfc_compare_{SUFFIX[dt]}", "tfc_binary_params", fields, [a.index, b.index], [y.index],
                     overlap=overlap_of([a, b], y), in_ctypes=(CTYPE[dt],), out_ctype="uint8_t")


def lower_logical_binary(g: Graph, op: Op) -> LoweredOp:
    """LOGICAL_AND / LOGICAL_OR of bool tensors, broadcasting."""
    a, b, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    common_dtype(g, op, [a, b, y], ("bool",))
    kernel = "tfc_logical_and" if op.name == "LOGICAL_AND" else "tfc_logical_or"
    return LoweredOp(op, kernel, "tfc_binary_params", broadcast_fields(g, op, a, b, y), [a.index, b.index],
                     [y.index], overlap=overlap_of([a, b], y), in_ctypes=("uint8_t",), out_ctype="uint8_t")


def lower_logical_not(g: Graph, op: Op) -> LoweredOp:
    """LOGICAL_NOT of a bool tensor."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    common_dtype(g, op, [x, y], ("bool",))
    return LoweredOp(op, "tfc_logical_not", None, {}, [x.index], [y.index], overlap=overlap_of([x], y),
                     in_ctypes=("uint8_t",), out_ctype="uint8_t", extra_args=(str(y.elements),))


def _select_condition(g: Graph, op: Op, c: Tensor, x: Tensor) -> Tensor:
    """SELECT (v1) takes a scalar or rank-1 condition indexing x's first dimension: as a shape
    that broadcasts the same way."""
    if op.name == "SELECT_V2" or c.shape == x.shape or len(c.shape) == 0:
        return c
    if len(c.shape) == 1 and x.shape and c.shape[0] == x.shape[0]:
        return Tensor(c.index, c.name, (c.shape[0],) + (1,) * (len(x.shape) - 1), c.dtype)
    raise TfcError(f"SELECT '{out_name(g, op)}': condition shape {list(c.shape)} is neither x's shape "
                   f"{list(x.shape)} nor rank 1 over its first dimension", "re-export the model")


def lower_select(g: Graph, op: Op) -> LoweredOp:
    """SELECT / SELECT_V2: cond ? x : y element by element (raw values, as TFLM: x, y and the
    output share one quantisation), any element type of 1, 2 or 4 bytes."""
    c, x, yv, out = (g.t(i) for i in (*op.inputs[:3], op.outputs[0]))
    common_dtype(g, op, [c], ("bool",))
    common_dtype(g, op, [x, yv, out], ("int8", "int16", "int32", "float32", "bool"))
    shape, (sc, sx, sy) = broadcast(g, op, [_select_condition(g, op, c, x), x, yv], out)
    pad = BCAST_DIMS - len(shape)
    fields = dict(ndim=len(shape), shape=shape + [1] * pad, stride_c=sc + [0] * pad, stride_x=sx + [0] * pad,
                  stride_y=sy + [0] * pad, elem_size=element_size(out.dtype))
    return LoweredOp(op, "tfc_select", "tfc_select_params", fields, [c.index, x.index, yv.index], [out.index],
                     overlap=overlap_of([c, x, yv], out), in_ctypes=("uint8_t", "void", "void"), out_ctype="void")
