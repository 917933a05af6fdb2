"""2:4 structured weights: per group of four window positions two values and their positions.

``compress --structured 2:4`` leaves at most two non-zero weights in every group of four
consecutive inputs. A CONV_2D (or CONV_2D+ADD) layer whose every output channel has that property
along its window (``K = k_h * k_w * in_c``, padded with zeros to a multiple of four) stores:

* ``weights``: per channel and group, the two int8 values at positions ``a < b`` (zeros fill a
  group with fewer than two non-zeros);
* ``sp_bitmap``: per channel ``ceil(G / 2)`` bytes, group ``g``'s nibble ``a | b << 2`` in byte
  ``g >> 1`` (low nibble first).

That is ``5 / 8`` of int8 (the sparse bitmap's size at 50%), and the optimised kernels
(``optimized/conv2d_s8_dec_opt.c``) do half the MACs of the dense layer: per group one widened pair
of values against one precomputed pair of inputs. Only the optimised kernel set has these kernels
(:mod:`tfcompress.engine.weight_policy` offers the storage there only).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.weights import rows, share_requant

#: plain kernel -> its 2:4 variant (optimised set)
KERNELS = {
    "tfc_conv2d_s8": "tfc_conv2d_s8_dec_2of4",
    "tfc_conv2d_add_s8": "tfc_conv2d_add_s8_dec_2of4",
}


@dataclasses.dataclass
class Encoded:
    """A layer's weights as 2:4 values + position nibbles (see the module docstring)."""

    values: np.ndarray     # int8, (channels, groups, 2) flattened
    positions: np.ndarray  # uint8, (channels, ceil(groups / 2)) flattened

    @property
    def nbytes(self) -> int:
        return self.values.nbytes + self.positions.nbytes


def _groups(lo: LoweredOp) -> np.ndarray:
    r = rows(lo)
    kp = (r.shape[1] + 3) // 4 * 4
    return np.pad(r, ((0, 0), (0, kp - r.shape[1]))).reshape(r.shape[0], kp // 4, 4)


def encode(lo: LoweredOp) -> Encoded | None:
    """``lo``'s weights in the 2:4 format, or None when some group has more than two non-zeros."""
    if lo.kernel not in KERNELS:
        return None
    g = _groups(lo)
    nz = g != 0
    if g.size == 0 or nz.sum(axis=2).max() > 2:
        return None
    # positions: the non-zeros first, then the lowest free positions; sorted so that a < b
    key = np.where(nz, 0, 1) * 4 + np.arange(4)
    pos = np.sort(np.argsort(key, axis=2, kind="stable")[:, :, :2], axis=2)
    vals = np.take_along_axis(g, pos, axis=2).astype(np.int8)
    nib = (pos[:, :, 0] | (pos[:, :, 1] << 2)).astype(np.uint8)
    if nib.shape[1] % 2:
        nib = np.pad(nib, ((0, 0), (0, 1)))
    packed = (nib[:, 0::2] | (nib[:, 1::2] << 4)).astype(np.uint8)
    return Encoded(vals.reshape(-1), packed.reshape(-1))


def decode(lo: LoweredOp) -> np.ndarray:
    """(channels, K) int8 rows of a 2:4 op (the inverse of :func:`encode`)."""
    f = lo.fields
    n_ch, k = int(f["out_c"]), int(f["k_h"]) * int(f["k_w"]) * int(f["in_c"])
    groups = (k + 3) // 4
    packed = f["sp_bitmap"].data.reshape(n_ch, -1)
    nib = np.empty((n_ch, packed.shape[1] * 2), np.uint8)
    nib[:, 0::2], nib[:, 1::2] = packed & 15, packed >> 4
    nib = nib[:, :groups]
    vals = f["weights"].data.reshape(n_ch, groups, 2)
    out = np.zeros((n_ch, groups, 4), np.int8)
    for j, pos in enumerate((nib & 3, nib >> 2)):
        np.put_along_axis(out, pos[:, :, None].astype(np.int64), vals[:, :, j:j + 1], axis=2)
    return out.reshape(n_ch, -1)[:, :k]


def op_2of4(lo: LoweredOp, enc: Encoded) -> LoweredOp:
    """``lo`` switched to its 2:4 kernel with the encoded weights."""
    new = lo.copy()
    new.kernel = KERNELS[lo.kernel]
    new.replace_array("weights", enc.values, name=lo.array("weights").name + "24")
    new.add_array("sp_bitmap", f"op{lo.op.index}_pos24", enc.positions)
    share_requant(new)
    return new
