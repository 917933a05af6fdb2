"""Optimised FULLY_CONNECTED: the fast path (pair codes, bias per block, inputs widened into scratch
where the plan has room, eight-group loop entered by the remainder) bit-exact with TFLM on odd shapes.

Input lengths give every remainder of the eight-group loop (68 -> 17 groups, 32 -> 8, 20 -> 5, 24 -> 6,
12 -> 3, 28 -> 7, 16 -> 4), odd output counts and input tails take the generic path, batch 3 and
per-channel / per-tensor quantisation. Host builds run the portable C; the emulated test runs the
assembly on QEMU (Cortex-M7 and Cortex-M4).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import instructions_benchmark, require_tool
from helpers.engine_checks import same_everywhere

from tfcompress.engine.optimized import fully_connected

WIDTHS = ((32, "relu"), (20, None), (24, "relu"), (12, "relu6"), (28, None), (16, "relu"), (12, None),
          (9, None), (6, None))


def fc_tflite(batch: int, per_tensor: bool, seed: int = 5) -> bytes:
    """A 68-input stack of Dense layers (WIDTHS) with ``batch`` rows, int8."""
    from tfcompress.tfenv import keras, tf

    K, tfm = keras(), tf()
    K.utils.set_random_seed(seed)
    inp = K.Input((68,), batch_size=batch)
    x = inp
    for n, act in WIDTHS:
        x = K.layers.Dense(n, activation=act, bias_initializer=K.initializers.RandomUniform(-0.5, 0.5))(x)
    rng = np.random.default_rng(seed)

    def rep():
        for _ in range(16):
            yield [rng.uniform(-1, 1, size=(batch, 68)).astype(np.float32)]

    conv = tfm.lite.TFLiteConverter.from_keras_model(K.Model(inp, x))
    conv.optimizations = [tfm.lite.Optimize.DEFAULT]
    conv.representative_dataset = rep
    conv.target_spec.supported_ops = [tfm.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tfm.int8
    conv.inference_output_type = tfm.int8
    if per_tensor:
        conv._experimental_disable_per_channel_quantization_for_dense_layers = True
    return bytes(conv.convert())


CASES = {"batch3-channel": (3, False), "batch1-tensor": (1, True)}


@pytest.fixture(scope="module")
def fc_models() -> dict[str, bytes]:
    return {name: fc_tflite(*case) for name, case in CASES.items()}


def _paths(model) -> None:
    """The model exercises all three paths: widened input, int8 input, generic."""
    fast = [fully_connected.fast_path(lo) for lo in model.lowered]
    widened = [k in model.plan.scratch_offsets for k in range(len(model.lowered))]
    assert any(f and w for f, w in zip(fast, widened, strict=True))
    assert any(f and not w for f, w in zip(fast, widened, strict=True))
    assert not all(fast)


@pytest.mark.parametrize("name", list(CASES))
def test_fc_odd_shapes_bit_exact(fc_models, name: str) -> None:
    batch, per_tensor = CASES[name]

    def check(model) -> None:
        _paths(model)
        assert all(lo.fields["batches"] == batch and lo.fields["per_channel"] == (0 if per_tensor else 1)
                   for lo in model.lowered)

    same_everywhere(fc_models[name], samples=3, seed=4, check_opt=check)


def test_fc_without_widened_inputs(fc_models, monkeypatch) -> None:
    """Every fast-path layer on its int8 input (no scratch), and the planner's RAM unchanged by
    the widened inputs (they are only placed where they do not raise the peak)."""
    from tfcompress.engine.compiler import compile_tflite

    tflite = fc_models["batch3-channel"]
    widened = compile_tflite(tflite, kernels="optimized")
    monkeypatch.setattr(fully_connected, "input_scratch", lambda lo: None)
    plain = compile_tflite(tflite, kernels="optimized")
    assert not plain.plan.scratch_offsets and plain.ram_bytes == widened.ram_bytes
    same_everywhere(tflite, samples=2, seed=6)


def test_block_bias_round_trip() -> None:
    rng = np.random.default_rng(2)
    b = rng.integers(-(2**29), 2**29, size=12).astype(np.int32)
    blocks = fully_connected.block_bias(b).reshape(3, 4)
    assert np.array_equal(blocks[:, 0], b[1::4]) and np.array_equal(blocks[:, 1], b[3::4])
    assert np.array_equal(blocks[:, 2], 2 * b[0::4]) and np.array_equal(blocks[:, 3], 2 * b[2::4])
    assert np.array_equal(fully_connected.plain_bias(fully_connected.block_bias(b)), b)


@pytest.mark.emulated
def test_fc_odd_shapes_on_qemu(fc_models, tmp_path) -> None:
    """The assembly (TBB entry into the eight-group loop, both input forms, both requantisation
    layouts, int8 and, under speed, int16 weights): 0 mismatches against TFLM at -O2 and -Os on
    Cortex-M7 and at -Os on Cortex-M4."""
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")
    from tfcompress.boards import load_board, with_optimize

    bench = instructions_benchmark()
    for k, (name, tflite) in enumerate(fc_models.items()):
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(tflite)
        board, opt = (load_board("mps2-an500"), "-O2") if k == 0 else (load_board("netduinoplus2"), "-Os")
        r = bench.measure(name, "optimized", board, opt=opt, runs=1, layers=False, keep=None, path=path)
        assert r["mismatches"] == 0, (name, opt)
        if k == 0:
            r = bench.measure(name, "optimized", load_board("mps2-an500"), opt="-Os", runs=1, layers=False,
                              keep=None, path=path)
            assert r["mismatches"] == 0, (name, "-Os")
            r = bench.measure(name, "optimized", with_optimize(load_board("mps2-an500"), "speed"), opt="-O2",
                              runs=1, layers=False, keep=None, path=path)
            assert r["mismatches"] == 0, (name, "speed")
