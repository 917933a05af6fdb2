"""Bit-exactness checks shared by the engine tests: engine builds against each other and TFLM."""

from __future__ import annotations

import numpy as np

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.host import HostModel
from tfcompress.tflm import TflmModel

#: compiler flags of the AddressSanitizer + UBSan host builds
SAN_FLAGS = ["-g", "-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
             "-fno-omit-frame-pointer"]


def same_everywhere(tflite: bytes | str, samples: int = 4, seed: int = 0, check_opt=None) -> None:
    """Reference and optimised builds agree with each other and with TFLM on random inputs
    (``check_opt``: called with the optimised model first)."""
    ref, opt = compile_tflite(tflite), compile_tflite(tflite, kernels="optimized")
    if check_opt is not None:
        check_opt(opt)
    hr, ho, oracle = HostModel(ref), HostModel(opt), TflmModel(ref.model_bytes)
    rng = np.random.default_rng(seed)
    for _ in range(samples):
        x = rng.integers(-128, 128, size=ref.input.shape, dtype=np.int8)
        a, b, c = hr.run(x), ho.run(x), oracle.run(x).reshape(ref.output.shape)
        assert np.array_equal(a, b), f"optimised vs reference: {int((a != b).sum())} elements differ"
        assert np.array_equal(b, c), f"optimised vs TFLM: {int((b != c).sum())} elements differ"


def assert_matches_tflm(model, tflite: bytes, samples: int = 6, seed: int = 7) -> None:
    """A compiled ``model`` (as modified by the test) == TFLM on ``samples`` random int8 inputs."""
    ours, ref = HostModel(model), TflmModel(tflite)
    rng = np.random.default_rng(seed)
    for _ in range(samples):
        x = rng.integers(-128, 128, size=model.input.shape, dtype=np.int8)
        a, b = ours.run(x), ref.run(x)
        assert np.array_equal(a, b.reshape(a.shape)), f"{int((a != b.reshape(a.shape)).sum())} elements differ"


def assert_fused_add_tables_in_flash(model) -> None:
    """Every fused CONV_2D+ADD of an optimised build carries its ADD's two tables in flash (the
    optimised fused kernels read add->tables and have no run-time fallback)."""
    from tfcompress.engine.lowered import ConstArray
    from tfcompress.engine.optimized.add import add_tables

    fused = [lo for lo in model.lowered if lo.kernel.startswith("tfc_conv2d_add_s8")]
    assert fused
    for lo in fused:
        _, _, fields = lo.extra_structs[0]
        tables = fields["tables"]
        assert isinstance(tables, ConstArray) and any(a is tables for a in lo.arrays)
        want, fast = add_tables(fields)
        assert np.array_equal(tables.data, want) and fields["tables_fast"] == int(fast)


def assert_stack_scratch_bit_exact(tflite: bytes, fused_kernel: str, samples: int, seed: int) -> None:
    """Plan without arena scratch (the kernels fall back to the stack) and compare with TFLM;
    ``fused_kernel`` ops are present and read their ADD tables from flash."""
    from tfcompress.engine.planner import plan_arena

    opt = compile_tflite(tflite, kernels="optimized")
    assert any(lo.kernel == fused_kernel for lo in opt.lowered)
    assert_fused_add_tables_in_flash(opt)
    opt.plan = plan_arena(opt.graph, opt.lowered)
    assert not opt.plan.scratch_offsets and opt.scratch_bytes > 0
    ours, oracle = HostModel(opt), TflmModel(tflite)
    rng = np.random.default_rng(seed)
    for _ in range(samples):
        x = rng.integers(-128, 128, size=opt.input.shape, dtype=np.int8)
        a, b = ours.run(x), oracle.run(x).reshape(opt.output.shape)
        assert np.array_equal(a, b), f"{int((a != b).sum())} elements differ"
