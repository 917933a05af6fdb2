"""Arena planning: overlap offsets are safe (simulated read/write order) and plans never collide."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.overlap import window_overlap
from tfcompress.engine.quant import same_padding


def _simulate(ih, iw, c, oc, k, s, d, pad, delta) -> bool:
    """Run a windowed op's access order on a byte map; False if a read hits a clobbered byte."""
    kh, kw = k
    oh = (ih + 2 * pad[0] - ((kh - 1) * d + 1)) // s + 1
    ow = (iw + 2 * pad[1] - ((kw - 1) * d + 1)) // s + 1
    if oh <= 0 or ow <= 0:
        return True
    clobbered = np.zeros(ih * iw * c + oh * ow * oc + abs(delta) + 8, dtype=bool)
    base = max(0, -delta)  # input offset; output at base + delta >= 0
    for oy in range(oh):
        for ox in range(ow):
            # strict: the reference kernels write a pixel's first channels before re-reading its window
            out = base + delta + (oy * ow + ox) * oc
            clobbered[out:out + oc] = True
            for ky in range(kh):
                for kx in range(kw):
                    y, x = oy * s - pad[0] + ky * d, ox * s - pad[1] + kx * d
                    if 0 <= y < ih and 0 <= x < iw:
                        start = base + (y * iw + x) * c
                        if clobbered[start:start + c].any():
                            return False
    return True


@settings(max_examples=150, derandomize=True, deadline=None, database=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 4), st.integers(1, 5), st.integers(1, 3),
       st.integers(1, 3), st.integers(1, 2), st.integers(1, 2), st.booleans())
def test_window_overlap_is_safe_and_tight(ih, iw, c, oc, kh, kw, s, d, same) -> None:
    eff_h, eff_w = (kh - 1) * d + 1, (kw - 1) * d + 1
    if not same and (ih < eff_h or iw < eff_w):
        return
    oh = -(-ih // s) if same else (ih - eff_h) // s + 1
    ow = -(-iw // s) if same else (iw - eff_w) // s + 1
    pad = (same_padding(ih, oh, s, kh, d), same_padding(iw, ow, s, kw, d))
    delta = window_overlap((ih, iw), c, (oh, ow), oc, (kh, kw), (s, s), (d, d), pad)
    delta = min(delta, ih * iw * c)
    assert _simulate(ih, iw, c, oc, (kh, kw), s, d, pad, delta)


def _check_plan(model) -> None:
    plan = model.plan
    declared = {(a, b) for a, b, _ in plan.overlaps} | {(b, a) for a, b, _ in plan.overlaps}
    bufs = plan.buffers
    for i, a in enumerate(bufs):
        for b in bufs[i + 1:]:
            if (a.id, b.id) in declared:
                continue
            oa, ob = plan.offsets[a.tensors[0]], plan.offsets[b.tensors[0]]
            live = a.start <= b.end and b.start <= a.end
            assert not (live and oa < ob + b.size and ob < oa + a.size), (a, b)
        assert plan.offsets[a.tensors[0]] + a.size <= plan.arena_bytes


@pytest.mark.parametrize("name", ["ic_resnet8_int8.tflite", "vww_mobilenet_int8.tflite",
                                  "kws_dscnn_int8.tflite", "ad_autoencoder_int8.tflite"])
def test_mlperf_plans_have_no_collisions(mlperf_models: Path, name: str) -> None:
    model = compile_tflite(mlperf_models / name)
    _check_plan(model)
    plain = compile_tflite(mlperf_models / name, overlap=False, fuse=False)
    _check_plan(plain)
    assert model.ram_bytes <= plain.ram_bytes == plain.plan.greedy_bytes


@st.composite
def _layouts(draw: st.DrawFn) -> tuple[list, list[dict[int, int]]]:
    """Random buffers (4-byte sizes, some empty, lifetimes over 6 steps) grouped into rigid blocks."""
    from tfcompress.engine.planner import Buffer

    n = draw(st.integers(1, 9))
    buffers = []
    for i in range(n):
        start = draw(st.integers(0, 5))
        buffers.append(Buffer(i, [i], 4 * draw(st.integers(0, 6)), start, start + draw(st.integers(0, 3))))
    ids = draw(st.permutations(range(n)))
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=n - 1))) if n > 1 else []
    blocks = []
    for a, b in zip([0, *cuts], [*cuts, n], strict=True):
        blocks.append({m: 4 * draw(st.integers(-3, 3)) for m in ids[a:b]})
    return buffers, blocks


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(_layouts())
def test_greedy_places_each_block_at_its_lowest_free_base(layout) -> None:
    """_place against a plain scan of every base: in size order, each block lands at the lowest base
    (>= the one that keeps its offsets non-negative) where no member meets a live placed buffer."""
    from tfcompress.engine.planner import _place

    buffers, blocks = layout
    order = sorted(blocks, key=lambda blk: (-max(buffers[m].size for m in blk), min(buffers[m].start for m in blk)))
    want: dict[int, int] = {}
    for blk in order:
        base = -min(blk.values())
        while any(buffers[m].start <= buffers[p].end and buffers[p].start <= buffers[m].end
                  and base + r < want[p] + buffers[p].size and want[p] < base + r + buffers[m].size
                  for m, r in blk.items() for p in want):
            base += 1
        want.update({m: base + r for m, r in blk.items()})
    offsets, arena = _place(buffers, blocks)
    assert offsets == want
    assert arena == max(want[b.id] + b.size for b in buffers)
