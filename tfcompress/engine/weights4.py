"""Compressed weights: packed 4-bit indices into int8 codebooks, for layers with <= 16 values.

A clustered model (16 float centroids per layer) quantised per output channel has at most 16
distinct int8 weights in each output channel. Such CONV_2D, DEPTHWISE_CONV_2D and
FULLY_CONNECTED layers can store, instead of one int8 per weight:

* ``weights``: the 4-bit codebook index of every weight, two per byte (element ``e`` of the
  original flat weight array in byte ``e >> 1``, low nibble first), and
* ``codebook``: codebooks of 16 int8 values. Channels whose values fit together in 16 share one
  (greedy merge); the smallest of three layouts is kept: one codebook for every channel, one per
  channel in channel order (``cb_step`` = 16), or a ``cb_index`` byte per channel naming its
  codebook.

Pruned layers may be smaller still as a bitmap + non-zero values (weights_sparse.py);
:func:`tfcompress.engine.compressed_weights.compress_op` keeps the smallest encoding. The ``_w4`` kernels decode ``TFC_W4_CODEBOOK(p, oc)[index]`` in their inner loop; the decoded
weights are the original int8 weights, so results are identical. When every channel has the same
multiplier and shift, one pair is stored (``q_step`` = 0, FULLY_CONNECTED: ``per_channel`` = 0). A layer is compressed only when
it saves flash (:func:`compress_ops`); biases, multipliers and shifts are unchanged.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.weights import flatten_rows, rows, share_requant

#: plain kernel -> its variant reading 4-bit indices and a codebook
W4_KERNELS = {
    "tfc_conv2d_s8": "tfc_conv2d_s8_w4",
    "tfc_conv2d_add_s8": "tfc_conv2d_add_s8_w4",
    "tfc_depthwise_conv2d_s8": "tfc_depthwise_conv2d_s8_w4",
    "tfc_fully_connected_s8": "tfc_fully_connected_s8_w4",
}
CODEBOOK = 16


def _books(sets: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """Merge the channels' value sets into few codebooks of <= 16 values (greedy, largest sets first)."""
    books: list[set[int]] = []
    book_of = np.zeros(len(sets), np.int64)
    for c in sorted(range(len(sets)), key=lambda c: (-sets[c].size, c)):
        vals = set(sets[c].tolist())
        for b, book in enumerate(books):
            if len(book | vals) <= CODEBOOK:
                book |= vals
                book_of[c] = b
                break
        else:
            book_of[c] = len(books)
            books.append(vals)
    return [np.array(sorted(b), np.int8) for b in books], book_of


@dataclasses.dataclass
class Encoded:
    """A layer's weights as packed 4-bit indices + codebooks (see the module docstring)."""

    packed: np.ndarray      # int8 view of the index bytes
    codebook: np.ndarray    # int8, 16 per codebook
    cb_index: np.ndarray | None  # uint8 codebook of each output channel, or None
    cb_step: int

    @property
    def nbytes(self) -> int:
        return self.packed.nbytes + self.codebook.nbytes + (0 if self.cb_index is None else self.cb_index.nbytes)


def encode(lo: LoweredOp) -> Encoded | None:
    """``lo``'s weights encoded in the smallest layout, or None if a channel has > 16 values."""
    r = rows(lo)
    n_ch = r.shape[0] if r.size else 0
    sets = [np.unique(r[c]) for c in range(n_ch)]
    if not sets or any(v.size > CODEBOOK for v in sets):
        return None
    books, book_of = _books(sets)
    if len(books) == 1:  # one codebook shared by every channel
        cb_index, step = None, 0
    elif n_ch + CODEBOOK * len(books) < CODEBOOK * n_ch and len(books) <= 256:
        cb_index, step = book_of.astype(np.uint8), 0
    else:  # one codebook per channel, in channel order
        books, book_of, cb_index, step = sets, np.arange(n_ch), None, CODEBOOK
    codebook = np.zeros((len(books), CODEBOOK), np.int8)
    for b, vals in enumerate(books):
        codebook[b, :vals.size] = vals
    idx_rows = np.zeros(r.shape, np.uint8)
    for c in range(n_ch):
        idx_rows[c] = np.searchsorted(books[book_of[c]], r[c])
    idx = flatten_rows(lo, idx_rows)
    if idx.size % 2:
        idx = np.append(idx, np.uint8(0))
    packed = (idx[0::2] | (idx[1::2] << 4)).astype(np.uint8).view(np.int8)  # int8: the field's C type
    return Encoded(packed, codebook.reshape(-1), cb_index, step)


def indices(lo: LoweredOp) -> np.ndarray:
    """The 4-bit index of every weight of a compressed op, in the original flat weight order."""
    packed = lo.fields["weights"].data.view(np.uint8)
    idx = np.empty(packed.size * 2, np.uint8)
    idx[0::2], idx[1::2] = packed & 15, packed >> 4
    return idx


def codebooks(lo: LoweredOp, n_ch: int) -> np.ndarray:
    """(n_ch, 16) int8: the codebook each output channel of a compressed op reads."""
    f = lo.fields
    books = f["codebook"].data.reshape(-1, CODEBOOK)
    if isinstance(f.get("cb_index"), ConstArray):
        return books[f["cb_index"].data.astype(np.int64)]
    return books[np.arange(n_ch) if f["cb_step"] else np.zeros(n_ch, np.int64)]


def w4_op(lo: LoweredOp, enc: Encoded) -> LoweredOp:
    """``lo`` switched to its ``_w4`` kernel with the encoded weights."""
    new = lo.copy()
    new.kernel = W4_KERNELS[lo.kernel]
    new.replace_array("weights", enc.packed, name=lo.array("weights").name + "4")
    new.add_array("codebook", f"op{lo.op.index}_cb", enc.codebook)
    new.fields.update(cb_index=0, cb_step=enc.cb_step)
    if enc.cb_index is not None:
        new.add_array("cb_index", f"op{lo.op.index}_cbi", enc.cb_index)
    share_requant(new)
    return new
