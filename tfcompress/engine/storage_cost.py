"""What a layer's weight storage costs besides its bytes, for the balanced weight policy
(compressed_weights.py ``keep_fast``): the instructions its kernel is predicted to take for the
layer's shape, and the flash of the kernel code a set of kernels links into the firmware.

Both are data measured on mps2-an500 (Cortex-M7, QEMU ``-icount``) with the optimised kernel set:

* :data:`INSTRUCTIONS`: per C kernel, instructions = fixed + per MAC x MACs + per output x output
  elements + per window value x the input values it gathers (:func:`windows`), fitted by
  ``benchmarks/storage_cost_fit.py`` (least squares, -O2) to the per-layer profiles of
  ``benchmarks/compressed_speed.py --all-compressed`` (ResNet-8 clustered and 2:4, eye-gaze pruned)
  and ``benchmarks/compressed_fc.py --all-compressed`` (AD-shaped FULLY_CONNECTED stacks, clustered
  and pruned), dense and every layer compressed (one term per two points at most: kernels measured
  on few shapes get a per-MAC cost only). Rows of kernels those runs do not reach (direct windows,
  1x1 pointwise, planar depthwise) are from the first fit, which also measured the two small test
  models named in storage_cost_fit.py; the small-layer 4-bit FULLY_CONNECTED row is its own fit.
  Typical error 2-10%, up to 45-90% on kernels measured on two or three shapes (first-layer,
  sparse decoding, CONV_2D+ADD); kernels missing here have no prediction (the policy leaves their
  layers alone). Refit after changing a kernel's speed.
* :data:`KERNEL_CODE` / :data:`SOURCE_CODE`: ``.text`` + ``.rodata`` bytes a kernel links (it and
  the helpers of its source it reaches), at -O2 and -Os, and per source all its kernels together
  (shared helpers once), from ``benchmarks/kernel_code.py``: with every kernel variant, so an upper
  bound where a model's generated ``tfc_variants.h`` compiles some out (engine/optimized/variants.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.macs import op_macs

#: the kernel sets the tables below were measured on
MEASURED = ("optimized",)
#: kernel -> (fixed, per MAC, per output element, per window value) instructions, mps2-an500 -O2
#: (module docstring)
INSTRUCTIONS: dict[str, tuple[float, float, float, float]] = {
    "tfc_conv2d_add_s8": (0, 1.665, 0.00, 0.000),
    "tfc_conv2d_add_s8_dec_2of4": (0, 0.931, 0.00, 0.000),
    "tfc_conv2d_add_s8_dec_w4": (0, 1.326, 0.00, 0.000),
    "tfc_conv2d_s8": (0, 0.578, 0.00, 8.405),
    "tfc_conv2d_s8_dec_2of4": (0, 0.544, 6.89, 0.000),
    "tfc_conv2d_s8_dec_sp": (0, 1.089, 0.00, 0.000),
    "tfc_conv2d_s8_dec_w4": (0, 0.851, 5.95, 0.000),
    "tfc_conv2d_s8_direct": (0, 1.196, 0.00, 0.000),
    "tfc_conv2d_s8_first": (0, 1.501, 0.00, 0.000),
    "tfc_conv2d_s8_first_sp": (0, 1.525, 0.00, 0.000),
    "tfc_conv2d_s8_first_w4": (0, 1.264, 0.00, 0.000),
    "tfc_conv2d_s8_pw": (0, 1.632, 0.00, 0.000),
    "tfc_depthwise_conv2d_s8_planar": (0, 2.952, 0.00, 0.000),
    "tfc_fully_connected_s8": (0, 0.867, 13.88, 5.819),
    # row kernel: own least-squares fit (ResNet-8 / eye-gaze FC layers + tests/test_fc_w4_rows.py layers)
    "tfc_fully_connected_s8_cb_w4": (0, 3.715, 39.00, 0.000),
    "tfc_fully_connected_s8_lut_w4": (0, 1.720, 0.00, 0.000),
    "tfc_fully_connected_s8_nib_sp": (0, 2.604, 36.43, 1.249),
    "tfc_fully_connected_s8_w4": (0, 12.078, 65.16, 0.000),
}

#: kernel -> (source under firmware/engine/, bytes at -O2, bytes at -Os) (benchmarks/kernel_code.py)
KERNEL_CODE: dict[str, tuple[str, int, int]] = {
    "tfc_add_s8": ("optimized/binary_s8_opt.c", 2336, 1740),
    "tfc_avg_pool2d_s8": ("optimized/pool2d_s8_opt.c", 1020, 542),
    "tfc_conv2d_add_s8": ("optimized/conv2d_s8_opt.c", 13016, 4340),
    "tfc_conv2d_add_s8_dec_2of4": ("optimized/conv2d_s8_dec_opt.c", 9268, 7962),
    "tfc_conv2d_add_s8_dec_sp": ("optimized/conv2d_s8_dec_opt.c", 10468, 7016),
    "tfc_conv2d_add_s8_dec_w4": ("optimized/conv2d_s8_dec_opt.c", 10876, 7320),
    "tfc_conv2d_add_s8_direct": ("optimized/conv2d_s8_direct_opt.c", 3508, 3072),
    "tfc_conv2d_s8": ("optimized/conv2d_s8_opt.c", 9920, 3066),
    "tfc_conv2d_s8_dec_2of4": ("optimized/conv2d_s8_dec_opt.c", 9260, 7958),
    "tfc_conv2d_s8_dec_sp": ("optimized/conv2d_s8_dec_opt.c", 8784, 5808),
    "tfc_conv2d_s8_dec_w4": ("optimized/conv2d_s8_dec_opt.c", 9192, 6112),
    "tfc_conv2d_s8_direct": ("optimized/conv2d_s8_direct_opt.c", 3528, 3088),
    "tfc_conv2d_s8_first": ("optimized/conv2d_s8_first_opt.c", 4012, 1298),
    "tfc_conv2d_s8_first_sp": ("optimized/conv2d_s8_first_opt.c", 4444, 1668),
    "tfc_conv2d_s8_first_w4": ("optimized/conv2d_s8_first_opt.c", 4444, 1668),
    "tfc_conv2d_s8_pw": ("optimized/conv2d_s8_pw_opt.c", 3092, 984),
    "tfc_conv2d_s8_pw16": ("optimized/conv2d_s8_pw_opt.c", 2924, 936),
    "tfc_depthwise_conv2d_s8": ("optimized/depthwise_conv2d_s8_opt.c", 2616, 1698),
    "tfc_depthwise_conv2d_s8_planar": ("optimized/depthwise_conv2d_s8_opt.c", 11052, 4052),
    "tfc_depthwise_conv2d_s8_planar_sp": ("optimized/depthwise_conv2d_s8_opt.c", 11292, 4280),
    "tfc_depthwise_conv2d_s8_planar_w4": ("optimized/depthwise_conv2d_s8_opt.c", 11356, 4332),
    "tfc_depthwise_conv2d_s8_sp": ("depthwise_conv2d_s8_sp.c", 648, 476),
    "tfc_depthwise_conv2d_s8_w4": ("depthwise_conv2d_s8_w4.c", 708, 492),
    "tfc_fully_connected_s8": ("optimized/fully_connected_s8_opt.c", 4220, 1598),
    "tfc_fully_connected_s8_cb_w4": ("optimized/fully_connected_s8_cb_w4_opt.c", 1508, 954),
    "tfc_fully_connected_s8_lut_w4": ("optimized/fully_connected_s8_w4_opt.c", 4744, 1546),
    "tfc_fully_connected_s8_nib_sp": ("optimized/fully_connected_s8_sp_opt.c", 2208, 1000),
    "tfc_fully_connected_s8_sp": ("fully_connected_s8_sp.c", 328, 312),
    "tfc_fully_connected_s8_w4": ("fully_connected_s8_w4.c", 340, 304),
    "tfc_fully_connected_s8_wide": ("optimized/fully_connected_s8_wide_opt.c", 2924, 826),
    "tfc_max_pool2d_s8": ("optimized/pool2d_s8_opt.c", 332, 248),
    "tfc_mul_s8": ("optimized/binary_s8_opt.c", 408, 424),
}
#: source -> (bytes at -O2, at -Os) of all its kernels linked together
SOURCE_CODE: dict[str, tuple[int, int]] = {
    "depthwise_conv2d_s8_sp.c": (648, 476),
    "depthwise_conv2d_s8_w4.c": (708, 492),
    "fully_connected_s8_sp.c": (328, 312),
    "fully_connected_s8_w4.c": (340, 304),
    "optimized/binary_s8_opt.c": (2744, 1904),
    "optimized/conv2d_s8_dec_opt.c": (22344, 16584),
    "optimized/conv2d_s8_direct_opt.c": (3532, 3092),
    "optimized/conv2d_s8_first_opt.c": (4552, 1738),
    "optimized/conv2d_s8_opt.c": (15124, 5316),
    "optimized/conv2d_s8_pw_opt.c": (5528, 1496),
    "optimized/depthwise_conv2d_s8_opt.c": (15936, 7230),
    "optimized/fully_connected_s8_cb_w4_opt.c": (1508, 954),
    "optimized/fully_connected_s8_opt.c": (4220, 1598),
    "optimized/fully_connected_s8_sp_opt.c": (2208, 1000),
    "optimized/fully_connected_s8_w4_opt.c": (4744, 1546),
    "optimized/fully_connected_s8_wide_opt.c": (2924, 826),
    "optimized/pool2d_s8_opt.c": (1352, 790),
}
#: optimisation level -> column of the code tables (others: the -O2 column)
_COLUMN = {"-O2": 0, "-Os": 1}


def outputs(lo: LoweredOp) -> int:
    """Output elements of a conv / depthwise conv / fully connected layer (0 for other ops)."""
    f = lo.fields
    try:
        if lo.struct == "tfc_conv_params":
            return int(f["batches"] * f["out_h"] * f["out_w"] * f["out_c"])
        if lo.struct == "tfc_fc_params":
            return int(f["batches"] * f["out_depth"])
    except (KeyError, TypeError):
        return 0
    return 0


def windows(lo: LoweredOp) -> int:
    """Input values a layer gathers per run: a conv's windows (output pixels x k_h x k_w x in_c; a
    depthwise conv's per output element), a fully connected layer's inputs (0 for other ops)."""
    f = lo.fields
    try:
        if lo.struct == "tfc_conv_params":
            depth = 1 if lo.kernel.startswith("tfc_depthwise") else int(f["in_c"])
            return int(f["batches"] * f["out_h"] * f["out_w"] * f["k_h"] * f["k_w"] * depth)
        if lo.struct == "tfc_fc_params":
            return int(f["batches"] * f["in_depth"])
    except (KeyError, TypeError):
        return 0
    return 0


def instructions(lo: LoweredOp) -> float | None:
    """Predicted instructions of ``lo`` with its kernel (as the kernel set prepared it); None when
    the kernel has no cost model."""
    row = INSTRUCTIONS.get(lo.kernel)
    if row is None:
        return None
    fixed, per_mac, per_out, per_window = row
    return fixed + per_mac * op_macs(lo) + per_out * outputs(lo) + per_window * windows(lo)


def code_bytes(kernels: Iterable[str], opt: str = "-O2") -> int:
    """Flash of the code the kernels link (those in :data:`KERNEL_CODE`; others count 0): per source
    the sum of its kernels' code, at most all of its kernels together."""
    col = _COLUMN.get(opt, 0)
    per_source: dict[str, int] = {}
    for k in set(kernels):
        if k in KERNEL_CODE:
            source = KERNEL_CODE[k][0]
            per_source[source] = per_source.get(source, 0) + KERNEL_CODE[k][1 + col]
    return sum(min(n, SOURCE_CODE[s][col]) if s in SOURCE_CODE else n for s, n in per_source.items())


def weight_bytes(ops: Iterable[LoweredOp]) -> int:
    """Bytes of the constant arrays of ``ops`` (weights, codebooks, tables) as the kernels read them."""
    return sum(a.nbytes for lo in ops for a in lo.arrays)
