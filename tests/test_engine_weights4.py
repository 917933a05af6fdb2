"""4-bit weights for clustered layers (compile_tflite(..., compress_weights=True)): smaller, bit-exact."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.engine_checks import assert_matches_tflm
from helpers.keras_models import build_keras, to_int8_tflite

from tfcompress.engine import compressed_weights, weights4
from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.optimized import fc_compressed


@pytest.fixture(scope="module")
def clustered_tflite() -> bytes:
    """conv + residual conv/ADD + depthwise + dense, 16 clusters (tfmot, stripped), int8."""
    from tfcompress.tfenv import keras, tfmot

    K = keras()
    L = K.layers
    init = K.initializers.RandomNormal(stddev=0.3, seed=3)
    binit = K.initializers.RandomUniform(-0.5, 0.5, seed=4)
    inp = K.Input((12, 12, 3))
    x = L.Conv2D(16, 3, padding="same", activation="relu", kernel_initializer=init, bias_initializer=binit)(inp)
    y = L.Conv2D(16, 3, padding="same", kernel_initializer=init, bias_initializer=binit)(x)
    x = L.Add()([x, y])
    x = L.DepthwiseConv2D(3, strides=2, padding="same", activation="relu", depthwise_initializer=init,
                          bias_initializer=binit)(x)
    x = L.Conv2D(24, 3, padding="same", activation="relu", kernel_initializer=init, bias_initializer=binit)(x)
    x = L.Flatten()(x)
    x = L.Dense(32, activation="relu", kernel_initializer=init, bias_initializer=binit)(x)
    x = L.Dense(10, kernel_initializer=init, bias_initializer=binit)(x)
    cl = tfmot().clustering.keras
    wrapped = cl.cluster_weights(K.Model(inp, x), number_of_clusters=16,
                                 cluster_centroids_init=cl.CentroidInitialization.KMEANS_PLUS_PLUS)
    return to_int8_tflite(cl.strip_clustering(wrapped), seed=5)


@pytest.mark.parametrize("kernels", ["reference", "optimized"])
@pytest.mark.usefixtures("smallest_storage")
def test_clustered_weights_compressed_and_bit_exact(clustered_tflite: bytes, kernels: str) -> None:
    plain = compile_tflite(clustered_tflite, kernels=kernels)
    packed = compile_tflite(clustered_tflite, kernels=kernels, compress_weights=True)
    kinds = {lo.kernel for lo in packed.lowered}
    # the optimised set runs the 32 -> 10 head on the row kernel (its index-byte tables would not pay)
    assert ("tfc_fully_connected_s8_w4" if kernels == "reference" else fc_compressed.W4_ROW) in kinds
    conv = "_dec_w4" if kernels == "optimized" else "_w4"  # the optimised set decodes per channel block
    assert f"tfc_conv2d_s8{conv}" in kinds or f"tfc_conv2d_add_s8{conv}" in kinds
    # the optimised 4-bit FULLY_CONNECTED's lookup tables are flash spent on speed (~1.7x dense
    # instead of ~12x, engine/optimized/fc_compressed.py); the storage itself halves the weights
    tables = sum(lo.array("codebook").data.nbytes for lo in packed.lowered if lo.kernel == fc_compressed.W4_LUT)
    assert tables <= 0.06 * plain.weights_bytes, (tables, plain.weights_bytes)
    assert packed.weights_bytes - tables <= 0.55 * plain.weights_bytes, (packed.weights_bytes, plain.weights_bytes)
    assert packed.info()["compressed_layers"] >= 3
    if kernels == "reference":  # activations untouched (optimised 4-bit convs need more scratch)
        assert plain.plan.offsets == packed.plan.offsets
    assert_matches_tflm(packed, clustered_tflite)


@pytest.mark.parametrize("layout", ["merged", "per_channel"])
def test_every_eligible_layer_forced_bit_exact(clustered_tflite: bytes, layout: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Forcing 4-bit storage on every layer with <= 16 values per channel (depthwise 3x3 included,
    where it does not pay) exercises each _w4 kernel, the fused CONV_2D+ADD one too, with merged
    codebooks (shared / indexed) or one codebook per channel."""
    if layout == "per_channel":
        monkeypatch.setattr(weights4, "_books", lambda sets: (sets, np.arange(len(sets))))
    model = compile_tflite(clustered_tflite)
    model.lowered = compressed_weights.compress_ops(model.lowered, force=True)
    packed = [lo for lo in model.lowered if lo.kernel.endswith("_w4")]
    assert {"tfc_conv2d_s8_w4", "tfc_conv2d_add_s8_w4", "tfc_depthwise_conv2d_s8_w4",
            "tfc_fully_connected_s8_w4"} <= {lo.kernel for lo in packed}
    assert {lo.fields.get("q_step") for lo in packed} >= {1}  # per-channel requantisation kept
    steps = {(lo.fields["cb_step"], lo.fields["cb_index"] != 0) for lo in packed}
    assert steps == ({(0, True), (0, False)} if layout == "merged" else {(16, False)})
    assert_matches_tflm(model, clustered_tflite)


def _five_values_init(K, seed: int):
    """Kernel initialiser drawing from five values, +-1 in every output channel (equal scales)."""
    rng = np.random.default_rng(seed)

    def init(shape, dtype=None):
        w = rng.choice([-1.0, -0.5, 0.25, 0.5, 1.0], size=shape)
        w[0] = 1.0  # every output channel (any layout) holds the largest magnitude
        return K.backend.constant(w, dtype=dtype)

    return init


def test_shared_requantisation_bit_exact() -> None:
    """Layers whose channels all get the same scale keep one multiplier/shift pair (q_step 0):
    weights drawn from five values with +-1 in every channel, forced to 4 bits, vs TFLM."""
    from tfcompress.tfenv import keras

    K = keras()
    L = K.layers
    init = _five_values_init(K, 2)

    inp = K.Input((8, 8, 2))
    x = L.Conv2D(4, 3, padding="same", activation="relu", kernel_initializer=init)(inp)
    y = L.Conv2D(4, 3, padding="same", kernel_initializer=init)(x)
    x = L.Add()([x, y])
    x = L.DepthwiseConv2D(3, strides=2, depthwise_initializer=init)(x)
    x = L.Flatten()(x)
    x = L.Dense(5, kernel_initializer=init)(x)
    tflite = to_int8_tflite(K.Model(inp, x), seed=3)
    model = compile_tflite(tflite)
    model.lowered = compressed_weights.compress_ops(model.lowered, force=True)
    shared = {lo.kernel for lo in model.lowered
              if lo.kernel.endswith("_w4") and (lo.fields.get("q_step") == 0 or lo.fields.get("per_channel") == 0)}
    assert {"tfc_conv2d_s8_w4", "tfc_conv2d_add_s8_w4", "tfc_depthwise_conv2d_s8_w4"} <= shared
    assert_matches_tflm(model, tflite)


@pytest.fixture(scope="module")
def five_values_tflite() -> bytes:
    """CONV_2D (+ADD) shapes of every optimised conv path, weights from five values."""
    from tfcompress.tfenv import keras

    K = keras()
    L = K.layers
    init = _five_values_init(K, 4)
    inp = K.Input((9, 7, 2))
    x = L.Conv2D(5, 3, padding="same", activation="relu", kernel_initializer=init)(inp)  # byte window
    y = L.Conv2D(5, 3, padding="same", kernel_initializer=init)(x)                      # odd channels
    x = L.Add()([x, y])
    x = L.Conv2D(8, 1, activation="relu", kernel_initializer=init)(x)                   # pointwise
    y = L.Conv2D(8, 3, padding="same", kernel_initializer=init)(x)                      # word window
    x = L.Add()([y, x])
    x = L.Conv2D(80, 1, strides=2, activation="relu6", kernel_initializer=init)(x)
    y = L.Conv2D(80, 3, padding="same", kernel_initializer=init)(x)                     # K 720: plain loop
    x = L.Add()([x, y])
    x = L.Flatten()(x)
    x = L.Dense(6, kernel_initializer=init)(x)
    return to_int8_tflite(K.Model(inp, x), seed=4)


def _forcing(monkeypatch: pytest.MonkeyPatch) -> None:
    """compile_tflite(..., compress_weights=True) stores every eligible layer in 4 bits."""
    orig = compressed_weights.compress_ops
    monkeypatch.setattr(compressed_weights, "compress_ops", lambda lowered, force=False: orig(lowered, force=True))


@pytest.mark.usefixtures("smallest_storage")
def test_optimised_4bit_convs_bit_exact(five_values_tflite: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """The optimised kernels' 4-bit CONV_2D / CONV_2D+ADD (decoded per channel block) vs TFLM."""
    _forcing(monkeypatch)
    model = compile_tflite(five_values_tflite, kernels="optimized", compress_weights=True)
    kinds = [lo.kernel for lo in model.lowered]
    assert kinds.count("tfc_conv2d_add_s8_dec_w4") == 3 and kinds.count("tfc_conv2d_s8_dec_w4") == 3
    assert_matches_tflm(model, five_values_tflite)


def test_unclustered_layers_stay_int8() -> None:
    """A layer with more than 16 values in a channel is never compressed."""

    spec = dict(shape=(6, 6, 4), body=[dict(kind="conv", filters=8, k=(3, 3), stride=1, dilation=1,
                                            padding="same", act=None, depth_multiplier=1, pool=2)],
                head="dense", units=5, seed=11)
    tflite = to_int8_tflite(build_keras(spec), seed=11)
    model = compile_tflite(tflite, compress_weights=True)
    assert not any(lo.kernel.endswith("_w4") for lo in model.lowered)


@pytest.mark.usefixtures("smallest_storage")
def test_cli_compress_weights(clustered_tflite: bytes, tmp_path) -> None:
    import json

    from click.testing import CliRunner

    from tfcompress.cli import main

    path = tmp_path / "clustered.tflite"
    path.write_bytes(clustered_tflite)
    res = CliRunner().invoke(main, ["inspect", str(path), "--compress-weights", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["compressed_layers"] >= 3
    res = CliRunner().invoke(main, ["validate", str(path), "--compress-weights", "--samples", "3", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["mismatched_elements"] == 0


@pytest.mark.emulated
@pytest.mark.usefixtures("smallest_storage")
def test_compressed_weights_on_qemu(clustered_tflite: bytes, five_values_tflite: bytes, tmp_path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The _w4 kernels built for Cortex-M7 (mps2-an500, both kernel sets, the optimised 4-bit
    convs' assembly path too): identical to TFLM."""

    from conftest import instructions_benchmark, require_tool

    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")
    bench = instructions_benchmark()
    from tfcompress.boards import load_board

    path = tmp_path / "clustered.tflite"
    path.write_bytes(clustered_tflite)
    for kernels in ("reference", "optimized"):
        r = bench.measure("clustered", kernels, load_board("mps2-an500"), opt="-O2", runs=1, layers=False,
                          keep=None, path=path, compress_weights=True)
        assert r["mismatches"] == 0, kernels
    path = tmp_path / "five_values.tflite"
    path.write_bytes(five_values_tflite)
    _forcing(monkeypatch)
    r = bench.measure("five", "optimized", load_board("mps2-an500"), opt="-O2", runs=1, layers=False, keep=None,
                      path=path, compress_weights=True)
    assert r["mismatches"] == 0


def test_optimized_pair_code_blocks_bit_exact(clustered_tflite: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Optimised 4-bit convs decoded into pair codes (three pixels per pass) in several channel
    blocks each, the fused ADD too, vs TFLM."""
    from tfcompress.engine import weight_policy
    from tfcompress.engine.kernel_limits import RQ_PAIR
    from tfcompress.engine.optimized import decoded

    monkeypatch.setattr(decoded, "BLOCK_BUDGET", 200)
    monkeypatch.setitem(weight_policy.PREFERENCES, "balanced", weight_policy.Preference({}, None))
    model = compile_tflite(clustered_tflite, kernels="optimized", compress_weights=True)
    dec = [lo for lo in model.lowered if lo.kernel.endswith("_dec_w4")]
    assert {lo.kernel for lo in dec} == {"tfc_conv2d_s8_dec_w4", "tfc_conv2d_add_s8_dec_w4"}
    assert all(int(lo.fields["rq"].data[0]) & RQ_PAIR for lo in dec), [lo.fields["rq"].data[:2] for lo in dec]
    assert all(int(lo.fields["rq"].data[1]) < lo.fields["out_c"] for lo in dec)  # several blocks
    assert_matches_tflm(model, clustered_tflite)
