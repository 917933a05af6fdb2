"""CONV_2D (and CONV_2D+ADD) with compressed weights for the optimised kernels
(``firmware/engine/optimized/conv2d_s8_dec_opt.c``): 4-bit indices + codebooks (``weights4.py``)
and bitmap + non-zero values (``weights_sparse.py``).

The kernels decode a block of output channels once per inference into their scratch, as pair codes
(``RQ_PAIR``, where exact: :func:`pair_codes_ok`; three pixels per pass, ``kp`` bytes per channel)
or in the dense im2col kernel's int16 layout (two pixels, ``2 kp`` bytes), and run the dense SMLAD
channel-pair loops on it; no weight is looked up in the inner loop. The host side here:

* 4-bit layers: indices re-laid out like the dense int8 weights (``[oc/2][K/4][2][4]``, two per
  byte), so one 32-bit load gives a channel pair's eight indices of a group of four positions;
  sparse layers keep their bitmap + values (channel order, read with one cursor); 2:4 layers
  (``weights_24.py``) their values + positions, decoded into value pairs + addresses of the
  matching input pairs (half the MACs of the dense layer).
* The rq table (``requant.py``) from the decoded weights, and in the header ``rq[1]`` = channels
  per block: the whole layer when its decoded weights fit the budget (:data:`BLOCK_BUDGET`),
  else equal blocks that do (windows are then rebuilt per block, so the input overlap is dropped); after
  planning, :func:`fit_blocks` shrinks blocks that raise the peak RAM.
"""

from __future__ import annotations

import numpy as np

from tfcompress.engine import weight_policy, weights_24
from tfcompress.engine.ir import Graph
from tfcompress.engine.kernel_limits import RQ_FAST, RQ_PAIR
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.optimized import fully_connected
from tfcompress.engine.optimized.add import tables_into_flash
from tfcompress.engine.optimized.requant import acc_bound, add_rq, pad_to, rq_table, trim
from tfcompress.engine.planner import Plan, best_plan, ram_with_stack
from tfcompress.engine.weights4 import codebooks, indices
from tfcompress.engine.weights_sparse import decode as sparse_rows

#: bytes of decoded weights a block may take in the scratch (whole layers up to this)
BLOCK_BUDGET = 16384
#: compressed kernel -> its optimised (decoding) kernel
DEC_KERNELS = {
    "tfc_conv2d_s8_w4": "tfc_conv2d_s8_dec_w4",
    "tfc_conv2d_add_s8_w4": "tfc_conv2d_add_s8_dec_w4",
    "tfc_conv2d_s8_sp": "tfc_conv2d_s8_dec_sp",
    "tfc_conv2d_add_s8_sp": "tfc_conv2d_add_s8_dec_sp",
    "tfc_conv2d_s8_dec_2of4": "tfc_conv2d_s8_dec_2of4",  # weights_24.py: only this set has them
    "tfc_conv2d_add_s8_dec_2of4": "tfc_conv2d_add_s8_dec_2of4",
}


def _kp(lo: LoweredOp) -> int:
    f = lo.fields
    return (int(f["k_h"]) * int(f["k_w"]) * int(f["in_c"]) + 3) // 4 * 4


def block_channels(out_c: int, kp: int, budget: int | None = None, pair_codes: bool = False) -> int:
    """Channels per block: even, at least two, the whole (even-padded) layer when its decoded weights
    (``2 kp`` bytes per channel, ``kp`` as pair codes) fit ``budget`` (default :data:`BLOCK_BUDGET`),
    else as few blocks as fit, of equal size (the last one may be smaller)."""
    budget = BLOCK_BUDGET if budget is None else budget
    ocp = (out_c + 1) // 2 * 2
    most = max(2, min(ocp, budget // (kp if pair_codes else 2 * kp) // 2 * 2))
    n = -(-ocp // most)
    return -(-ocp // n // 2 * 2) if n > 1 else ocp  # e.g. 32 channels of at most 28: 16 + 16


def pair_codes_ok(lo: LoweredOp, w: np.ndarray, rq: np.ndarray) -> bool:
    """Whether a 4-bit / sparse conv decodes into pair codes (``RQ_PAIR``: three pixels per pass,
    half the block RAM): fast requantisation, an even channel count, and the pair codes exact for
    the decoded weights ``w`` (:func:`fully_connected.pairs_ok`)."""
    if not int(rq[0]) & RQ_FAST or int(lo.fields["out_c"]) % 2 or lo.kernel.endswith("_2of4"):
        return False
    return fully_connected.pairs_ok(pad_to(w, _kp(lo), 1))


def decoded_rows(lo: LoweredOp) -> np.ndarray:
    """(out_c, K) int8: the weights a compressed conv decodes to (plain kernel order)."""
    f = lo.fields
    oc, k = int(f["out_c"]), int(f["k_h"]) * int(f["k_w"]) * int(f["in_c"])
    if lo.kernel.endswith("_w4"):
        idx = indices(lo)[:oc * k].reshape(oc, k).astype(np.int64)
        return np.take_along_axis(codebooks(lo, oc), idx, axis=1)
    if lo.kernel.endswith("_2of4"):
        return weights_24.decode(lo)
    return sparse_rows(lo)


def prepare(lo: LoweredOp, budget: int | None = None) -> LoweredOp:
    """A ``_w4`` / ``_sp`` CONV_2D (or CONV_2D+ADD) switched to its decoding kernel (see the module docstring)."""
    f = lo.fields
    oc, kp = int(f["out_c"]), _kp(lo)
    w = decoded_rows(lo)
    ocp = (oc + 1) // 2 * 2
    if lo.kernel.endswith("_w4"):  # indices in the dense layout, two per byte
        idx = indices(lo)[:w.size].reshape(w.shape)
        il = pad_to(pad_to(idx, kp, 1), ocp, 0).reshape(ocp // 2, 2, kp // 4, 4).transpose(0, 2, 1, 3).reshape(-1)
        lo.replace_array("weights", (il[0::2] | (il[1::2] << 4)).astype(np.uint8).view(np.int8))
    for name in ("mult", "shift"):  # the compressed op may have kept one shared pair
        arr = lo.array(name).data
        if arr.size != oc:
            lo.replace_array(name, np.repeat(arr[:1], oc).astype(np.int32))
    f["q_step"] = 1
    bias = lo.array("bias").data
    rq = rq_table(lo.array("mult").data, lo.array("shift").data, acc_bound(w, bias), bias, ~w.any(axis=1), ocp,
                  f["out_zp"])
    pc = pair_codes_ok(lo, w, rq)
    rq[0] |= RQ_PAIR if pc else 0
    blk = block_channels(oc, kp, budget, pc)
    rq[1] = blk
    add_rq(lo, rq)
    trim(lo)
    if blk < ocp:  # windows are read again for every block: the output must not overlap the input
        lo.overlap.pop(lo.inputs[0], None)
    add = lo.kernel.startswith("tfc_conv2d_add")
    lo.kernel = DEC_KERNELS[lo.kernel]
    lo.scratch = scratch(lo)  # the kernel set sized it before the block and the layout were known
    return tables_into_flash(lo) if add else lo


def scratch(lo: LoweredOp, budget: int | None = None, blk: int | None = None) -> int:
    """Two int16 windows (+ the gathered byte window when taps are not whole words), + a pixel
    pair's block results with a fused ADD, + one block of ``blk`` channels' decoded int16 weights
    (default: the block in ``rq[1]``, else as :func:`block_channels` for ``budget``). Pair codes:
    three windows, three pixels' block results, the block at ``kp`` bytes per channel."""
    f = lo.fields
    kp = _kp(lo)
    rq = f["rq"].data if "rq" in f else None
    pc = rq is not None and bool(int(rq[0]) & RQ_PAIR)
    if blk is None:
        blk = int(rq[1]) if rq is not None and int(rq[1]) > 0 else block_channels(int(f["out_c"]), kp, budget, pc)
    bytewise = int(f["in_c"]) % 4 != 0 or int(f["dil_w"]) != 1
    if pc:
        return 6 * kp + (kp if bytewise else 0) + (3 * blk + 3) // 4 * 4 + blk * kp
    if lo.kernel.endswith("_2of4"):  # four pixels: their results, expanded windows and the decoded block
        gp = (kp // 4 + 3) // 4 * 4  # decoded groups per channel: a multiple of four (8 bytes each)
        ns = slots_24(lo)
        win = 4 * int(f["k_h"]) * (int(f["in_c"]) // 4) * 6 * ns if ns else kp + 24 * kp
        return 4 * blk + 8 * blk * gp + win
    n = 4 * kp + (kp if bytewise else 0) + 2 * blk * kp
    if "add" in lo.kernel:
        n += (2 * blk + 3) // 4 * 4
    return n


def slots_24(lo: LoweredOp, most: int = 16) -> int:
    """Slots per pattern row of a 2:4 conv's column layout (conv2d_s8_dec_opt.c's lay24_of: per input
    column that four pixels of a row read, grouped by column mod stride; even), 0 where it does not
    apply (channels not in words, dilated columns, more than ``most`` slots)."""
    f = lo.fields
    s, kw = int(f["stride_w"]), int(f["k_w"])
    if int(f["in_c"]) % 4 or int(f["dil_w"]) != 1 or kw > most:
        return 0
    n = sum(4 + (kw - 1 - r) // s for r in range(min(s, kw)))
    n += n % 2
    return n if n <= most else 0


def with_block(lo: LoweredOp, blk: int) -> LoweredOp:
    """A decoding conv with ``blk`` channels per block (scratch and rq header to match)."""
    new = lo.copy()
    rq = new.array("rq").data.copy()
    rq[1] = blk
    new.replace_array("rq", rq)
    new.scratch = scratch(new, blk=blk)
    if blk < (int(new.fields["out_c"]) + 1) // 2 * 2:
        new.overlap.pop(new.inputs[0], None)
    return new


def _blocks(lo: LoweredOp) -> list[int]:
    """Candidate block sizes of a decoding conv, largest first: its current one, halved down to 2."""
    out, b = [], int(lo.array("rq").data[1])
    while b > 2:
        out.append(b)
        b = max(2, b // 2 // 2 * 2)
    return [*out, 2]


def fit_blocks(g: Graph, lowered: list[LoweredOp], plan: Plan, bare: Plan,
               overlap: bool = True) -> tuple[list[LoweredOp], Plan]:
    """Where the decoding convs' scratch raises the peak RAM above the tensors' own (``bare``): layer
    by layer (largest scratch first), the block size with the lowest re-planned RAM (ties: the
    largest); then every block grows back as far as the RAM stays within the active preference's
    ``ram_slack`` of that lowest peak (``weight_policy.py``; smaller blocks rebuild windows more
    often, and lose the input overlap). Unchanged when the slack is None."""
    dec = [k for k, lo in enumerate(lowered) if lo.kernel in DEC_KERNELS.values()]
    slack = weight_policy.current().ram_slack
    if slack is None or not dec or ram_with_stack(plan, lowered) <= bare.arena_bytes:
        return lowered, plan

    def trial(cur: list[LoweredOp], k: int, blk: int) -> tuple[int, list[LoweredOp], Plan]:
        new = list(cur)
        new[k] = lowered[k] if blk == _blocks(lowered[k])[0] else with_block(lowered[k], blk)
        p = best_plan(g, new, overlap)[0]
        return ram_with_stack(p, new), new, p

    cur, cur_ram = list(lowered), ram_with_stack(plan, lowered)
    for k in sorted(dec, key=lambda k: -lowered[k].scratch):
        tried = [trial(cur, k, blk) for blk in _blocks(lowered[k])]
        low = min(r for r, _, _ in tried)
        cur_ram, cur, plan = next(t for t in tried if t[0] == low)
    limit = cur_ram * (1 + slack)
    for k in dec:  # grow back as far as the slack allows
        for blk in _blocks(lowered[k]):
            if blk <= int(cur[k].array("rq").data[1]):
                break
            r, new, p = trial(cur, k, blk)
            if r <= limit:
                cur, plan = new, p
                break
    return cur, plan
