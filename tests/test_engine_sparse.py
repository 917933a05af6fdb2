"""Sparse weights for pruned layers (compile_tflite(..., compress_weights=True)): bitmap + non-zero
values, smaller than int8, bit-exact with TFLM in both kernel sets."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import require_tool
from helpers.engine_checks import SAN_FLAGS, assert_matches_tflm
from helpers.keras_models import to_int8_tflite

from tfcompress.engine import weights_sparse
from tfcompress.engine.compiler import compile_tflite
from tfcompress.tflm import TflmModel


@pytest.fixture(scope="module")
def pruned_tflite() -> bytes:
    """conv, residual conv/ADD, depthwise (multiplier 2), dense layers; 75% of every kernel zeroed
    by magnitude (what pruning leaves), K not a multiple of 8 anywhere."""
    from tfcompress.tfenv import keras

    K = keras()
    L = K.layers
    K.utils.set_random_seed(11)
    inp = K.Input((10, 10, 3))
    x = L.Conv2D(12, 3, padding="same", activation="relu")(inp)                 # K = 27
    y = L.Conv2D(12, 3, padding="same")(x)                                      # fused with the ADD
    x = L.Add()([x, y])
    x = L.DepthwiseConv2D(3, strides=2, depth_multiplier=2, padding="same", activation="relu6")(x)
    x = L.Conv2D(20, 1, activation="relu")(x)
    x = L.Flatten()(x)
    x = L.Dense(21, activation="relu")(x)
    x = L.Dense(5)(x)
    model = K.Model(inp, x)
    for layer in model.layers:
        if layer.get_weights():
            w, b = layer.get_weights()
            cut = np.quantile(np.abs(w), 0.75)
            layer.set_weights([np.where(np.abs(w) > cut, w, 0.0).astype(np.float32), b + 0.1])
    return to_int8_tflite(model, seed=12)


@pytest.mark.parametrize("kernels", ["reference", "optimized"])
@pytest.mark.usefixtures("smallest_storage")
def test_pruned_weights_stored_sparse_and_bit_exact(pruned_tflite: bytes, kernels: str) -> None:
    plain = compile_tflite(pruned_tflite, kernels=kernels)
    sparse = compile_tflite(pruned_tflite, kernels=kernels, compress_weights=True)
    kinds = {lo.kernel for lo in sparse.lowered}
    conv = "_dec_sp" if kernels == "optimized" else "_sp"  # the optimised set decodes per channel block
    assert {f"tfc_conv2d_s8{conv}", f"tfc_conv2d_add_s8{conv}", "tfc_depthwise_conv2d_s8_sp",
            "tfc_fully_connected_s8_sp"} <= kinds, kinds
    assert sparse.info()["compressed_layers"] >= 5
    w_plain = sum(lo.fields["weights"].data.nbytes for lo in plain.lowered if "weights" in lo.fields
                  and lo.kernel.startswith(("tfc_conv", "tfc_depthwise", "tfc_fully")))
    w_sparse = sum(lo.fields["weights"].data.nbytes + lo.fields["sp_bitmap"].data.nbytes
                   for lo in sparse.lowered if lo.kernel.endswith("_sp"))
    assert w_sparse <= 0.45 * w_plain, (w_sparse, w_plain)  # 1/8 + 1/4 of int8, plus rounding
    assert sparse.weights_bytes < plain.weights_bytes
    assert_matches_tflm(sparse, pruned_tflite)


def test_sparse_encoding_round_trip(pruned_tflite: bytes) -> None:
    model = compile_tflite(pruned_tflite)
    for lo in model.lowered:
        if lo.kernel not in weights_sparse.SP_KERNELS:
            continue
        rows = weights_sparse.rows(lo)
        enc = weights_sparse.encode(lo)
        assert enc.bitmap.size == rows.shape[0] * ((rows.shape[1] + 7) // 8)
        assert np.array_equal(weights_sparse.decode(weights_sparse.sparse_op(lo, enc)), rows)


def test_dense_layers_stay_int8() -> None:
    """A layer without zeros keeps its int8 weights (sparse storage only where it is smaller)."""
    from tfcompress.tfenv import keras

    K = keras()
    K.utils.set_random_seed(2)
    inp = K.Input((6, 6, 2))
    x = K.layers.Conv2D(4, 3)(inp)
    model = K.Model(inp, K.layers.Dense(3)(K.layers.Flatten()(x)))
    tflite = to_int8_tflite(model, seed=1)
    m = compile_tflite(tflite, compress_weights=True)
    assert not any(lo.kernel.endswith("_sp") for lo in m.lowered)


@pytest.mark.emulated
@pytest.mark.usefixtures("smallest_storage")
def test_sparse_firmware_smaller_and_bit_exact_on_qemu(pruned_tflite: bytes, tmp_path) -> None:
    """The ARM build of the _sp kernels: 0 mismatches on QEMU, and --compress-weights shrinks the
    firmware's flash."""
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi libnewlib-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")
    from click.testing import CliRunner

    from tfcompress.cli import main

    model = tmp_path / "pruned.tflite"
    model.write_bytes(pruned_tflite)
    runs = {}
    for flag in ([], ["--compress-weights"]):
        r = CliRunner().invoke(main, ["validate", str(model), "--board", "mps2-an500", "--samples", "3", "--json", *flag])
        assert r.exit_code == 0, r.output
        runs[bool(flag)] = json.loads(r.stdout)
    assert runs[True]["mismatched_elements"] == 0
    assert runs[True]["weights_bytes"] < 0.6 * runs[False]["weights_bytes"]
    assert runs[True]["flash_bytes"] < runs[False]["flash_bytes"]


@pytest.mark.parametrize("kernels", ["reference", "optimized"])
@pytest.mark.usefixtures("smallest_storage")
def test_sparse_kernels_clean_under_asan_ubsan(pruned_tflite: bytes, tmp_path, kernels: str) -> None:
    """The _sp kernels (window scratch on the stack and in the arena) under ASan + UBSan."""
    import subprocess

    from tfcompress.engine.host import build_executable
    from tfcompress.engine.planner import plan_arena

    require_tool("cc", "build-essential")
    model = compile_tflite(pruned_tflite, kernels=kernels, compress_weights=True)
    if kernels == "reference":  # window scratch on the stack
        model.plan = plan_arena(model.graph, model.lowered)
    else:  # window scratch in the arena
        model.plan = plan_arena(model.graph, model.lowered, scratch=True)
    sparse_convs = {k for k, lo in enumerate(model.lowered) if lo.kernel.startswith("tfc_conv2d") and lo.scratch}
    assert sparse_convs and (sparse_convs <= set(model.plan.scratch_offsets)) == (kernels == "optimized")
    exe = build_executable(model, tmp_path / "build", SAN_FLAGS)
    x = np.random.default_rng(4).integers(-128, 128, size=model.input.shape, dtype=np.int8)
    (tmp_path / "in.bin").write_bytes(x.tobytes())
    proc = subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "runtime error" not in proc.stderr, proc.stderr[-3000:]
    out = np.frombuffer((tmp_path / "out.bin").read_bytes(), dtype=np.int8)
    assert np.array_equal(out, TflmModel(pruned_tflite).run(x).reshape(-1))
