"""Optimised DEPTHWISE_CONV_2D: the channel-planar path (3x3, stride 1/2) and the pixel paths,
bit-exact with the reference kernels and TFLM on small random Keras models.

Widths 1..7 (narrow rows take the pixel path), wider rows for the planar strips and their tails
(1, 2, 3 outputs), rows of exactly three, five, six and 6k outputs (their own assembly strips), strides 1/2, padding same/valid, 4/8/12 channels, ReLU6, a dead channel,
tall inputs whose band buffer is refilled several times, the row shapes with their own band fills
(narrow and wide, also at -Os on QEMU); plus the reference requantisation path, scratch on the
stack and a forced activation clamp.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest
from helpers.engine_checks import same_everywhere
from helpers.keras_models import keras_tflite

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.host import HostModel
from tfcompress.engine.kernel_limits import RQ_FAST, RQ_PLANAR
from tfcompress.engine.optimized.depthwise import planar as dw_planar
from tfcompress.tflm import TflmModel

#: (input h, w, c), [(stride, padding, activation)] of two chained 3x3 depthwise layers
CASES = {
    "w1": ((9, 1, 4), [(1, "same", "relu6"), (2, "same", None)]),
    "w2": ((9, 2, 8), [(1, "same", None), (2, "same", "relu6")]),
    "w3": ((8, 3, 12), [(1, "valid", "relu6"), (1, "same", None)]),
    "w4": ((7, 4, 4), [(1, "same", None), (2, "same", "relu6")]),
    "w5": ((9, 5, 8), [(1, "same", "relu6"), (1, "valid", None)]),
    "w6": ((6, 6, 12), [(2, "valid", None), (1, "same", "relu6")]),
    "w7": ((9, 7, 4), [(1, "same", None), (2, "valid", "relu6")]),
    "w9": ((9, 9, 8), [(1, "same", None), (1, "same", "relu6")]),
    "w17": ((11, 17, 4), [(2, "same", "relu6"), (1, "same", None)]),
    "w22": ((10, 22, 8), [(2, "valid", None), (1, "valid", "relu6")]),
    "w30": ((9, 30, 12), [(2, "same", None), (1, "same", "relu6")]),
    "w19": ((7, 19, 4), [(1, "valid", "relu6"), (2, "same", None)]),
    # rows of five / six outputs (dwp_asm6: one strip per row, stride 1 and 2)
    "r6s1": ((8, 6, 8), [(1, "same", None), (2, "same", "relu6")]),
    "r6s2": ((9, 12, 4), [(2, "same", "relu6"), (1, "same", None)]),
    "r5s2": ((10, 10, 12), [(2, "same", None), (1, "same", "relu6")]),
    "r5s2v": ((9, 11, 4), [(2, "valid", "relu6"), (1, "valid", None)]),
    "r3s2": ((7, 6, 8), [(2, "same", None), (1, "same", "relu6")]),  # rows of three (dwp_asm3)
    "r12": ((8, 12, 4), [(1, "same", None), (2, "same", "relu6")]),  # rows of 6k (dwp_asm6n)
    "r24s2": ((9, 24, 8), [(2, "same", None), (1, "same", None)]),
    "r18": ((7, 18, 4), [(1, "same", None), (1, "valid", "relu6")]),
    # a channel of tiny weights: shifts beyond the immediate-shift slots (dwp_asm6 / dwp_asm6n take
    # rs 3..10 as SSAT immediates, others through the register slot)
    "r5tiny": ((9, 5, 8), [(1, "same", None), (2, "same", None)]),
    "r6tiny": ((8, 12, 8), [(1, "same", None), (2, "same", None)]),
    # band fills without per-row tests: narrow rows (dwp_fill_narrow, DS-CNN-like 5 wide over several
    # bands), wide stride-1 rows with both edges and stride-2 rows of pairs only (dwp_fill_wide)
    "k5": ((30, 5, 8), [(1, "same", None), (1, "same", "relu6")]),
    "m24": ((26, 24, 8), [(1, "same", None), (2, "same", None)]),
    "bands1": ((40, 23, 4), [(1, "same", "relu6"), (1, "same", None)]),
    "bands2": ((40, 33, 8), [(2, "same", None), (1, "valid", "relu6")]),
}


#: cases also run at -Os on QEMU: every shape of the -Os narrow band fill (one loop testing the
#: row's prefix and suffix) and both wide shapes
OS_FILLS = ("k5", "w4", "r3s2", "r6s1", "m24")


def _dead_channel_init(seed: int, tiny: bool = False):
    """Random depthwise kernel with channel 1 all zero (constant output, folded into the rq table);
    ``tiny``: channel 2 scaled by 1e-4 (a large requantisation shift)."""
    def init(shape, dtype=None):
        w = np.random.default_rng(seed).normal(0, 0.5, size=shape).astype(np.float32)
        w[..., 1, :] = 0
        if tiny:
            w[..., 2, :] *= 1e-4
        return w
    return init


def _builder(layers: list, seed: int, tiny: bool = False):
    def build(L, x):
        for i, (stride, padding, act) in enumerate(layers):
            x = L.DepthwiseConv2D(3, strides=stride, padding=padding, activation=act,
                                  depthwise_initializer=_dead_channel_init(seed + i, tiny),
                                  bias_initializer="random_normal")(x)
        return x
    return build


@functools.cache  # the host tests and the QEMU test convert each case once
def _tflite(name: str, seed: int = 7) -> bytes:
    shape, layers = CASES[name]
    return keras_tflite(_builder(layers, seed, name.endswith("tiny")), shape, seed=seed)


def _planar_ops(model) -> int:
    return sum(1 for lo in model.lowered if lo.kernel.startswith("tfc_depthwise_conv2d_s8")
               and int(lo.fields["rq"].data[0]) & RQ_PLANAR)


#: the rows that select their own assembly routine (r*) are checked on QEMU only: host builds run C
@pytest.mark.parametrize("name", [n for n in CASES if not n.startswith("r")])
def test_depthwise_models_bit_exact(name: str) -> None:
    tflite = _tflite(name)
    same_everywhere(tflite, samples=4, seed=2)
    opt = compile_tflite(tflite, kernels="optimized")
    expected = sum(1 for lo in compile_tflite(tflite).lowered
                   if lo.kernel.startswith("tfc_depthwise_conv2d_s8") and dw_planar(lo.fields))
    assert _planar_ops(opt) == expected
    if name.startswith(("w17", "w22", "w30", "w19", "bands")):
        assert expected > 0


def test_taller_bands_within_the_peak(monkeypatch) -> None:
    """bands2's second layer fits in one band of all its rows without raising the peak (rq[1] set on
    an unbanded layer; bit-exact in test_depthwise_models_bit_exact / on QEMU); its first layer's
    taller bands would raise it and stay as the budget makes them. The peak is that of the plan
    without taller bands."""
    from tfcompress.engine.optimized import depthwise

    tflite = _tflite("bands2")
    opt = compile_tflite(tflite, kernels="optimized")
    planar = [lo for lo in opt.lowered if lo.kernel == depthwise.PLANAR_KERNEL]
    full = [(lo.fields["out_h"] - 1) * lo.fields["stride_h"] + 3 for lo in planar]
    assert [int(lo.fields["rq"].data[1]) for lo in planar] == [0, full[1]]
    assert planar[1].scratch == depthwise.scratch(planar[1]) > 0
    monkeypatch.setattr(depthwise, "taller", lambda lo: [])
    base = compile_tflite(tflite, kernels="optimized")
    assert all(int(lo.fields["rq"].data[1]) == 0 for lo in base.lowered if lo.kernel == depthwise.PLANAR_KERNEL)
    assert opt.ram_bytes <= base.ram_bytes


@pytest.mark.parametrize("name", ["r5tiny", "r6tiny"])
def test_tiny_channel_takes_the_register_shift(name: str) -> None:
    """The tiny cases (on QEMU in test_depthwise_models_on_qemu_match_tflm) reach the register-shift
    slot of the five- and six-output strips: a fast planar layer with rs above 10, others within."""
    opt = compile_tflite(_tflite(name), kernels="optimized")
    rq = [lo.fields["rq"].data for lo in opt.lowered if lo.kernel == "tfc_depthwise_conv2d_s8_planar"]
    shifts = [set(int(v) for v in t[4:].reshape(-1, 4)[:, 1]) for t in rq if t[0] & RQ_FAST]
    assert shifts and max(shifts[0]) > 10 and min(shifts[0]) <= 10


def test_planar_reference_requantisation(monkeypatch) -> None:
    """Layers without the proven SMMULR requantisation: plain int16 weights, TFLM's arithmetic."""
    from tfcompress.engine.optimized import requant

    monkeypatch.setattr(requant, "RQ_FAST", 0)
    tflite = _tflite("w30")
    assert _planar_ops(compile_tflite(tflite, kernels="optimized")) == 2
    same_everywhere(tflite, samples=3, seed=3)


def test_planar_scratch_on_the_stack() -> None:
    from tfcompress.engine.planner import plan_arena

    tflite = _tflite("bands2")
    opt = compile_tflite(tflite, kernels="optimized")
    opt.plan = plan_arena(opt.graph, opt.lowered)
    assert not opt.plan.scratch_offsets and opt.scratch_bytes > 0
    ours, oracle = HostModel(opt), TflmModel(tflite)
    rng = np.random.default_rng(4)
    for _ in range(3):
        x = rng.integers(-128, 128, size=opt.input.shape, dtype=np.int8)
        assert np.array_equal(ours.run(x), oracle.run(x).reshape(opt.output.shape))


@pytest.mark.parametrize("name", ["w30", "w5"])
def test_forced_activation_clamp_matches_reference(name: str) -> None:
    """A fused activation narrower than int8 (the clamped planar rows and pixel path): the
    optimised kernels against the reference kernels with the same patched range."""
    tflite = _tflite(name)
    models = [compile_tflite(tflite), compile_tflite(tflite, kernels="optimized")]
    for m in models:
        m.lowered = [dataclasses.replace(lo, fields=dict(lo.fields, act_min=-90, act_max=40))
                     if lo.kernel.startswith("tfc_depthwise_conv2d_s8") else lo for lo in m.lowered]
    ref, opt = (HostModel(m) for m in models)
    rng = np.random.default_rng(6)
    clamped = 0
    for _ in range(4):
        x = rng.integers(-128, 128, size=models[0].input.shape, dtype=np.int8)
        a, b = ref.run(x), opt.run(x)
        assert np.array_equal(a, b), f"{int((a != b).sum())} elements differ"
        clamped += int(np.sum(a == 40) + np.sum(a == -90))
    assert clamped > 0


@pytest.mark.emulated
def test_depthwise_models_on_qemu_match_tflm(qemu_bench, tmp_path) -> None:
    """The DSP build (assembly strips and band fill) on QEMU mps2-an500: every case identical to
    TFLM on the benchmark input."""
    from tfcompress.boards import load_board

    board = load_board("mps2-an500")
    for name in CASES:
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(_tflite(name))
        # -Os: other alignment, and the band fills' -Os forms (narrow rows: k5, w4, r3s2, r6s1; wide: m24)
        for opt in ("-O2", "-Os") if name in ("w30", "bands1", "bands2", *OS_FILLS) else ("-O2",):
            r = qemu_bench.measure(name, "optimized", board, opt=opt, runs=1, layers=False, keep=None, path=path)
            assert r["mismatches"] == 0, (name, opt)
