"""CONV_2D (and CONV_2D+ADD) with compressed weights for the optimised kernels
(``firmware/engine/optimized/conv2d_s8_dec_opt.c``): 4-bit indices + codebooks (``weights4.py``)
and bitmap + non-zero values (``weights_sparse.py``).

The kernels decode a block of output channels once per inference into their scratch, as pair codes
(``RQ_PAIR``, where exact: :func:`pair_codes_ok`; three pixels per pass, ``kp`` bytes per channel)
or in the dense im2col kernel's int16 layout (two pixels, ``2 kp`` bytes), and run the dense SMLAD
channel-pair loops on it; no weight is looked up in the inner loop. The host side here:

* 4-bit layers: indices re-laid out like the dense int8 weights (``[oc/2][K/4][2][4]``, two per
  byte), so one 32-bit load gives a channel pair's eight indices of a group of four positions
  (pair codes of at least ``DEC_LUT_MIN_K`` positions: one byte per position, :func:`w4_layout`);
  1-3 input channels: the first-layer kernel instead (``first.prepare_compressed``);
  sparse layers keep their bitmap + values (channel order, read with one cursor); 2:4 layers
  (``weights_24.py``) their values + positions, decoded into value pairs + addresses of the
  matching input pairs (half the MACs of the dense layer).
* The rq table (``requant.py``) from the decoded weights, and in the header ``rq[1]`` = channels
  per block: the whole layer when its decoded weights fit the budget (:data:`BLOCK_BUDGET`),
  else equal blocks that do (windows are then rebuilt per block, so the input overlap is dropped); after
  planning, ``block_fit.py`` picks blocks against the peak RAM (:func:`cost`, :func:`_options`).
  Layers in blocks may also run a few output rows at a time over all blocks (``rq[2]``,
  :func:`with_block`), which keeps part of the input overlap (:func:`band_overlap`) for a decoding
  per band and block.
"""

from __future__ import annotations

import numpy as np

from tfcompress.engine import weight_policy, weights_24
from tfcompress.engine.kernel_limits import DEC_LUT_MIN_K, RQ_FAST, RQ_PAIR
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.optimized import first, fully_connected
from tfcompress.engine.optimized.add import tables_into_flash
from tfcompress.engine.optimized.requant import acc_bound, add_rq, pad_to, rq_table, trim
from tfcompress.engine.overlap import window_overlap
from tfcompress.engine.weights4 import codebooks, indices
from tfcompress.engine.weights_sparse import decode as sparse_rows

#: bytes of decoded weights a block may take in the scratch (whole layers up to this; RAM fitting may
#: grow 2:4 blocks past it, block_fit.py)
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


def w4_layout(idx: np.ndarray, kp: int, pc: bool) -> np.ndarray:
    """The kernel's 4-bit indices from ``idx`` ([oc][K]): per channel pair, two per byte, either
    like the dense int8 weights (``[K/4][2][4]``: a word holds the pair's indices of a group) or,
    for pair codes of at least ``DEC_LUT_MIN_K`` positions, one byte per position (``c | c+1 << 4``,
    the index of the kernel's pair table)."""
    ocp = (len(idx) + 1) // 2 * 2
    il = pad_to(pad_to(idx, kp, 1), ocp, 0).reshape(ocp // 2, 2, kp)
    if pc and kp >= DEC_LUT_MIN_K:
        return (il[:, 0] | (il[:, 1] << 4)).astype(np.uint8).reshape(-1).view(np.int8)
    il = il.reshape(ocp // 2, 2, kp // 4, 4).transpose(0, 2, 1, 3).reshape(-1)
    return (il[0::2] | (il[1::2] << 4)).astype(np.uint8).view(np.int8)


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
    """A ``_w4`` / ``_sp`` CONV_2D (or CONV_2D+ADD) switched to its decoding kernel (see the module
    docstring), or for 1-3 input channels to the first-layer kernel's (``first.prepare_compressed``)."""
    f = lo.fields
    oc, kp = int(f["out_c"]), _kp(lo)
    w = decoded_rows(lo)
    ocp = (oc + 1) // 2 * 2
    for name in ("mult", "shift"):  # the compressed op may have kept one shared pair
        arr = lo.array(name).data
        if arr.size != oc:
            lo.replace_array(name, np.repeat(arr[:1], oc).astype(np.int32))
    f["q_step"] = 1
    if weight_policy.current().first_kernel and (fl := first.prepare_compressed(lo, w)) is not None:
        return fl  # 1-3 input channels: the first-layer kernel
    bias = lo.array("bias").data
    rq = rq_table(lo.array("mult").data, lo.array("shift").data, acc_bound(w, bias), bias, ~w.any(axis=1), ocp,
                  f["out_zp"])
    pc = pair_codes_ok(lo, w, rq)
    rq[0] |= RQ_PAIR if pc else 0
    if lo.kernel.endswith("_w4"):
        lo.replace_array("weights", w4_layout(indices(lo)[:w.size].reshape(w.shape), kp, pc))
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


def band_overlap(lo: LoweredOp, rows: int) -> int:
    """How far a 2:4 conv's output may overlap its input when it runs ``rows`` output rows at a time
    over all its blocks (the rows' outputs are written while their windows are still read)."""
    f = lo.fields
    d = window_overlap((f["in_h"], f["in_w"]), f["in_c"], (f["out_h"], f["out_w"]), f["out_c"],
                       (f["k_h"], f["k_w"]), (f["stride_h"], f["stride_w"]), (f["dil_h"], f["dil_w"]),
                       (f["pad_top"], f["pad_left"]), group=rows * int(f["out_w"]))
    return min(d, int(f["in_h"]) * int(f["in_w"]) * int(f["in_c"]))


def with_block(lo: LoweredOp, blk: int, rows: int = 0) -> LoweredOp:
    """A decoding conv with ``blk`` channels per block (scratch and rq header to match); a conv in
    blocks may run ``rows`` output rows at a time over all blocks (``rq[2]``; 0: all rows), which
    keeps part of the input overlap (:func:`band_overlap`) for a decoding per band and block."""
    new = lo.copy()
    rq = new.array("rq").data.copy()
    rq[1], rq[2] = blk, rows
    new.replace_array("rq", rq)
    new.scratch = scratch(new, blk=blk)
    if blk < (int(new.fields["out_c"]) + 1) // 2 * 2:
        new.overlap.pop(new.inputs[0], None)
        if rows:
            new.overlap[new.inputs[0]] = band_overlap(new, rows)
    return new


#: output rows per pass tried for decoding convs in blocks (besides all of them). Taller bands decode
#: less often but keep less of the overlap: ResNet-8's 32-channel 3x3 layer in two blocks, 4 rows
#: instead of 2: 3% fewer instructions for 1.9 KB more RAM at "balanced", so not offered
BAND_ROWS = (2,)


def _options(lo: LoweredOp, fine: bool = False) -> list[tuple[int, int]]:
    """Candidate (channels per block, rows per pass) of a decoding conv: its block sizes, halved down
    to 2 from its current one (``fine``: also the even sizes of up to 16 equal blocks, for 2:4 convs
    up to the whole layer, whose windows are expanded again per block); for convs in blocks (one batch)
    also :data:`BAND_ROWS`."""
    out, b = [], int(lo.array("rq").data[1])
    f = lo.fields
    ocp = (int(f["out_c"]) + 1) // 2 * 2
    while b > 2:
        out.append(b)
        b = max(2, b // 2 // 2 * 2)
    if fine:
        top = ocp if lo.kernel.endswith("_2of4") else out[0] if out else 2
        out = sorted({*out, *(x for n in range(1, 17) if 2 <= (x := (-(-ocp // n) + 1) // 2 * 2) <= top)},
                     reverse=True)
    bands = [r for r in BAND_ROWS if r < int(f["out_h"])] if f["batches"] == 1 else []
    return [(blk, r) for blk in [*out, 2] for r in [0, *(bands if blk < ocp else [])]]


def cost(lo: LoweredOp, blk: int, rows: int, calls: int = 1) -> float:
    """Rough instructions of the part of a decoding conv that depends on its block choice, run in
    ``calls`` row bands (banding.py: each call decodes its blocks again): for 2:4 convs the window
    expansions (once per block) and the block decodings (per band all but the first block), in
    instructions of optimized/conv2d_s8_dec_opt.c; for 4-bit / sparse convs the windows (about an
    instruction per byte, rebuilt per block) and the decodings (about two per weight and a pair
    table per channel pair)."""
    f = lo.fields
    ocp = (int(f["out_c"]) + 1) // 2 * 2
    blocks = -(-ocp // blk)
    kp = _kp(lo)
    bands = -(-int(f["out_h"]) // rows) if rows and blocks > 1 else 1
    # a band starts with the block the one before ended with (2:4 and 4-bit: sparse blocks decode in order)
    decodes = calls * (bands * blocks if lo.kernel.endswith("_sp") else bands * (blocks - 1) + 1)
    if not lo.kernel.endswith("_2of4"):
        pixels = int(f["batches"]) * int(f["out_h"]) * int(f["out_w"])
        return float(blocks * pixels * kp + decodes * -(-ocp // blocks) * (2 * kp + 140))
    groups = kp // 4
    quads = int(f["batches"]) * int(f["out_h"]) * -(-int(f["out_w"]) // 4)
    ns = slots_24(lo)
    per_quad = int(f["k_h"]) * (ns * int(f["in_c"]) // 4 * 10 + 40) if ns else 4 * groups * 16
    return float(blocks * quads * per_quad + decodes * (int(f["out_c"]) // blocks + 1) * groups * 8)
