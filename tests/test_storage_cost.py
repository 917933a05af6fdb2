"""The code- and speed-aware weight storage (compressed_weights.py least_flash / keep_fast, the data
in storage_cost.py): smallest flash counts the kernel code a storage links; balanced returns a slow
layer to int8 where that pays; the tables name the optimised set's kernels."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from helpers.engine_checks import assert_matches_tflm
from helpers.keras_models import to_int8_tflite

from tfcompress.engine import storage_cost, weight_policy
from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.optimized import KERNEL_SET


def test_tables_name_the_optimised_kernels() -> None:
    """Every kernel of the cost tables is one the optimised set runs, from the source it names, and
    every source's all-kernels figure is at most the sum of its kernels and at least the largest."""
    from tfcompress.engine.optable import reference_kernels

    sources = {**reference_kernels(), **{k: v.source for k, v in KERNEL_SET.variants.items()}}
    assert set(storage_cost.INSTRUCTIONS) <= set(storage_cost.KERNEL_CODE)
    for kernel, (source, o2, os_) in storage_cost.KERNEL_CODE.items():
        assert sources.get(kernel) == source, kernel
        assert 0 < os_ and 0 < o2
    for source, both in storage_cost.SOURCE_CODE.items():
        mine = [v for v in storage_cost.KERNEL_CODE.values() if v[0] == source]
        for col in (0, 1):
            assert max(v[1 + col] for v in mine) <= both[col] <= sum(v[1 + col] for v in mine), source
    # shared helpers count once: two decoding kernels of one source cost less than their sum
    dec = ["tfc_conv2d_s8_dec_w4", "tfc_conv2d_s8_dec_sp", "tfc_conv2d_add_s8_dec_w4"]
    assert storage_cost.code_bytes(dec) < sum(storage_cost.KERNEL_CODE[k][1] for k in dec)
    assert storage_cost.code_bytes(["tfc_fully_connected_s8"], "-Os") < storage_cost.code_bytes(
        ["tfc_fully_connected_s8"], "-O2")
    assert storage_cost.code_bytes(["no_such_kernel"]) == 0


REFRESH = "python benchmarks/storage_cost_refresh.py"


def test_tables_were_measured_from_the_current_kernel_sources() -> None:
    """Every source of the code tables still has the fingerprint (its code and headers) the tables
    were measured from: a kernel changed since fails, naming the kernels and the refresh command."""
    from tfcompress.engine.kernel_sources import fingerprint

    assert set(storage_cost.MEASURED_FROM) == set(storage_cost.SOURCE_CODE), f"run {REFRESH}"
    stale = sorted(s for s, h in storage_cost.MEASURED_FROM.items() if fingerprint(s) != h)
    kernels = sorted(k for k, v in storage_cost.KERNEL_CODE.items() if v[0] in stale)
    assert not stale, (f"kernel code changed since storage_cost.py's tables were measured: {', '.join(kernels)} "
                       f"({', '.join(stale)}); remeasure them: {REFRESH}")


def test_fingerprint_follows_code_and_headers_not_comments(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kernel's fingerprint covers its source and the engine headers it includes (generated ones
    too): code changes there change it, comments and blank lines do not."""
    from tfcompress.engine import kernel_sources

    source = "optimized/fully_connected_s8_cb_w4_opt.c"
    names = kernel_sources.files(source)
    assert {"optimized/tfc_fc_opt.h", "optimized/tfc_dsp.h", "tfc_kernels.h", "optimized/tfc_limits.h"} <= set(names)
    for name, text in names.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "optimized/tfc_limits.h").unlink()  # generated: found among the set's headers
    monkeypatch.setattr(kernel_sources, "_engine", lambda: tmp_path)
    before = kernel_sources.fingerprint(source)
    header = tmp_path / "optimized/tfc_fc_opt.h"
    header.write_text(header.read_text() + "\n/* a note */\n// another\n\n")
    assert kernel_sources.fingerprint(source) == before
    header.write_text(header.read_text() + "static inline int tfc_touch(void) { return 1; }\n")
    assert kernel_sources.fingerprint(source) != before


def test_refresh_rewrites_only_the_generated_block() -> None:
    """The refresh script's block (benchmarks/storage_cost_refresh.py ``render``) replaces the one in
    storage_cost.py and reads back as the tables it was given; the rest of the file is kept."""
    import importlib.util
    import sys
    from pathlib import Path

    bench = Path(__file__).resolve().parents[1] / "benchmarks"
    sys.path.insert(0, str(bench))
    try:
        spec = importlib.util.spec_from_file_location("storage_cost_refresh", bench / "storage_cost_refresh.py")
        refresh = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(refresh)
    finally:
        sys.path.remove(str(bench))
    t = dict(instructions={"k_a": dict(row=(12.0, 0.5, 3.25, 0.0), shapes=3, worst=0.125)},
             code={"k_a": ("optimized/x.c", 100, 80)}, sources={"optimized/x.c": (100, 80)},
             fingerprints={"optimized/x.c": "0123456789ab"})
    text = Path(storage_cost.__file__).read_text()
    new = refresh.rewrite(text, refresh.render(t, "mps2-an500"))
    start, end = new.index(refresh.BEGIN), new.index(refresh.END)
    assert new[:start] == text[:text.index(refresh.BEGIN)] and new[end:] == text[text.index(refresh.END):]
    ns: dict = {}
    exec(new[start:end], ns)
    assert ns["INSTRUCTIONS"] == {"k_a": (12, 0.5, 3.25, 0.0)} and ns["KERNEL_CODE"] == t["code"]
    assert ns["SOURCE_CODE"] == t["sources"] and ns["MEASURED_FROM"] == t["fingerprints"]
    assert "# 3 shapes, worst 12%" in new


def _clustered(w: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``w`` with 16 values per output channel (last axis), each channel its own."""
    out = np.empty_like(w)
    for c in range(w.shape[-1]):
        out[..., c] = rng.choice(rng.uniform(-1, 1, 16), size=w[..., c].shape)
    return out


@pytest.fixture(scope="module")
def mixed_tflite() -> bytes:
    """A one-channel first conv (pruned: on the first-layer kernel under balanced, on the sparse
    decoding kernel, over twice the dense first-conv kernel's instructions, under size), two pruned 3x3 convs (the sparse decoder is linked anyway; 20 KB of int8
    weights, so the compressed model is smaller than int8 with the kernels' code), a tiny clustered
    1x1 conv (32 -> 4: its 4-bit form, 16 codebook entries per channel, is not smaller than int8) and a dense layer."""
    from tfcompress.tfenv import keras

    K = keras()
    L = K.layers
    rng = np.random.default_rng(3)
    inp = K.Input((32, 32, 1))
    a = L.Conv2D(16, 3, activation="relu")
    b, b2 = (L.Conv2D(n, 3, strides=2, activation="relu") for n in (64, 32))
    c = L.Conv2D(4, 1)
    x = c(b2(b(a(inp))))
    model = K.Model(inp, L.Dense(4)(L.Flatten()(x)))
    for layer, kind in ((a, "prune"), (b, "prune"), (b2, "prune"), (c, "cluster")):
        w, bias = layer.get_weights()
        w = w * (rng.random(w.shape) < 0.5) if kind == "prune" else _clustered(w, rng)
        layer.set_weights([w, bias])
    return to_int8_tflite(model, seed=4)


def _convs(model) -> list[str]:
    return [lo.kernel for lo in model.lowered if lo.kernel.startswith("tfc_conv2d")]


def test_balanced_compresses_every_conv_and_links_no_dense_conv_code(mixed_tflite: bytes) -> None:
    balanced = compile_tflite(mixed_tflite, kernels="optimized", compress_weights=True)
    convs = _convs(balanced)
    # the first conv decodes into the first-layer kernel (as fast as dense: no speed rule fires); the
    # tiny 1x1 conv compressed although larger: int8 would link the dense conv kernels (~10 KB at -O2)
    assert convs[0] == "tfc_conv2d_s8_first_sp" and all("_dec_" in k for k in convs[1:]), convs
    assert "tfc_conv2d_s8" not in convs
    assert_matches_tflm(balanced, mixed_tflite, samples=3)
    size = compile_tflite(mixed_tflite, kernels="optimized", compress_weights=True, optimize="size")
    # size: no first-layer kernel's code, and at -Os the dense 1x1 conv's code (3 KB) is below what its
    # 4-bit kernel adds
    assert _convs(size)[0].endswith("_dec_sp") and _convs(size)[-1] in ("tfc_conv2d_s8", "tfc_conv2d_s8_pw")
    assert size.weights_bytes < balanced.weights_bytes


def test_rules_are_what_decide(mixed_tflite: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """A first conv predicted slower than its goal goes back to int8 (its share of instructions saved
    outweighs the flash: the first-layer kernel's code is linked either way); without the speed rule
    it stays compressed; without counting code the 1x1 conv stays int8 (its 4-bit form is larger)
    and links the dense conv kernel."""
    def convs() -> list[str]:
        return _convs(compile_tflite(mixed_tflite, kernels="optimized", compress_weights=True))

    bal = weight_policy.PREFERENCES["balanced"]
    monkeypatch.setitem(storage_cost.INSTRUCTIONS, "tfc_conv2d_s8_first_sp", (0, 6.0, 0.0, 0.0))
    assert convs()[0] == "tfc_conv2d_s8_first"
    monkeypatch.setitem(weight_policy.PREFERENCES, "balanced", dataclasses.replace(bal, speed_elasticity=None))
    assert convs()[0] == "tfc_conv2d_s8_first_sp"
    monkeypatch.setitem(weight_policy.PREFERENCES, "balanced",
                        dataclasses.replace(bal, speed_elasticity=None, count_code=False))
    got = convs()
    assert got[0] == "tfc_conv2d_s8_first_sp" and got[-1] in ("tfc_conv2d_s8", "tfc_conv2d_s8_pw"), got
    # the reference set has no cost data: its choice is by weight bytes alone
    monkeypatch.setitem(weight_policy.PREFERENCES, "balanced", bal)
    ref = compile_tflite(mixed_tflite, kernels="reference", compress_weights=True)
    assert _convs(ref)[-1] == "tfc_conv2d_s8"
