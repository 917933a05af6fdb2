"""Per weight layer, the smallest exact encoding of its weights that the active preference allows
(``weight_policy.py``: flash against speed): int8 as converted, 4-bit indices + codebooks
(clustered layers, ``weights4.py``), a bitmap + non-zero values (pruned layers,
``weights_sparse.py``) or 2:4 values + positions (structured-pruned CONV_2D, ``weights_24.py``). The compressed kernels decode to the same int8 weights, so results are
identical."""

from __future__ import annotations

from tfcompress.engine import weight_policy, weights4, weights_24, weights_sparse
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.optimized.decoded import block_channels
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
    s24 = weights_24.encode(lo) if not force and weight_policy.allowed(lo.kernel, "2of4") else None
    if s24 is not None and not _blocks_pay(lo):
        s24 = None  # in small blocks the 2:4 kernel re-expands its windows too often: sparse is faster there
    if not force:  # too small a saving for a slower kernel (the preference's min_saving)
        least = old.nbytes - weight_policy.current().min_saving
        enc, sparse, s24 = (e if e is not None and e.nbytes <= least else None for e in (enc, sparse, s24))
    if s24 is not None and s24.nbytes < old.nbytes and all(
            e is None or s24.nbytes <= e.nbytes for e in (enc, sparse)):
        return weights_24.op_2of4(lo, s24)
    if not force and sparse is not None and sparse.nbytes < min(old.nbytes, enc.nbytes if enc is not None
                                                                 else old.nbytes):
        return weights_sparse.sparse_op(lo, sparse)
    if enc is None or (not force and enc.nbytes >= old.nbytes):
        return lo
    return weights4.w4_op(lo, enc)


#: fewest channels per block (under the decoding budget) for which 2:4 beats sparse: each block expands
#: the windows again (ResNet-8, mps2-an500: blocks of 16-32 channels 0.71-0.73x dense, sparse 1.16-1.40x)
MIN_BLOCK_24 = 8


def _blocks_pay(lo: LoweredOp) -> bool:
    """Whether the optimised decoding conv holds all of ``lo``'s channels, or at least
    :data:`MIN_BLOCK_24`, in one block."""
    f = lo.fields
    kp = (int(f["k_h"]) * int(f["k_w"]) * int(f["in_c"]) + 3) // 4 * 4
    return block_channels(int(f["out_c"]), kp) >= min(int(f["out_c"]), MIN_BLOCK_24)


def compress_ops(lowered: list[LoweredOp], force: bool = False) -> list[LoweredOp]:
    """Every op of ``lowered``, weight layers stored compressed where that saves flash."""
    return [compress_op(lo, force) for lo in lowered]
