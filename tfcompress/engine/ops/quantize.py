"""QUANTIZE / DEQUANTIZE: float32 model edges and conversions between integer types.

QUANTIZE float32 -> int8 / uint8 / int16 is TFLM's AffineQuantize (``roundf(x / scale) + zp``
in float32); between integer types it is TFLM's Requantize (a table when both sides are 8-bit,
``tfc_rescale`` otherwise). DEQUANTIZE computes ``(float)(double(scale) * (q - zp))``: a table for
8-bit inputs, and for int16 the float32 product ``(float)(q - zp) * scale``, which is the same
number (the double product of a float and a 17-bit integer is exact, so both round it once).
"""

from __future__ import annotations

import numpy as np

from tfcompress.engine.ir import Graph, Op
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.ops.activations import RANGES, lower_requantize
from tfcompress.engine.ops.common import out_name
from tfcompress.errors import TfcError

#: QUANTIZE integer conversions TFLM runs (and uint8 -> uint8, which TFLite's reference kernel runs)
_REQUANTIZE = {("int8", "int8"), ("int8", "uint8"), ("uint8", "int8"), ("uint8", "uint8"), ("int8", "int16"),
               ("int8", "int32"), ("int16", "int8"), ("int16", "int16"), ("int16", "int32"), ("int32", "int8"),
               ("int32", "int16")}
_FROM_FLOAT = {"int8": "tfc_quantize_f32_s8", "uint8": "tfc_quantize_f32_u8", "int16": "tfc_quantize_f32_s16"}
_OUT_CTYPE = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t"}


def lower_quantize(g: Graph, op: Op) -> LoweredOp:
    """QUANTIZE float32 -> int8/uint8/int16, or a requantisation between integer types."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if y.per_channel:
        raise TfcError(f"QUANTIZE '{y.name}': per-channel output quantisation is not supported",
                       "quantise activations per tensor (the converter's default)")
    if (x.dtype, y.dtype) in _REQUANTIZE:
        return lower_requantize(g, op)
    if x.dtype != "float32" or y.dtype not in _FROM_FLOAT:
        raise TfcError(f"QUANTIZE '{y.name}' from {x.dtype} to {y.dtype} is not supported (TFLM has no kernel "
                       "for it)", "convert with int8 or int16x8 quantisation and float32/int8/uint8 model I/O")
    lo, hi = RANGES[y.dtype]
    fields = dict(n=x.elements, zero_point=y.zero_point, scale=float(np.float32(y.scale)), qmin=lo, qmax=hi)
    return LoweredOp(op, _FROM_FLOAT[y.dtype], "tfc_quantize_params", fields, [x.index], [y.index],
                     overlap={x.index: 0}, in_ctypes=("float",), out_ctype=_OUT_CTYPE[y.dtype])


def lower_dequantize(g: Graph, op: Op) -> LoweredOp:
    """DEQUANTIZE int8/uint8 (a table of (float)(scale * (q - zp)) computed in double) or int16
    (the float32 product, identical) -> float32."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if y.dtype != "float32" or x.dtype not in ("int8", "uint8", "int16") or x.per_channel:
        raise TfcError(f"DEQUANTIZE '{out_name(g, op)}' from {x.dtype} to {y.dtype} is not supported",
                       "use int8, uint8 or int16 (per-tensor) -> float32")
    overlap = {x.index: -3 * x.elements if x.dtype != "int16" else -2 * x.elements}
    if x.dtype == "int16":
        fields = dict(n=x.elements, zero_point=x.zero_point, scale=float(np.float32(x.scale)), qmin=0, qmax=0)
        return LoweredOp(op, "tfc_dequantize_s16_f32", "tfc_quantize_params", fields, [x.index], [y.index],
                         overlap=overlap, in_ctypes=("int16_t",), out_ctype="float")
    i = np.arange(256, dtype=np.int64)
    q = i ^ 0x80 if x.dtype == "uint8" else i - 128  # entry i serves the byte i ^ 0x80 (read as int8)
    lut = (np.float64(np.float32(x.scale)) * (q - x.zero_point).astype(np.float64)).astype(np.float32)
    arr = ConstArray(f"op{op.index}_lut", lut)
    return LoweredOp(op, "tfc_dequantize_s8_f32", None, {}, [x.index], [y.index], [arr],
                     overlap=overlap, out_ctype="float", pre_args=(arr.name,), extra_args=(str(x.elements),))
