"""QUANTIZE / DEQUANTIZE: float32 model inputs and outputs around an int8 graph."""

from __future__ import annotations

import numpy as np

from tfcompress.engine.ir import Graph, Op
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.ops.activations import lower_requantize
from tfcompress.errors import TfcError


def lower_quantize(g: Graph, op: Op) -> LoweredOp:
    """QUANTIZE float32 -> int8 (roundf(x / scale) + zp) or int8 -> int8 requantisation."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype == "int8" and y.dtype == "int8":
        return lower_requantize(g, op)
    if x.dtype != "float32" or y.dtype != "int8" or y.per_channel:
        raise TfcError(f"QUANTIZE '{y.name}' from {x.dtype} to {y.dtype} is not supported",
                       "use float32 -> int8 or int8 -> int8 (convert with --mode int8)")
    fields = dict(n=x.elements, zero_point=y.zero_point, scale=float(np.float32(y.scale)))
    return LoweredOp(op, "tfc_quantize_f32_s8", "tfc_quantize_params", fields, [x.index], [y.index],
                     overlap={x.index: 0}, in_ctypes=("float",))


def lower_dequantize(g: Graph, op: Op) -> LoweredOp:
    """DEQUANTIZE int8 -> float32: a table of (float)(scale * (q - zp)) computed in double."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype != "int8" or y.dtype != "float32":
        raise TfcError(f"DEQUANTIZE '{y.name}' from {x.dtype} to {y.dtype} is not supported",
                       "use int8 -> float32")
    q = np.arange(-128, 128, dtype=np.float64)
    lut = (np.float64(x.scale) * (q - x.zero_point)).astype(np.float32)
    arr = ConstArray(f"op{op.index}_lut", lut)
    return LoweredOp(op, "tfc_dequantize_s8_f32", None, {}, [x.index], [y.index], [arr],
                     overlap={x.index: -3 * x.elements}, out_ctype="float", pre_args=(arr.name,),
                     extra_args=(str(x.elements),))
