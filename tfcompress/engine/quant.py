"""Host-side quantisation arithmetic (the same formulas TFLite Micro uses at prepare time)."""

from __future__ import annotations

import math

import numpy as np

from tfcompress.errors import TfcError

INT8_MIN, INT8_MAX = -128, 127


def round_away(x: float) -> int:
    """Round half away from zero (C's ``round``)."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def quantize_multiplier(m: float) -> tuple[int, int]:
    """Q31 multiplier and power-of-two shift (> 0 is left) with ``m ≈ q * 2^shift / 2^31``."""
    if m == 0.0:
        return 0, 0
    q, shift = math.frexp(m)
    q_fixed = round_away(q * (1 << 31))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if q_fixed > 2**31 - 1:
        raise TfcError(f"quantisation multiplier {m} is out of range", "re-quantise the model")
    return int(q_fixed), int(shift)


def quantize_multiplier_gt_one(m: float) -> tuple[int, int]:
    """QuantizeMultiplierGreaterThanOne: the shift must come out non-negative."""
    q, shift = quantize_multiplier(m)
    if shift < 0:
        raise TfcError(f"multiplier {m} is below one", "re-quantise the model")
    return q, shift


def f32(x: float) -> np.float32:
    return np.float32(x)


def activation_range(act: int, scale: float, zero_point: int, qmin: int = INT8_MIN,
                     qmax: int = INT8_MAX) -> tuple[int, int]:
    """Clamp range for a fused activation (NONE=0, RELU=1, RELU_N1_TO_1=2, RELU6=3)."""

    def quant(f: float) -> int:
        return zero_point + round_away(float(f32(f) / f32(scale)))

    if act == 0:
        return qmin, qmax
    if act == 1:
        return max(qmin, quant(0.0)), qmax
    if act == 3:
        return max(qmin, quant(0.0)), min(qmax, quant(6.0))
    if act == 2:
        return max(qmin, quant(-1.0)), min(qmax, quant(1.0))
    raise TfcError(f"fused activation {act} (TANH/SIGN_BIT) is not supported",
                   "use RELU, RELU6 or no activation before quantising")


def same_padding(in_size: int, out_size: int, stride: int, filt: int, dilation: int) -> int:
    """Leading padding as TFLite computes it (0 for VALID)."""
    eff = (filt - 1) * dilation + 1
    pad = ((out_size - 1) * stride + eff - in_size) // 2
    return max(pad, 0)


def wrap_i32(values: np.ndarray) -> np.ndarray:
    """Wrap int64 values to int32 two's complement."""
    v = np.asarray(values, dtype=np.int64) & 0xFFFFFFFF
    return np.where(v >= 2**31, v - 2**32, v).astype(np.int32)
