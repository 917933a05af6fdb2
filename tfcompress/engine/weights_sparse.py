"""Sparse weights for pruned layers: a per-channel bitmap plus the non-zero int8 values.

A pruned CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED layer stores, instead of one int8 per
weight:

* ``sp_bitmap``: per output channel ``ceil(K / 8)`` bytes, bit ``j`` of byte ``i`` set when element
  ``8 i + j`` of the channel's row is non-zero (a row is the channel's ``K`` weights in the plain
  kernel's order; for depthwise layers, stored 1HWO, the channel's taps);
* ``weights``: the non-zero values, channel after channel.

At sparsity ``s`` that is ``K / 8 + (1 - s) K`` bytes per channel: smaller than int8 from
``s > 1/8``, 37.5% of it at ``s = 0.75``. The ``_sp`` kernels read rows in channel order with one
value cursor and visit only the non-zero weights (count-trailing-zeros over the bitmap, on a
gathered int16 window for CONV_2D: ``LoweredOp.scratch``), so the results are those of the
plain kernels.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.weights import rows, share_requant

#: plain kernel -> its variant reading a bitmap and the non-zero values
SP_KERNELS = {
    "tfc_conv2d_s8": "tfc_conv2d_s8_sp",
    "tfc_conv2d_add_s8": "tfc_conv2d_add_s8_sp",
    "tfc_depthwise_conv2d_s8": "tfc_depthwise_conv2d_s8_sp",
    "tfc_fully_connected_s8": "tfc_fully_connected_s8_sp",
}


@dataclasses.dataclass
class Encoded:
    """A layer's weights as per-channel bitmaps + non-zero values (see the module docstring)."""

    values: np.ndarray   # int8, the non-zero weights channel after channel
    bitmap: np.ndarray   # uint8, ceil(K / 8) bytes per channel

    @property
    def nbytes(self) -> int:
        return self.values.nbytes + self.bitmap.nbytes


def encode(lo: LoweredOp) -> Encoded:
    """``lo``'s weights as bitmaps + non-zero values."""
    r = rows(lo)
    nz = r != 0
    bitmap = np.packbits(nz, axis=1, bitorder="little")
    return Encoded(np.ascontiguousarray(r[nz]).astype(np.int8), bitmap.reshape(-1).astype(np.uint8))


def decode(lo: LoweredOp) -> np.ndarray:
    """(channels, K) int8 rows of a sparse op (the inverse of :func:`encode`)."""
    f = lo.fields
    if lo.kernel == "tfc_depthwise_conv2d_s8_sp":
        n_ch, k = int(f["out_c"]), int(f["k_h"]) * int(f["k_w"])
    elif lo.kernel == "tfc_fully_connected_s8_sp":
        n_ch, k = int(f["out_depth"]), int(f["in_depth"])
    else:
        n_ch, k = int(f["out_c"]), int(f["k_h"]) * int(f["k_w"]) * int(f["in_c"])
    bits = np.unpackbits(f["sp_bitmap"].data.reshape(n_ch, -1), axis=1, bitorder="little")[:, :k].astype(bool)
    out = np.zeros((n_ch, k), np.int8)
    out[bits] = f["weights"].data
    return out


def sparse_op(lo: LoweredOp, enc: Encoded) -> LoweredOp:
    """``lo`` switched to its ``_sp`` kernel with the encoded weights."""
    new = lo.copy()
    new.kernel = SP_KERNELS[lo.kernel]
    new.scratch = max(lo.scratch, window_scratch_bytes(lo))
    new.replace_array("weights", enc.values if enc.values.size else np.zeros(1, np.int8),
                      name=lo.array("weights").name + "sp")
    new.add_array("sp_bitmap", f"op{lo.op.index}_bitmap", enc.bitmap)
    share_requant(new)
    return new


def window_scratch_bytes(lo: LoweredOp) -> int:
    """The sparse CONV_2D kernels' scratch: one int16 window (k_h * k_w * in_c), word-aligned."""
    if lo.kernel not in ("tfc_conv2d_s8", "tfc_conv2d_add_s8"):
        return 0
    f = lo.fields
    return (2 * int(f["k_h"]) * int(f["k_w"]) * int(f["in_c"]) + 3) // 4 * 4
