"""Optimised FULLY_CONNECTED: the fast path (pair codes, bias per block, inputs widened into scratch
where the plan has room, eight-group loop entered by the remainder) bit-exact with TFLM on odd shapes.

Input lengths give every remainder of the eight-group loop (68 -> 17 groups, 32 -> 8, 20 -> 5, 96 -> 24,
24 -> 6, 12 -> 3, 28 -> 7, 16 -> 4), odd output counts and input tails take the generic path, batch 3
and per-channel / per-tensor quantisation; the 20 -> 96 layer sets the peak RAM, so it widens its
input into its output's tail. Host builds run the portable C; the emulated test runs the
assembly on QEMU (Cortex-M7 and Cortex-M4).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import instructions_benchmark, require_tool
from helpers.engine_checks import same_everywhere
from helpers.keras_models import batch_int8_tflite as _int8

from tfcompress.engine.optimized import fully_connected

WIDTHS = ((32, "relu"), (20, None), (96, "relu"), (24, "relu"), (12, "relu6"), (28, None), (16, "relu"),
          (12, None), (9, None), (6, None))


def fc_tflite(batch: int, per_tensor: bool, seed: int = 5) -> bytes:
    """A 68-input stack of Dense layers (WIDTHS) with ``batch`` rows, int8."""
    from tfcompress.tfenv import keras

    K = keras()
    K.utils.set_random_seed(seed)
    inp = K.Input((68,), batch_size=batch)
    x = inp
    for n, act in WIDTHS:
        x = K.layers.Dense(n, activation=act, bias_initializer=K.initializers.RandomUniform(-0.5, 0.5))(x)
    return _int8(K.Model(inp, x), batch, np.random.default_rng(seed), per_tensor)


CASES = {"batch3-channel": (3, False), "batch1-tensor": (1, True)}


@pytest.fixture(scope="module")
def fc_models() -> dict[str, bytes]:
    return {name: fc_tflite(*case) for name, case in CASES.items()}


def _paths(model) -> None:
    """The model exercises every path: widened input in scratch, in the output's tail, int8 input,
    generic."""
    fast = [fully_connected.fast_path(lo) for lo in model.lowered]
    widened = [k in model.plan.scratch_offsets for k in range(len(model.lowered))]
    tail = [lo.fields["out_depth"] >= 2 * lo.fields["in_depth"] + 16 for lo in model.lowered]
    assert any(f and w for f, w in zip(fast, widened, strict=True))
    assert any(f and not w and not t for f, w, t in zip(fast, widened, tail, strict=True))
    assert any(f and not w and t for f, w, t in zip(fast, widened, tail, strict=True))
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


def test_fc_speed_wide_weights_bit_exact(fc_models) -> None:
    """optimize = "speed": int16 weights on every fast-path layer, with the same three input forms."""
    from helpers.engine_checks import assert_matches_tflm

    from tfcompress.engine.compiler import compile_tflite

    tflite = fc_models["batch3-channel"]
    model = compile_tflite(tflite, kernels="optimized", optimize="speed")
    wide = [k for k, lo in enumerate(model.lowered) if lo.kernel == "tfc_fully_connected_s8_wide"]
    assert len(wide) == 8 and any(k in model.plan.scratch_offsets for k in wide)
    assert any(k not in model.plan.scratch_offsets and model.lowered[k].fields["out_depth"] == 96 for k in wide)
    assert_matches_tflm(model, tflite, samples=3)


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


# --- 4-bit weights: the index-byte table kernel (engine/optimized/fc_compressed.py) ---------------

W4_WIDTHS = (116, 92, 120, 64, 32, 96, 10)  # groups 57, 29, 23, 30 (remainders 1, 5, 7, 6), 16, 8;
# 64 -> 32: its tables would not pay (portable); 32 -> 96 can widen into its output's tail; 10: portable.
# The first layer's tensors set the peak: at batch 2 it leaves the next three layers room to widen their
# inputs (2 x in_depth bytes), at batch 1 none (the arena is packed without gaps, planner.ORDERS).
W4_INPUTS = 228


def w4_tflite(batch: int, books: int, seed: int = 3) -> bytes:
    """W4_INPUTS inputs through Dense layers (W4_WIDTHS) whose weights take 16 values; ``books`` > 1:
    output channel c draws from the c % books-th of differently spaced value sets (int8 codebooks
    that do not merge)."""
    from tfcompress.tfenv import keras

    K = keras()
    rng = np.random.default_rng(seed)
    levels = np.linspace(-1.0, 1.0, 16)

    def init(shape, dtype=None):
        w = np.stack([rng.choice(np.sign(levels) * np.abs(levels) ** (1 + 0.5 * (c % books)), size=shape[0])
                      for c in range(shape[1])], axis=1)
        w[0] = 1.0  # every output channel holds the largest magnitude
        return K.backend.constant(w, dtype=dtype)

    inp = K.Input((W4_INPUTS,), batch_size=batch)
    x = inp
    for n in W4_WIDTHS:
        x = K.layers.Dense(n, activation="relu" if n not in (10, 32) else None, kernel_initializer=init,
                           bias_initializer=K.initializers.RandomUniform(-0.5, 0.5, seed=seed))(x)
    return _int8(K.Model(inp, x), batch, rng)


W4_CASES = {"batch2-one-book": (2, 1), "batch1-three-books": (1, 3)}


@pytest.fixture(scope="module")
def w4_models() -> dict[str, bytes]:
    return {name: w4_tflite(*case) for name, case in W4_CASES.items()}


@pytest.mark.parametrize("name", list(W4_CASES))
@pytest.mark.usefixtures("smallest_storage")
def test_fc_w4_table_kernel_bit_exact(w4_models, name: str) -> None:
    """4-bit FULLY_CONNECTED layers take the table kernel (one or several codebooks, widened input
    where the plan has room), smaller than int8 with the tables, and match TFLM."""
    from helpers.engine_checks import assert_matches_tflm

    from tfcompress.engine.compiler import compile_tflite
    from tfcompress.engine.optimized import fc_compressed

    tflite = w4_models[name]
    model = compile_tflite(tflite, kernels="optimized", compress_weights=True)
    lut = [lo for lo in model.lowered if lo.kernel == fc_compressed.W4_LUT]
    one_book = W4_CASES[name][1] == 1  # 32 -> 96 with three 1 KB tables would not save flash
    assert len(lut) == (5 if one_book else 4), [lo.kernel for lo in model.lowered]
    n_books = {len(fc_compressed.books_of(lo)) for lo in lut}
    assert n_books == ({1} if W4_CASES[name][1] == 1 else {3})
    widened = [k in model.plan.scratch_offsets for k, lo in enumerate(model.lowered) if lo in lut]
    assert any(widened[:4]) == (W4_CASES[name][0] == 2)  # batch 2: room for some widened inputs; 1: none
    assert model.weights_bytes < 0.75 * compile_tflite(tflite, kernels="optimized").weights_bytes
    assert_matches_tflm(model, tflite, samples=4)


@pytest.mark.usefixtures("smallest_storage")
def test_fc_w4_output_tail(w4_models, monkeypatch) -> None:
    """Without planned scratch, the 32 -> 96 table layer widens its input into its output's tail."""
    from helpers.engine_checks import assert_matches_tflm

    from tfcompress.engine.compiler import compile_tflite

    monkeypatch.setattr(fully_connected, "input_scratch", lambda lo: None)
    tflite = w4_models["batch2-one-book"]
    model = compile_tflite(tflite, kernels="optimized", compress_weights=True)
    assert not model.plan.scratch_offsets
    assert model.lowered[5].kernel.endswith("lut_w4") and model.lowered[5].fields["out_depth"] == 96
    assert_matches_tflm(model, tflite, samples=3)


def test_fc_w4_table_layout() -> None:
    """Index bytes pair the inputs SXTB16 splits (i0 | i2 << 4, i1 | i3 << 4); a row's table offset
    is counted from its block's first offset; the table word of byte b is (cb[b & 15], cb[b >> 4])."""
    from tfcompress.engine.optimized import fc_compressed

    rng = np.random.default_rng(0)
    idx = rng.integers(0, 16, size=(8, 12))
    b = fc_compressed.index_bytes(idx).view(np.uint8).reshape(2, 3, 4, 2)  # [blk][g][row][2]
    assert b[1, 2, 3, 0] == idx[7, 8] | idx[7, 10] << 4 and b[1, 2, 3, 1] == idx[7, 9] | idx[7, 11] << 4
    cb = np.array([-128, *range(-7, 8)], np.int64)
    words = fc_compressed.pair_table(cb)
    lo, hi = (words & 0xFFFF).astype(np.uint16).view(np.int16), (words >> 16).astype(np.uint16).view(np.int16)
    assert lo[0x5F] == cb[0xF] and hi[0x5F] == cb[0x5] and lo[0] == -128
    arr = fc_compressed.tables(np.stack([cb, -cb]), np.array([0, 1, 1, 0, 1, 0, 0, 0])).view(np.int32)
    offs = arr[:8]
    for r, book in enumerate([0, 1, 1, 0, 1, 0, 0, 0]):
        start = (16 * (r // 4) + offs[r]) // 4  # words from the array's start
        assert start == 8 + 256 * book


@pytest.mark.emulated
@pytest.mark.usefixtures("smallest_storage")
def test_fc_w4_on_qemu(w4_models, tmp_path) -> None:
    """The table kernel's assembly: 0 mismatches at -O2 (Cortex-M7) and -Os (Cortex-M4)."""
    from tfcompress.boards import load_board

    bench = instructions_benchmark()
    for (name, tflite), (board, opt) in zip(w4_models.items(), (("mps2-an500", "-O2"), ("netduinoplus2", "-Os")),
                                            strict=True):
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(tflite)
        r = bench.measure(name, "optimized", load_board(board), opt=opt, runs=1, layers=False, keep=None, path=path,
                          compress_weights=True)
        assert r["mismatches"] == 0, (name, board, opt)


@pytest.mark.usefixtures("smallest_storage")
def test_fc_kernels_clean_under_asan_ubsan(fc_models, w4_models, sp_models, tmp_path) -> None:
    """The FULLY_CONNECTED kernels' C paths (widened inputs in the arena, per-block bias, the 4-bit
    tables with their row offsets, the sparse nibbles and odd tails) under ASan + UBSan, outputs
    equal to the plain host build."""
    import subprocess

    from helpers.engine_checks import SAN_FLAGS

    from tfcompress.engine.compiler import compile_tflite
    from tfcompress.engine.host import HostModel, build_executable

    require_tool("cc", "build-essential")
    cases = ((fc_models["batch3-channel"], False), (w4_models["batch2-one-book"], True),
             (sp_models["batch2-channel"], True))
    for k, (tflite, compress) in enumerate(cases):
        model = compile_tflite(tflite, kernels="optimized", compress_weights=compress)
        exe = build_executable(model, tmp_path / f"build{k}", SAN_FLAGS)
        x = np.random.default_rng(k).integers(-128, 128, size=model.input.shape, dtype=np.int8)
        (tmp_path / "in.bin").write_bytes(x.tobytes())
        proc = subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0 and "runtime error" not in proc.stderr, proc.stderr[-3000:]
        out = np.frombuffer((tmp_path / "out.bin").read_bytes(), dtype=np.int8)
        assert np.array_equal(out, HostModel(model).run(x).reshape(-1))


# --- sparse weights: the nibble-dispatch kernel (engine/optimized/fc_compressed.py) ---------------

SP_WIDTHS = (36, 20, 96, 24, 12, 10, 6)  # inputs 68, 36, 20, 96, 24, 12 (groups 17, 9, 5, 24, 6, 3), 10: portable;
# 20 -> 96 sets the peak RAM: its input widened into its output's tail


def sp_tflite(batch: int, per_tensor: bool, seed: int = 7) -> bytes:
    """68 inputs through Dense layers (SP_WIDTHS), every weight matrix half zero (by magnitude)."""
    from tfcompress.tfenv import keras

    K = keras()
    K.utils.set_random_seed(seed)
    inp = K.Input((68,), batch_size=batch)
    x = inp
    layers = []
    for n in SP_WIDTHS:
        layers.append(K.layers.Dense(n, activation="relu" if n in (20, 12, 96) else None,
                                     bias_initializer=K.initializers.RandomUniform(-0.5, 0.5)))
        x = layers[-1](x)
    for layer in layers:
        w, b = layer.get_weights()
        layer.set_weights([w * (np.abs(w) >= np.median(np.abs(w))), b])
    return _int8(K.Model(inp, x), batch, np.random.default_rng(seed), per_tensor)


SP_CASES = {"batch2-channel": (2, False), "batch1-tensor": (1, True)}


@pytest.fixture(scope="module")
def sp_models() -> dict[str, bytes]:
    return {name: sp_tflite(*case) for name, case in SP_CASES.items()}


@pytest.mark.parametrize("name", list(SP_CASES))
@pytest.mark.usefixtures("smallest_storage")
def test_fc_sparse_nibble_kernel_bit_exact(sp_models, name: str, monkeypatch) -> None:
    """Sparse FULLY_CONNECTED layers with inputs in fours take the nibble kernel (odd group counts:
    the C tail; per channel: bias from the rq entries), the others stay portable; TFLM's outputs."""
    import dataclasses

    from helpers.engine_checks import assert_matches_tflm

    from tfcompress.engine import weight_policy
    from tfcompress.engine.compiler import compile_tflite
    from tfcompress.engine.optimized import fc_compressed

    # sparse storage however few bytes a layer saves (some of these small layers save less than
    # the balanced preference's min_saving if it had one, which would keep them int8)
    balanced = dataclasses.replace(weight_policy.PREFERENCES["balanced"], min_saving=0)
    monkeypatch.setitem(weight_policy.PREFERENCES, "balanced", balanced)

    tflite = sp_models[name]
    model = compile_tflite(tflite, kernels="optimized", compress_weights=True)
    kinds = [lo.kernel for lo in model.lowered]
    assert kinds == [fc_compressed.SP_NIB] * 6 + ["tfc_fully_connected_s8_sp"], kinds
    per_tensor = SP_CASES[name][1]
    assert all(isinstance(lo.fields["bias"], int) != per_tensor for lo in model.lowered[:6])
    assert 2 not in model.plan.scratch_offsets  # 20 -> 96: the output's tail
    assert_matches_tflm(model, tflite, samples=4)


@pytest.mark.emulated
@pytest.mark.usefixtures("smallest_storage")
def test_fc_sparse_on_qemu(sp_models, tmp_path) -> None:
    """The nibble kernel's assembly (both input forms at -O2, the int8 one at -Os): 0 mismatches."""
    from tfcompress.boards import load_board

    bench = instructions_benchmark()
    for (name, tflite), (board, opt) in zip(sp_models.items(), (("mps2-an500", "-O2"), ("netduinoplus2", "-Os")),
                                            strict=True):
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(tflite)
        r = bench.measure(name, "optimized", load_board(board), opt=opt, runs=1, layers=False, keep=None, path=path,
                          compress_weights=True)
        assert r["mismatches"] == 0, (name, board, opt)
