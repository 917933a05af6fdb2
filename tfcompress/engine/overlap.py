"""How far a streaming op's output may overlap its input (windowed ops in raster order)."""

from __future__ import annotations

import numpy as np


def window_overlap(in_hw: tuple[int, int], in_c: int, out_hw: tuple[int, int], out_c: int,
                   kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
                   pad: tuple[int, int], elem_bytes: int = 1, group: int = 1) -> int:
    """Largest (output offset - input offset) in bytes such that no write clobbers a later read.

    Output pixel P is written while its window is read; every byte read at or after P must lie
    above the end of P's output pixel. Computed at pixel granularity, or with ``group`` > 1 for a
    kernel that writes the outputs of ``group`` consecutive pixels (raster order) while it still
    reads all their windows: every byte read at or after the group must lie above the end of
    the group's last output pixel.
    """
    (ih, iw), (oh, ow), (kh, kw) = in_hw, out_hw, kernel
    big = np.iinfo(np.int64).max // 4

    def lowest(n_out: int, n_in: int, s: int, d: int, p: int, k: int) -> np.ndarray:
        starts = np.arange(n_out) * s - p
        taps = starts[:, None] + np.arange(k)[None, :] * d
        valid = (taps >= 0) & (taps < n_in)
        return np.where(valid.any(axis=1), np.where(valid, taps, big).min(axis=1), -1)

    ry = lowest(oh, ih, stride[0], dilation[0], pad[0], kh)
    rx = lowest(ow, iw, stride[1], dilation[1], pad[1], kw)
    low = (ry[:, None] * iw + rx[None, :]) * in_c * elem_bytes
    low = np.where((ry[:, None] < 0) | (rx[None, :] < 0), big, low).reshape(-1)
    n = low.size
    if group > 1:  # per group: its lowest read, and the end of its last output pixel
        low = np.pad(low, (0, -n % group), constant_values=big).reshape(-1, group).min(axis=1)
    suffix = np.minimum.accumulate(low[::-1])[::-1]
    ends = np.minimum((np.arange(low.size) + 1) * group, n) * out_c * elem_bytes
    return int((suffix - ends).min())
