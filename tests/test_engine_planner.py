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
