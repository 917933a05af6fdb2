"""Lowering of BATCH_MATMUL (int8 and int16): adj_x / adj_y and broadcast batch dimensions become
element strides; either operand may be an activation or a constant (a flash array)."""

from __future__ import annotations

import numpy as np

from tfcompress.engine.ir import Graph, Op
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.ops.common import out_name
from tfcompress.engine.quant import quantize_multiplier
from tfcompress.errors import TfcError

_TYPES = {"int8": ("int8_t", "tfc_batch_matmul_s8", -128, 127),
          "int16": ("int16_t", "tfc_batch_matmul_s16", -32768, 32767)}


def _strides(shape: tuple[int, ...]) -> list[int]:
    out, acc = [], 1
    for d in reversed(shape):
        out.append(acc)
        acc *= d
    return out[::-1]


def lower_batch_matmul(g: Graph, op: Op) -> LoweredOp:
    """BATCH_MATMUL: ranks 2 to 5, batch dimensions broadcast as TFLM does, per-tensor scales."""
    a, b, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    name = out_name(g, op)
    if not (a.dtype == b.dtype == y.dtype) or a.dtype not in _TYPES:
        raise TfcError(f"BATCH_MATMUL '{name}': operands {a.dtype} x {b.dtype} -> {y.dtype}; the engine "
                       "multiplies int8 x int8 -> int8 and int16 x int16 -> int16",
                       "convert with int8 or 16x8 full integer quantisation")
    ctype, kernel, qmin, qmax = _TYPES[a.dtype]
    if not (2 <= len(a.shape) <= 5 and 2 <= len(b.shape) <= 5):
        raise TfcError(f"BATCH_MATMUL '{name}': operands of rank {len(a.shape)} and {len(b.shape)} "
                       "(TFLM supports 2 to 5)", "reshape the operands before the matmul")
    if a.dtype == "int16" and (a.zero_point or b.zero_point or y.zero_point):
        raise TfcError(f"BATCH_MATMUL '{name}': int16 operands need zero point 0", "re-convert 16x8")
    adj_x, adj_y = bool(op.options.get("adj_x")), bool(op.options.get("adj_y"))
    rank = max(len(a.shape), len(b.shape))
    sa = (1,) * (5 - len(a.shape)) + tuple(a.shape)
    sb = (1,) * (5 - len(b.shape)) + tuple(b.shape)
    rows, depth = (sa[4], sa[3]) if adj_x else (sa[3], sa[4])
    depth_b, cols = (sb[4], sb[3]) if adj_y else (sb[3], sb[4])
    batch = []
    for da, db in zip(sa[:3], sb[:3], strict=True):
        if da != db and 1 not in (da, db):
            raise TfcError(f"BATCH_MATMUL '{name}': batch dimensions {list(a.shape)} and {list(b.shape)} "
                           "do not broadcast", "re-export the model")
        batch.append(max(da, db))
    want = tuple(batch[3 - (rank - 2):]) + (rows, cols)
    if depth != depth_b or int(np.prod(y.shape)) != int(np.prod(want)):
        raise TfcError(f"BATCH_MATMUL '{name}': {list(a.shape)} x {list(b.shape)} (adj_x={adj_x}, "
                       f"adj_y={adj_y}) does not give {list(y.shape)}", "re-export the model")
    ta, tb = _strides(sa), _strides(sb)
    a_batch = [0 if sa[i] == 1 else ta[i] for i in range(3)]
    b_batch = [0 if sb[i] == 1 else tb[i] for i in range(3)]
    a_row, a_depth = (1, ta[3]) if adj_x else (ta[3], 1)
    b_depth, b_col = (1, tb[3]) if adj_y else (tb[3], 1)
    mult, shift = quantize_multiplier(float(a.scale) * float(b.scale) / float(y.scale))
    fields = dict(batch=batch, a_batch=a_batch, b_batch=b_batch, rows=rows, cols=cols, depth=depth,
                  a_row=a_row, a_depth=a_depth, b_depth=b_depth, b_col=b_col, a_zp=a.zero_point,
                  b_zp=b.zero_point, mult=mult, shift=shift, out_zp=y.zero_point, act_min=qmin, act_max=qmax)
    return LoweredOp(op, kernel, "tfc_batch_matmul_params", fields, [a.index, b.index], [y.index],
                     in_ctypes=(ctype,), out_ctype=ctype)
