"""FULLY_CONNECTED with compressed weights for the optimised kernels.

4-bit layers switch to ``tfc_fully_connected_s8_lut_w4``
(``firmware/engine/optimized/fully_connected_s8_w4_opt.c``) when they are on the exact fast
requantisation with rows and inputs in multiples of four: per block of four rows and group of four
inputs, per row the index bytes ``(i0 | i2 << 4)`` and ``(i1 | i3 << 4)``; in ``codebook`` per
output row the byte offset of its table (counted from its block's first offset), then per codebook a
256-word table mapping an index byte to its two weights as int16 halves. A table costs 1 KB of flash,
so a layer switches only where it still saves flash against int8 (clustered layers usually have one
codebook: ``weights.share_requant``), and not under the "size" preference. Other 4-bit layers on
the fast requantisation (small layers, any shape) switch to ``tfc_fully_connected_s8_cb_w4``
(``firmware/engine/optimized/fully_connected_s8_cb_w4_opt.c``): one row at a time through its
16-entry codebook (UBFX + LDRSB + SMLABB per weight, two rows sharing the input), the weights as
per row ``ceil(inputs / 8)`` index words (:func:`row_words`), the codebooks as they are, an rq
entry per row carrying its bias and its codebook's offset (:func:`row_rq`). Other compressed FULLY_CONNECTED layers keep the portable kernel.

Sparse layers (bitmap + non-zero values, ``weights_sparse.py``) with inputs in multiples of four on
the fast requantisation switch to ``tfc_fully_connected_s8_nib_sp``
(``firmware/engine/optimized/fully_connected_s8_sp_opt.c``): the same data, one bitmap nibble per
group of four inputs dispatching (TBH) to a handler for exactly its non-zeros.
"""

from __future__ import annotations

import numpy as np

from tfcompress.engine import weight_policy
from tfcompress.engine.kernel_limits import RQ_FAST, RQ_HEADER
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.optimized.requant import acc_bound, add_rq, rq_shared, rq_table, trim
from tfcompress.engine.weights4 import CODEBOOK, indices
from tfcompress.engine.weights_sparse import decode as sparse_rows

W4_LUT = "tfc_fully_connected_s8_lut_w4"
W4_ROW = "tfc_fully_connected_s8_cb_w4"
SP_NIB = "tfc_fully_connected_s8_nib_sp"
#: flash of the index-byte table (256 words)
TABLE_BYTES = 256 * 4


def books(lo: LoweredOp) -> tuple[np.ndarray, np.ndarray]:
    """The layer's codebooks (n_books, 16) and each output row's codebook number."""
    f = lo.fields
    table = f["codebook"].data.reshape(-1, CODEBOOK).astype(np.int64)
    n_out = int(f["out_depth"])
    if isinstance(f.get("cb_index"), ConstArray):
        return table, f["cb_index"].data.astype(np.int64)[:n_out]
    return table, (np.arange(n_out) if f.get("cb_step") else np.zeros(n_out, np.int64))


def books_of(lo: LoweredOp) -> np.ndarray:
    """The codebooks (n_books, 16) of a prepared table-kernel layer."""
    n_out = int(lo.fields["out_depth"])
    return lo.fields["codebook"].data[4 * n_out:].view(np.uint32).reshape(-1, 256)[:, :16] & 0xFFFF


def table_bytes(n_out: int, n_books: int) -> int:
    """Flash of the row offsets and the tables."""
    return 4 * n_out + TABLE_BYTES * n_books


def tables(table: np.ndarray, book_of: np.ndarray) -> np.ndarray:
    """The ``codebook`` array: per row the byte offset of its table from its block's first offset,
    then the 256-word table of every codebook (int8 bytes, LE)."""
    n_out = book_of.size
    rows = np.arange(n_out)
    offs = 4 * n_out + TABLE_BYTES * book_of - 16 * (rows // 4)
    words = np.concatenate([pair_table(cb) for cb in table])
    return np.concatenate([offs.astype(np.int32).view(np.uint32), words]).view(np.int8)


def pair_table(cb: np.ndarray) -> np.ndarray:
    """Index byte ``b`` -> the word ``(cb[b & 15], cb[b >> 4])`` as int16 halves (uint32)."""
    b = np.arange(256)
    words = (cb[b & 15] & 0xFFFF) | ((cb[b >> 4] & 0xFFFF) << 16)
    return words.astype(np.uint32)


def index_bytes(idx: np.ndarray) -> np.ndarray:
    """[rows/4][inputs/4][4 rows][2] bytes: per row ``(i0 | i2 << 4, i1 | i3 << 4)`` of each group."""
    rows, n = idx.shape
    g = idx.reshape(rows // 4, 4, n // 4, 4).transpose(0, 2, 1, 3)  # [blk][g][row][i]
    return (g[..., [0, 1]] | (g[..., [2, 3]] << 4)).astype(np.uint8).reshape(-1).view(np.int8)


def prepare_w4(lo: LoweredOp) -> LoweredOp:
    """A 4-bit FULLY_CONNECTED switched to the table kernel, else the row kernel, where they apply
    (module docstring)."""
    f = lo.fields
    n_out, n_in = int(f["out_depth"]), int(f["in_depth"])
    if n_in == 0 or weight_policy.current() is weight_policy.PREFERENCES["size"]:
        return lo
    table, book_of = books(lo)
    idx = indices(lo)[:n_out * n_in].reshape(n_out, n_in).astype(np.int64)
    w = np.take_along_axis(table[book_of], idx, axis=1)
    if n_in % 4 or n_out % 4 or n_out * n_in // 2 + table_bytes(n_out, len(table)) >= n_out * n_in:
        return _row_kernel(lo, idx, w, book_of)
    rq = _rq(lo, w)
    if not rq[0] & RQ_FAST:
        return lo
    lo.kernel = W4_LUT
    lo.replace_array("weights", index_bytes(idx))
    lo.replace_array("codebook", tables(table, book_of), name=f"op{lo.op.index}_w4t")
    if isinstance(f.get("cb_index"), ConstArray):
        lo.drop_array("cb_index")
    f["cb_step"] = 0
    add_rq(lo, rq)
    trim(lo, keep_bias=True)
    return lo


def row_words(idx: np.ndarray) -> np.ndarray:
    """Per row ``ceil(inputs / 8)`` little-endian words, nibble ``k`` of word ``j`` the index of
    input ``8 j + k`` (padding nibbles 0), as int8 bytes."""
    rows, n = idx.shape
    padded = np.zeros((rows, -(-n // 8) * 8), np.uint8)
    padded[:, :n] = idx
    return (padded[:, 0::2] | (padded[:, 1::2] << 4)).astype(np.uint8).reshape(-1).view(np.int8)


def row_rq(lo: LoweredOp, w: np.ndarray, book_of: np.ndarray) -> np.ndarray:
    """The row kernel's rq table: an entry per row (per-tensor layers too), its codebook's byte
    offset in bits 8.. of the right shift (the kernel's ASR by register reads the low byte)."""
    f = lo.fields
    n_out = int(f["out_depth"])
    bias = lo.array("bias").data
    rq = rq_table(lo.array("mult").data, lo.array("shift").data, acc_bound(w, bias), bias, ~w.any(axis=1),
                  n_out, f["out_zp"]).astype(np.int64)
    rq[RQ_HEADER + 1::4] |= (CODEBOOK * book_of) << 8
    return rq.astype(np.int32)


def _row_kernel(lo: LoweredOp, idx: np.ndarray, w: np.ndarray, book_of: np.ndarray) -> LoweredOp:
    """``lo`` on the row kernel (fast requantisation only): index words per row, the codebooks as
    they are, per row an rq entry (bias and codebook included: :func:`row_rq`)."""
    rq = row_rq(lo, w, book_of)
    if not rq[0] & RQ_FAST:
        return lo
    f = lo.fields
    lo.kernel = W4_ROW
    lo.replace_array("weights", row_words(idx))
    if isinstance(f.get("cb_index"), ConstArray):
        lo.drop_array("cb_index")
    f["cb_step"] = 0
    add_rq(lo, rq)
    for key in ("bias", "mult", "shift"):  # all in the rq entries
        if isinstance(f.get(key), ConstArray):
            lo.drop_array(key)
    return lo


def _rq(lo: LoweredOp, w: np.ndarray) -> np.ndarray:
    """The rq table of a FULLY_CONNECTED with (decoded) weights ``w``."""
    f = lo.fields
    bias = lo.array("bias").data
    mult, shift = lo.array("mult").data, lo.array("shift").data
    if f["per_channel"]:
        return rq_table(mult, shift, acc_bound(w, bias), bias, ~w.any(axis=1), int(f["out_depth"]), f["out_zp"])
    return rq_shared(int(mult[0]), int(shift[0]), acc_bound(w, bias), f["out_zp"])


def prepare_sp(lo: LoweredOp) -> LoweredOp:
    """A sparse FULLY_CONNECTED switched to the nibble-dispatch kernel where it applies (same data)."""
    f = lo.fields
    if int(f["in_depth"]) % 4 or int(f["in_depth"]) == 0:
        return lo
    rq = _rq(lo, sparse_rows(lo).astype(np.int64))
    if not rq[0] & RQ_FAST:
        return lo
    lo.kernel = SP_NIB
    add_rq(lo, rq)
    trim(lo, keep_bias=not f["per_channel"])  # per channel: the rq entries carry the bias
    return lo
