"""2:4 structured CONV_2D of the optimised set (optimized/conv2d_s8_dec_opt.c) on every window layout:
the column layout for 3x3 stride 1 / 2, 5x5 (no assembly expansion), pointwise and wide inputs
(padding columns expanded in chunks), the per-pixel layout for dilated and bytewise windows, rows
that end in a partial quad, odd group counts, a fused ADD, whole-layer and smaller channel blocks,
rows at a time over the blocks (output overlapping the input).
Host builds (the C paths) against TFLM here; the assembly briefly on QEMU (both boards: slow)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.engine_checks import assert_matches_tflm
from helpers.keras_models import _dilated_layer, to_int8_tflite

from tfcompress.engine import weight_policy
from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.optimized import decoded, variants


def _two_of_four_k(w: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """HWIO weights, two of every four consecutive window positions (ky, kx, ci flattened) non-zero
    per output channel, +-(0.5..1) (none quantises to zero)."""
    kh, kw, ci, co = w.shape
    k = kh * kw * ci
    kp = (k + 3) // 4 * 4
    vals = rng.choice([-1.0, 1.0], size=(kp, co)) * rng.uniform(0.5, 1.0, size=(kp, co))
    keep = np.argsort(rng.random((kp // 4, 4, co)), axis=1)[:, :2, :]
    mask = np.zeros((kp // 4, 4, co), bool)
    np.put_along_axis(mask, keep, True, axis=1)
    return (vals * mask.reshape(kp, co))[:k].reshape(kh, kw, ci, co)


@pytest.fixture(scope="module")
def layouts_tflite() -> bytes:
    from tfcompress.tfenv import keras, tf

    K, T = keras(), tf()
    L = K.layers
    rng = np.random.default_rng(11)
    convs = []

    def conv(*args, **kw):
        layer = L.Conv2D(*args, **kw)
        convs.append(layer)
        return layer

    inp = K.Input((9, 10, 8))
    a = conv(16, 3, padding="same", activation="relu")(inp)         # column layout ns 6, rows of 4 + 4 + 2
    x = L.Add()([a, conv(16, 3, padding="same")(a)])                # fused ADD
    x = conv(12, 3, strides=2, padding="same")(x)                   # stride 2: ns 10; 5 x 5, rows of 4 + 1
    x = conv(8, 5, padding="same", activation="relu")(x)            # ns 8 (C expansion), 75 groups: odd
    dil = _dilated_layer(K, T, 8, (3, 3), 2, "same", "relu", False, "glorot_uniform", "zeros")
    x = dil(x)                                                      # dilated: per-pixel layout
    x = conv(6, 1)(x)
    x = conv(8, 2, padding="same", activation="relu6")(x)           # in_c 6: bytewise windows (K 24)
    x = conv(72, 1, activation="relu")(x)                           # pointwise, ns 4
    x = conv(8, 3, padding="same")(x)                               # in_c 72: padding in 16-word chunks
    x = conv(8, 2, padding="same")(x)                               # K 32, full range: chans24s_asm's 8 groups
    model = K.Model(inp, L.Dense(3)(L.Flatten()(x)))
    for layer in [*convs, dil]:
        w, bias = layer.get_weights()
        layer.set_weights([_two_of_four_k(w, rng), rng.uniform(-0.2, 0.2, size=bias.shape)])
    return to_int8_tflite(model, seed=12)


def _compile(tflite: bytes, monkeypatch: pytest.MonkeyPatch, budget: int | None = None):
    monkeypatch.setitem(weight_policy.PREFERENCES, "balanced", weight_policy.Preference({}, None))
    if budget is not None:
        monkeypatch.setattr(decoded, "BLOCK_BUDGET", budget)
    return compile_tflite(tflite, kernels="optimized", compress_weights=True)


def _convs_24(model) -> list:
    return [lo for lo in model.lowered if lo.kernel.endswith("_2of4")]


def test_2of4_layouts_bit_exact(layouts_tflite: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every conv is 2:4 in one block; the slot counts of the column layout as the kernel's."""
    model = _compile(layouts_tflite, monkeypatch)
    convs = _convs_24(model)
    assert len(convs) == 10 and any(lo.kernel.startswith("tfc_conv2d_add") for lo in convs)
    assert [decoded.slots_24(lo) for lo in convs] == [6, 6, 10, 8, 0, 4, 0, 4, 6, 6]
    assert all(int(lo.fields["rq"].data[1]) >= lo.fields["out_c"] for lo in convs)
    assert all(lo.scratch == decoded.scratch(lo) for lo in convs)
    # chans24s_asm (variant DEC24S): the two 1x1 convs of K 8 and the 2x2 of K 32; not the clamped K 24
    assert [lo.fields["k_w"] for lo in convs if variants._dec24_straight(variants.Layer(lo, False))] == [1, 1, 2]
    assert variants.linked(variants.Layer(lo, False) for lo in model.lowered)["DEC24S"]
    assert_matches_tflm(model, layouts_tflite, samples=3)


def test_2of4_stack_scratch_bit_exact(layouts_tflite: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Planned without arena scratch, the 2:4 kernels size their scratch on the stack (words24: the
    layout of decoded.scratch) and still match TFLM."""
    from tfcompress.engine.planner import plan_arena

    model = _compile(layouts_tflite, monkeypatch, budget=2304)
    model.plan = plan_arena(model.graph, model.lowered)
    assert not model.plan.scratch_offsets and _convs_24(model)
    assert_matches_tflm(model, layouts_tflite, samples=2)


def test_2of4_blocks_bit_exact(layouts_tflite: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of channels (windows expanded again per block; 2:4 only where a block holds 8 or more,
    compressed_weights.MIN_BLOCK_24), the rest sparse."""
    model = _compile(layouts_tflite, monkeypatch, budget=2304)
    convs = _convs_24(model)
    blocked = [lo for lo in convs if int(lo.fields["rq"].data[1]) < lo.fields["out_c"]]
    assert blocked and any(lo.kernel.startswith("tfc_conv2d_add") for lo in blocked), [lo.kernel for lo in convs]
    assert any(lo.kernel.endswith("_dec_sp") for lo in model.lowered)  # wide layers: blocks too small for 2:4
    assert_matches_tflm(model, layouts_tflite, samples=3)


def test_2of4_row_bands_bit_exact(layouts_tflite: bytes) -> None:
    """Under "size" a 2:4 conv in small blocks runs a few output rows at a time over all blocks (rq[2]),
    its output overlapping its input (decoded.band_overlap)."""
    model = compile_tflite(layouts_tflite, kernels="optimized", compress_weights=True, optimize="size")
    banded = [lo for lo in _convs_24(model) if int(lo.fields["rq"].data[2]) > 0]
    assert banded and all(lo.overlap.get(lo.inputs[0], 0) < 0 for lo in banded)
    assert all(lo.overlap[lo.inputs[0]] == decoded.band_overlap(lo, int(lo.fields["rq"].data[2])) for lo in banded)
    assert_matches_tflm(model, layouts_tflite, samples=3)


def _on_qemu(tflite: bytes, tmp_path, monkeypatch, boards, opts, budgets) -> None:
    from conftest import instructions_benchmark

    from tfcompress.boards import load_board

    bench = instructions_benchmark()
    path = tmp_path / "layouts.tflite"
    path.write_bytes(tflite)
    for budget in budgets:  # None: the "size" preference's blocks (row bands), default budget
        if budget is None:
            monkeypatch.setitem(weight_policy.PREFERENCES, "balanced", weight_policy.PREFERENCES["size"])
        else:
            monkeypatch.setitem(weight_policy.PREFERENCES, "balanced", weight_policy.Preference({}, None))
        monkeypatch.setattr(decoded, "BLOCK_BUDGET", budget or decoded.BLOCK_BUDGET)
        for board in boards:
            for opt in opts:
                r = bench.measure("layouts", "optimized", load_board(board), opt=opt, runs=1, layers=False,
                                  keep=None, path=path, compress_weights=True)
                assert r["mismatches"] == 0, (board, opt, budget)


def test_2of4_layouts_on_qemu(layouts_tflite: bytes, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The assembly (expansion, decoding, channel loop) on Cortex-M7: whole-layer blocks, row bands."""
    _on_qemu(layouts_tflite, tmp_path, monkeypatch, ["mps2-an500"], ["-O2"], [decoded.BLOCK_BUDGET, None])


@pytest.mark.slow
def test_2of4_layouts_on_qemu_everywhere(layouts_tflite: bytes, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both boards, -O2 and -Os, whole-layer and smaller blocks, row bands."""
    _on_qemu(layouts_tflite, tmp_path, monkeypatch, ["mps2-an500", "netduinoplus2"], ["-O2", "-Os"],
             [decoded.BLOCK_BUDGET, 2304, None])


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["arena", "stack", "bands"])
def test_2of4_clean_under_asan(layouts_tflite: bytes, tmp_path, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    """AddressSanitizer + UBSan over the C paths (blocks, row bands, scratch in the arena or on the
    stack); outputs equal TFLM's."""
    import subprocess

    from conftest import require_tool
    from helpers.engine_checks import SAN_FLAGS

    from tfcompress.engine.host import build_executable
    from tfcompress.engine.planner import plan_arena
    from tfcompress.tflm import TflmModel

    require_tool("cc", "build-essential")
    if mode == "bands":
        model = compile_tflite(layouts_tflite, kernels="optimized", compress_weights=True, optimize="size")
        assert any(int(lo.fields["rq"].data[2]) > 0 for lo in _convs_24(model))
    else:
        model = _compile(layouts_tflite, monkeypatch, budget=2304)
    if mode == "stack":
        model.plan = plan_arena(model.graph, model.lowered)
    exe = build_executable(model, tmp_path / "build", SAN_FLAGS)
    x = np.random.default_rng(3).integers(-128, 128, size=model.input.shape, dtype=np.int8)
    (tmp_path / "in.bin").write_bytes(x.tobytes())
    proc = subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0 and "runtime error" not in proc.stderr, proc.stderr[-3000:]
    out = np.frombuffer((tmp_path / "out.bin").read_bytes(), dtype=np.int8)
    assert np.array_equal(out, TflmModel(layouts_tflite).run(x).reshape(-1))
