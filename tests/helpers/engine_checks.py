"""Bit-exactness checks shared by the engine tests: engine builds against each other and TFLM."""

from __future__ import annotations

import numpy as np

from tfcompress.engine import compile_tflite
from tfcompress.engine.host import HostModel
from tfcompress.engine.tflm import TflmModel

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


def assert_matches_tflm(model, tflite: bytes, samples: int = 6) -> None:
    """A compiled ``model`` (as modified by the test) == TFLM on random int8 inputs."""
    ours, ref = HostModel(model), TflmModel(tflite)
    rng = np.random.default_rng(7)
    for _ in range(samples):
        x = rng.integers(-128, 128, size=model.input.shape, dtype=np.int8)
        a, b = ours.run(x), ref.run(x)
        assert np.array_equal(a, b.reshape(a.shape)), f"{int((a != b.reshape(a.shape)).sum())} elements differ"


def assert_stack_scratch_and_runtime_tables_bit_exact(tflite: bytes, fused_kernel: str, samples: int,
                                                      seed: int) -> None:
    """Plan without arena scratch (kernels fall back to the stack), drop the precomputed ADD tables
    of ``fused_kernel`` ops (computed at run time), and compare with TFLM."""
    import dataclasses

    from tfcompress.engine.planner import plan_arena

    opt = compile_tflite(tflite, kernels="optimized")
    opt.plan = plan_arena(opt.graph, opt.lowered)
    assert not opt.plan.scratch_offsets and opt.scratch_bytes > 0
    lowered = []
    for lo in opt.lowered:
        if lo.kernel == fused_kernel:
            struct, name, fields = lo.extra_structs[0]
            lo = dataclasses.replace(lo, extra_structs=[(struct, name, dict(fields, tables=0, tables_fast=0))],
                                     arrays=[a for a in lo.arrays if a is not fields["tables"]])
        lowered.append(lo)
    opt.lowered = lowered
    ours, oracle = HostModel(opt), TflmModel(tflite)
    rng = np.random.default_rng(seed)
    for _ in range(samples):
        x = rng.integers(-128, 128, size=opt.input.shape, dtype=np.int8)
        a, b = ours.run(x), oracle.run(x).reshape(opt.output.shape)
        assert np.array_equal(a, b), f"{int((a != b).sum())} elements differ"
