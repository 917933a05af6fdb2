"""Per weight layer, the smallest exact encoding of its weights that the active preference allows
(``weight_policy.py``: flash against speed): int8 as converted, 4-bit indices + codebooks
(clustered layers, ``weights4.py``) or a bitmap + non-zero values (pruned layers,
``weights_sparse.py``). The compressed kernels decode to the same int8 weights, so results are
identical."""

from __future__ import annotations

from tfcompress.engine import weight_policy, weights4, weights_sparse
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.weights import WEIGHT_KERNELS


def compress_op(lo: LoweredOp, force: bool = False) -> LoweredOp:
    """``lo`` with its weights in the smallest of int8, 4-bit indices + codebooks and sparse
    bitmap + non-zero values that the active preference allows (:mod:`weight_policy`); ``force``:
    4-bit whenever eligible."""
    if (lo.kernel not in WEIGHT_KERNELS or lo.struct is None or "rq" in lo.fields
            or not isinstance(lo.fields.get("weights"), ConstArray)):
        return lo  # not a weight layer, or already re-laid out for the optimised kernels
    old = lo.fields["weights"]
    enc = weights4.encode(lo)
    if enc is not None and not force and not weight_policy.allowed(lo.kernel, "w4"):
        enc = None
    sparse = weights_sparse.encode(lo) if force or weight_policy.allowed(lo.kernel, "sp") else None
    if not force and sparse is not None and sparse.nbytes < min(old.nbytes, enc.nbytes if enc is not None
                                                                 else old.nbytes):
        return weights_sparse.sparse_op(lo, sparse)
    if enc is None or (not force and enc.nbytes >= old.nbytes):
        return lo
    return weights4.w4_op(lo, enc)


def compress_ops(lowered: list[LoweredOp], force: bool = False) -> list[LoweredOp]:
    """Every op of ``lowered``, weight layers stored compressed where that saves flash."""
    return [compress_op(lo, force) for lo in lowered]
