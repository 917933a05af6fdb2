"""How device outputs are compared with the host oracle.

Integer outputs must be identical: 0 differing elements, always, for both runtimes. Float outputs
of the engine are exact too (its float results come from tables the host computes). Float outputs
of TensorFlow Lite Micro's float kernels on a Cortex-M are not bit-identical to the same TFLM
code on the x86 host: the device fuses multiply-adds (VFMA) and sums in another order, so they
count as equal within :data:`FLOAT_TOLERANCE`, and the largest difference is reported beside it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: |device - host| <= atol + rtol * |host| for float outputs of the TFLM runtime
FLOAT_TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}


def tolerance_for(runtime: str) -> dict[str, float] | None:
    """The float tolerance of a runtime (None: exact)."""
    return dict(FLOAT_TOLERANCE) if runtime == "tflm" else None


def same_elements(a: np.ndarray, b: np.ndarray, tolerance: dict[str, float] | None = None) -> np.ndarray:
    """Element-wise agreement of ``a`` (device) with ``b`` (host): NaN equals NaN; floats within
    ``tolerance`` when given, else exactly; integers exactly."""
    a, b = np.asarray(a), np.asarray(b).reshape(np.shape(a))
    same = a == b
    if a.dtype.kind == "f":
        same |= np.isnan(a) & np.isnan(b)
        if tolerance is not None:
            with np.errstate(invalid="ignore"):
                diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
                same |= diff <= tolerance["atol"] + tolerance["rtol"] * np.abs(b.astype(np.float64))
    return same


def max_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Largest |a - b| over elements that are not both NaN (0 for empty arrays)."""
    a, b = np.asarray(a), np.asarray(b).reshape(np.shape(a))
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        both_nan = np.isnan(a64) & np.isnan(b64)
        with np.errstate(invalid="ignore"):  # inf - inf where both are inf: masked by the equality
            diff = np.where(both_nan | (a64 == b64), 0.0, np.abs(a64 - b64))
        return float(np.nan_to_num(diff, nan=np.inf).max(initial=0.0))
    return float(np.abs(a.astype(np.int64) - b.astype(np.int64)).max(initial=0))


def describe(tolerance: dict[str, Any] | None) -> str:
    """Human form of a tolerance ("exact" for None)."""
    if tolerance is None:
        return "exact"
    return f"|device - host| <= {tolerance['atol']:g} + {tolerance['rtol']:g} * |host| (float outputs)"
