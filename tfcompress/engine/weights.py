"""What the compressed-weight encodings share: a weight layer's rows (one per output channel, in
the order its kernel reads them) and the shared requantisation pair.

The encodings themselves: 4-bit indices + codebooks (``weights4.py``), bitmap + non-zero values
(``weights_sparse.py``); ``compressed_weights.py`` keeps the smallest per layer.
"""

from __future__ import annotations

import numpy as np

from tfcompress.engine.lowered import ConstArray, LoweredOp

#: the plain kernels whose weights can be stored compressed
WEIGHT_KERNELS = ("tfc_conv2d_s8", "tfc_conv2d_add_s8", "tfc_depthwise_conv2d_s8", "tfc_fully_connected_s8")


def _depthwise(lo: LoweredOp) -> bool:
    return lo.kernel.startswith("tfc_depthwise_conv2d_s8")


def n_channels(lo: LoweredOp) -> int:
    """Output channels of a weight layer."""
    f = lo.fields
    return int(f["out_c"] if "out_c" in f else f["out_depth"])


def rows(lo: LoweredOp) -> np.ndarray:
    """(channels, K) int8: each output channel's weights in the order its kernel reads them
    (depthwise weights are stored 1HWO: a channel's row is its taps)."""
    w = lo.array("weights").data.reshape(-1).astype(np.int8)
    if _depthwise(lo):
        return w.reshape(-1, n_channels(lo)).T
    return w.reshape(n_channels(lo), -1)


def flatten_rows(lo: LoweredOp, per_row: np.ndarray) -> np.ndarray:
    """The inverse of :func:`rows`: values given per (channel, position) back in the flat weight order."""
    return np.ascontiguousarray(per_row.T if _depthwise(lo) else per_row).reshape(-1)


def share_requant(lo: LoweredOp) -> None:
    """One multiplier/shift pair for the layer when every channel has the same (clustered layers
    often do: every channel holds the largest centroid, so the per-channel scales are equal):
    conv kernels get ``q_step`` 0, FULLY_CONNECTED ``per_channel`` 0."""
    conv = "per_channel" not in lo.fields
    if conv:
        lo.fields["q_step"] = 1
    mult, shift = lo.fields["mult"], lo.fields["shift"]
    if not (isinstance(mult, ConstArray) and isinstance(shift, ConstArray)) or mult.data.size < 2:
        return
    if np.any(mult.data != mult.data[0]) or np.any(shift.data != shift.data[0]):
        return
    for key in ("mult", "shift"):
        lo.replace_array(key, lo.array(key).data[:1].copy())
    if conv:
        lo.fields["q_step"] = 0
    else:
        lo.fields["per_channel"] = 0
