"""The optimised ADD: two 256-entry tables (each input byte -> its rescaled value, TFLM's
arithmetic), in the arena scratch for a standalone ADD, in flash for CONV_2D+ADD."""

from __future__ import annotations

from typing import Any

import numpy as np

from tfcompress.engine.fixedpoint import mbqm
from tfcompress.engine.kernel_limits import ADD_FAST_BOUND, ADD_TABLES_BYTES
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.quant import wrap_i32


def add_tables(f: dict[str, Any]) -> tuple[np.ndarray, bool]:
    """The two 256-entry tables (input byte as unsigned -> rescaled input) and whether the SMMULR
    output requantisation is exact for every sum of them."""
    tables = np.zeros((2, 256), np.int64)
    for v in range(-128, 128):
        for i, (off, m, sh) in enumerate(((f["in1_offset"], f["in1_mult"], f["in1_shift"]),
                                          (f["in2_offset"], f["in2_mult"], f["in2_shift"]))):
            x = int(wrap_i32(np.int64((v + off) << f["left_shift"])))
            tables[i, v & 0xFF] = mbqm(x, int(m), int(sh))
    fast = int(f["out_shift"]) <= -1 and int(np.abs(tables).max()) < ADD_FAST_BOUND
    return tables.reshape(-1).astype(np.int32), fast


def tables_into_flash(lo: LoweredOp) -> LoweredOp:
    """A fused CONV_2D+ADD: its ADD's tables precomputed into flash (the fused kernel has no scratch
    for them)."""
    struct, name, fields = lo.extra_structs[0]
    tables, fast = add_tables(fields)
    arr = ConstArray(f"{name}_tables", tables)
    lo.arrays.append(arr)
    lo.extra_structs = [(struct, name, dict(fields, tables=arr, tables_fast=int(fast)))] + lo.extra_structs[1:]
    return lo


def add_scratch(lo: LoweredOp) -> int:
    """A standalone ADD builds its tables in scratch."""
    return ADD_TABLES_BYTES
