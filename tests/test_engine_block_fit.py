"""Blocks and bands of the decoding convs chosen against the peak RAM (optimized/block_fit.py): no
decoding conv's scratch raises the peak where a smaller choice would lower it ("size"), a conv and
the CONV_2D+ADD reading it run banded with decoding kernels, row bands of 4-bit convs; all
identical to TFLM (host build)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.engine_checks import assert_matches_tflm

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.optimized import block_fit, decoded
from tfcompress.engine.planner import best_plan, ram_with_stack


def _conv(m, fb, rng, x: int, shape: list[int], oc: int, stride: int, relu: bool, q_out: tuple[float, int],
          k: int = 3) -> int:
    """CONV_2D kxk SAME of tensor ``x`` (``shape`` NHWC, int8 scale 0.05): per channel 16 weight values
    (4-bit clustered)."""
    n, h, w, ic = shape
    books = rng.integers(-127, 128, size=(oc, 16))
    wq = np.take_along_axis(books, rng.integers(0, 16, size=(oc, k * k * ic)), axis=1).reshape(oc, k, k, ic)
    scales = list(rng.uniform(0.002, 0.004, oc))
    wt = m.tensor(f"w{len(m.tensors)}", [oc, k, k, ic], "int8", scale=scales, zero_point=[0] * oc,
                  data=wq.astype(np.int8))
    b = m.tensor(f"b{len(m.tensors)}", [oc], "int32", scale=[0.05 * s for s in scales], zero_point=[0] * oc,
                 data=rng.integers(-2000, 2000, oc).astype(np.int32))
    y = m.tensor(f"y{len(m.tensors)}", [n, -(-h // stride), -(-w // stride), oc], "int8", scale=q_out[0],
                 zero_point=q_out[1])
    opts = fb.Conv2DOptionsT()
    opts.padding, opts.strideW, opts.strideH = fb.Padding.SAME, stride, stride
    opts.dilationWFactor = opts.dilationHFactor = 1
    opts.fusedActivationFunction = fb.ActivationFunctionType.RELU if relu else fb.ActivationFunctionType.NONE
    m.op("CONV_2D", [x, wt, b], [y], opts, "Conv2DOptions")
    return y


@pytest.fixture(scope="module")
def block_tflite() -> bytes:
    """A stem conv, a ResNet-like block (conv, conv + ADD of its input) and two wider convs, every conv's weights
    16 values per channel (4-bit), written straight into a flatbuffer (no converter)."""
    from helpers.flatmodel import FlatModel

    rng = np.random.default_rng(5)
    m = FlatModel()
    fb = m.fb
    q = (0.05, -128)
    x = m.tensor("x", [1, 16, 16, 8], "int8", scale=0.05, zero_point=0)
    stem = _conv(m, fb, rng, x, [1, 16, 16, 8], 16, 1, True, q)
    a = _conv(m, fb, rng, stem, [1, 16, 16, 16], 16, 1, True, q)
    c = _conv(m, fb, rng, a, [1, 16, 16, 16], 16, 1, False, (0.05, 0))
    s = m.tensor("s", [1, 16, 16, 16], "int8", scale=0.08, zero_point=-128)
    m.op("ADD", [stem, c], [s], fb.AddOptionsT(), "AddOptions")
    d = _conv(m, fb, rng, s, [1, 16, 16, 16], 32, 2, True, q)
    y = _conv(m, fb, rng, d, [1, 8, 8, 32], 32, 1, False, (0.05, 0))
    return m.finish([x], [y])


def _ram(model, lowered) -> int:
    return ram_with_stack(best_plan(model.graph, lowered)[0], lowered)


@pytest.mark.usefixtures("smallest_storage")
def test_size_no_scratch_above_its_need(block_tflite: bytes) -> None:
    """Under "size" no decoding conv's choice raises the peak: each one at its least scratch gives no
    lower RAM; the block's conv pair runs banded on the decoding kernels; identical to TFLM."""
    model = compile_tflite(block_tflite, kernels="optimized", compress_weights=True, optimize="size")
    bands = [lo for lo in model.lowered if lo.kernel == "tfc_band_s8"]
    assert bands and all(p.kernel.endswith("_dec_w4") for p in bands[0].parts), [lo.kernel for lo in model.lowered]
    dec = [k for k, lo in enumerate(model.lowered) if lo.kernel.endswith("_dec_w4")]
    assert dec
    ram = _ram(model, model.lowered)
    assert ram == model.ram_bytes
    for k in dec:
        lo = model.lowered[k]
        least = [*model.lowered[:k], decoded.with_block(lo, *block_fit.least(lo)), *model.lowered[k + 1:]]
        assert _ram(model, least) >= ram, (k, lo.fields["rq"].data[:3])
    assert any(int(model.lowered[k].fields["rq"].data[2]) > 0 for k in dec)  # 4-bit row bands
    assert_matches_tflm(model, block_tflite, samples=2)


@pytest.mark.usefixtures("smallest_storage")
def test_balanced_keeps_speed_rule(block_tflite: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """"balanced" keeps every 4-bit decoding conv within the speed rule of its goal (block_fit.BLOCK_COST),
    and its peak no higher than the blocks as prepared (no fitting)."""
    import dataclasses

    from tfcompress.engine import weight_policy
    from tfcompress.engine.macs import op_macs

    bal = compile_tflite(block_tflite, kernels="optimized", compress_weights=True, optimize="balanced")
    convs = [(p, -(-int(lo.parts[1].fields["out_h"]) // int(lo.fields["band"])) if lo.parts else 1)
             for lo in bal.lowered for p in (lo.parts or [lo]) if "_dec_" in p.kernel]
    assert len(convs) == 5  # the stem's 8 input channels: a decoding conv too
    for lo, calls in convs:  # 4-bit goal 1.25x dense: at most 0.11 block-dependent instructions per MAC
        rq = lo.fields["rq"].data
        assert decoded.cost(lo, int(rq[1]), int(rq[2]), calls) <= 0.11 * op_macs(lo), (lo.op.index, rq[:3], calls)
    pref = dataclasses.replace(weight_policy.PREFERENCES["balanced"], ram_slack=None)
    monkeypatch.setitem(weight_policy.PREFERENCES, "balanced", pref)
    prepared = compile_tflite(block_tflite, kernels="optimized", compress_weights=True, optimize="balanced")
    assert bal.ram_bytes <= prepared.ram_bytes


@pytest.fixture(scope="module")
def shortcut_tflite() -> bytes:
    """A ResNet block with a 1x1 stride-2 conv shortcut, converted in TFLite's order (main branch,
    then the shortcut, then the ADD)."""
    from helpers.flatmodel import FlatModel

    rng = np.random.default_rng(9)
    m = FlatModel()
    fb = m.fb
    q = (0.05, -128)
    x = m.tensor("x", [1, 16, 16, 8], "int8", scale=0.05, zero_point=0)
    stem = _conv(m, fb, rng, x, [1, 16, 16, 8], 16, 1, True, q)
    a = _conv(m, fb, rng, stem, [1, 16, 16, 16], 32, 2, True, q)
    b = _conv(m, fb, rng, a, [1, 8, 8, 32], 32, 1, False, (0.05, 0))
    s = _conv(m, fb, rng, stem, [1, 16, 16, 16], 32, 2, False, (0.06, 3), k=1)
    y = m.tensor("y", [1, 8, 8, 32], "int8", scale=0.08, zero_point=-128)
    m.op("ADD", [b, s], [y], fb.AddOptionsT(), "AddOptions")
    return m.finish([x], [y])


@pytest.mark.parametrize("kernels", ["reference", "optimized"])
def test_late_shortcut_where_it_lowers_the_peak(shortcut_tflite: bytes, kernels: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiler keeps the op order with the lower peak RAM: here (reference kernels) the shortcut
    conv just before the main branch's last conv, which takes the fused ADD in place over the
    shortcut's output; with the optimised kernels' scratch TFLite's order; identical to TFLM."""
    from tfcompress.engine import compiler

    model = compile_tflite(shortcut_tflite, kernels=kernels)
    monkeypatch.setattr(compiler, "late_shortcuts", lambda g, lowered: lowered)
    tflite_order = compile_tflite(shortcut_tflite, kernels=kernels)
    assert [lo.op.index for lo in tflite_order.lowered][:3] == [0, 1, 2]
    assert model.ram_bytes <= tflite_order.ram_bytes
    if kernels == "reference":
        order = [(lo.op.index, lo.kernel) for lo in model.lowered]
        assert [i for i, _ in order[:4]] == [0, 1, 3, 2], order  # stem, conv a, shortcut, conv b + ADD
        assert "conv2d_add" in order[3][1] and [op.index for op in model.lowered[3].fused] == [4]
        assert model.ram_bytes < tflite_order.ram_bytes
    assert_matches_tflm(model, shortcut_tflite, samples=2)
