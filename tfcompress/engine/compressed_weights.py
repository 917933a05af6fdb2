"""Per weight layer, the smallest exact encoding of its weights that the active preference allows
(``weight_policy.py``: flash against speed): int8 as converted, 4-bit indices + codebooks
(clustered layers, ``weights4.py``), a bitmap + non-zero values (pruned layers,
``weights_sparse.py``) or 2:4 values + positions (structured-pruned CONV_2D, ``weights_24.py``). The compressed kernels decode to the same int8 weights, so results are
identical. Under a preference with ``speed_elasticity`` (balanced), :func:`keep_fast` then returns
layers whose compressed kernel would miss its speed goal to int8 where that pays for its flash,
counting the kernel code each choice links (``storage_cost.py``)."""

from __future__ import annotations

from typing import Any

from tfcompress.engine import storage_cost, weight_policy, weights4, weights_24, weights_sparse
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
    """Every op of ``lowered``, weight layers stored compressed where that saves flash; given the
    active kernel set (``weight_policy.current_kset``) and a preference that counts code
    (``weight_policy.Preference.count_code``), the smallest flash with the kernel code each choice
    links (:func:`least_flash`), then slow layers back in int8 where the speed rule says so
    (:func:`keep_fast`)."""
    chosen = [compress_op(lo, force) for lo in lowered]
    kset = weight_policy.current_kset()
    if force or kset is None or not weight_policy.current().count_code or not _Flash.measured(kset):
        return chosen
    fl = _Flash(kset)
    return keep_fast(lowered, least_flash(lowered, chosen, fl), fl)


_STORAGE = (("_2of4", "2of4"), ("_w4", "w4"), ("_sp", "sp"))


def _storage(kernel: str) -> str:
    return next((kind for suffix, kind in _STORAGE if kernel.endswith(suffix)), "int8")


def encoded(lo: LoweredOp) -> LoweredOp | None:
    """``lo``'s smallest compressed storage the preference allows, even where it is larger than int8
    unless the preference asks for a least saving (``min_saving``; None: no such form)."""
    if (lo.kernel not in WEIGHT_KERNELS or lo.struct is None or "rq" in lo.fields
            or not isinstance(lo.fields.get("weights"), ConstArray) or weight_policy.current().min_saving > 0):
        return None
    forms = []
    if weight_policy.allowed(lo.kernel, "w4") and (enc := weights4.encode(lo)) is not None:
        forms.append((enc.nbytes, 1, lambda e=enc: weights4.w4_op(lo, e)))
    if weight_policy.allowed(lo.kernel, "sp") and (sp := weights_sparse.encode(lo)) is not None:
        forms.append((sp.nbytes, 2, lambda e=sp: weights_sparse.sparse_op(lo, e)))
    if (weight_policy.allowed(lo.kernel, "2of4") and (s24 := weights_24.encode(lo)) is not None
            and _blocks_pay(lo)):
        forms.append((s24.nbytes, 0, lambda e=s24: weights_24.op_2of4(lo, e)))
    return min(forms, key=lambda f: f[:2])[2]() if forms else None


class _Flash:
    """Flash of a choice of storages: the constant arrays and the kernel code they link, as the
    kernel set prepares them (``storage_cost.py``; code at the preference's compiler level)."""

    def __init__(self, kset: Any) -> None:
        from tfcompress.engine.optimize import opt_level

        self.kset = kset
        self.opt = opt_level(weight_policy.current_names()[0])
        self._final: dict[int, LoweredOp] = {}

    @staticmethod
    def measured(kset: Any) -> bool:
        return getattr(kset, "name", None) in storage_cost.MEASURED

    def final(self, lo: LoweredOp) -> LoweredOp:
        """``lo`` as the kernel set runs it (cached per op object)."""
        if id(lo) not in self._final:
            self._final[id(lo)] = self.kset.specialize([lo])[0]
        return self._final[id(lo)]

    def code(self, ops: list[LoweredOp]) -> int:
        return storage_cost.code_bytes((self.final(lo).kernel for lo in ops), self.opt)

    def __call__(self, ops: list[LoweredOp]) -> int:
        return storage_cost.weight_bytes(self.final(lo) for lo in ops) + self.code(ops)


def least_flash(dense: list[LoweredOp], chosen: list[LoweredOp], flash: _Flash) -> list[LoweredOp]:
    """``chosen`` with int8 layers moved to their compressed storage (:func:`encoded`, even where its
    weights are larger) where that lowers the flash with the kernel code: all layers of one dense
    kernel at once (its code then goes: a tiny 1x1 conv left int8 among decoding layers links ~10 KB
    of dense conv code at -O2), then one at a time. Compressed layers stay (:func:`keep_fast` weighs
    the way back)."""
    alt = {k: e for k, (d, c) in enumerate(zip(dense, chosen, strict=True))
           if c is d and (e := encoded(d)) is not None}
    cur = list(chosen)
    groups: dict[str, list[int]] = {}
    for k in alt:
        groups.setdefault(flash.final(cur[k]).kernel, []).append(k)
    for group in [*groups.values(), *([k] for k in alt)]:
        trial = [alt[k] if k in group else lo for k, lo in enumerate(cur)]
        if flash(trial) < flash(cur):
            cur = trial
    return cur


def keep_fast(dense: list[LoweredOp], chosen: list[LoweredOp], flash: _Flash) -> list[LoweredOp]:
    """``chosen`` with the layers whose compressed kernel is predicted slower than its goal
    (``weight_policy.GOALS``; instructions from ``storage_cost.INSTRUCTIONS``, after the kernel set's
    preparation) back in int8, one at a time, the best first: those that add no flash, then those
    whose share of the weight layers' instructions saved is at least ``speed_elasticity`` times the
    share of flash (weights + the kernel code they link) they add; never above the flash of the
    model all in int8."""
    pref = weight_policy.current()
    if pref.speed_elasticity is None:
        return chosen
    slow: dict[int, float] = {}  # layer -> instructions its int8 form saves
    for k, (d, c) in enumerate(zip(dense, chosen, strict=True)):
        goal = weight_policy.GOALS.get(_storage(c.kernel))
        if c is d or goal is None:
            continue
        td, tc = storage_cost.instructions(flash.final(d)), storage_cost.instructions(flash.final(c))
        if td is not None and tc is not None and tc > goal * td:
            slow[k] = tc - td
    if not slow:
        return chosen
    most = flash(dense)  # the model all in int8
    total = sum(t for lo in chosen if (t := storage_cost.instructions(flash.final(lo))) is not None) or 1.0
    cur = list(chosen)
    while True:
        base = flash(cur)
        best: tuple[float, int] | None = None
        for k, saved in slow.items():
            if cur[k] is dense[k]:
                continue
            trial = [dense[i] if i == k else lo for i, lo in enumerate(cur)]
            added = flash(trial) - base
            if added > 0 and flash(trial) > most:
                continue
            worth = float("inf") if added <= 0 else (saved / total) / (added / base)
            if worth >= pref.speed_elasticity and (best is None or worth > best[0]):
                best = (worth, k)
        if best is None:
            return cur
        cur[best[1]] = dense[best[1]]
