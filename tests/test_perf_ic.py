"""The ResNet-style paths of the optimised kernels sped up for IC (issue 15): pixel-triple convs
(LDM window loads, windows widened by widen3_asm), the fused CONV_2D+ADD and the ADD in
assembly (tfc_add4_asm; element counts not in fours, fused ReLU / ReLU6).
The assembly only runs on the emulated boards (host builds take the portable C)."""

from __future__ import annotations

import pytest
from conftest import instructions_benchmark, require_tool
from helpers.engine_checks import assert_matches_tflm
from helpers.keras_models import keras_tflite

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.kernel_limits import RQ_ROWS, RQ_TRIPLE


def model_ic_paths(L, x):
    """6 input channels (row-padded windows), residual blocks with ReLU / ReLU6 fused into the ADD,
    a stride-2 block with a 1x1 stride-2 shortcut, 6 output channels (18 ADD elements per pixel
    triple: a tail after four words), a standalone ADD with a clamp."""
    x = L.Conv2D(8, 3, padding="same", activation="relu")(x)                  # in_c 6: rows 18 -> 20
    y = L.Conv2D(8, 3, padding="same", activation="relu")(x)
    y = L.Conv2D(8, 3, padding="same")(y)
    x = L.ReLU()(L.Add()([x, y]))                                             # conv+ADD, RELU clamp
    s = L.Conv2D(12, 1, strides=2)(x)                                         # 1x1 stride-2 shortcut
    y = L.Conv2D(12, 3, strides=2, padding="same", activation="relu")(x)
    y = L.Conv2D(12, 3, padding="same")(y)
    x = L.ReLU(6.0)(L.Add()([s, y]))                                          # RELU6: both bounds
    y = L.Conv2D(20, 1, activation="relu")(x)                # groups of four positions per pass:
    y = L.Conv2D(24, 1, activation="relu")(y)                # 5 (mod 8: every entry of the table)
    y = L.Conv2D(16, 1, activation="relu")(y)                # 6
    y = L.Conv2D(32, 3, padding="same", activation="relu")(y)  # 36 (4)
    y = L.Conv2D(4, 1, activation="relu")(y)                 # 8 (0)
    y = L.Conv2D(6, 3, padding="same")(y)                    # 9 (1); 12 -> 3, 72 -> 2, 60 -> 7 above
    x = L.Add()([L.Conv2D(6, 3, padding="same")(x), y])
    x = L.Add()([L.Conv2D(6, 1)(x), y])                                       # 6 channels: ADD tails
    a = L.AveragePooling2D(2, padding="same")(x)
    b = L.MaxPooling2D(2, padding="same")(x)
    x = L.ReLU()(L.Add()([a, b]))                                             # standalone ADD, clamp
    x = L.Flatten()(x)
    return L.Dense(5)(x)


SHAPE = (11, 10, 6)


@pytest.fixture(scope="module")
def ic_paths_tflite() -> bytes:
    return keras_tflite(model_ic_paths, SHAPE, seed=7)


def test_ic_paths_layouts_and_host(ic_paths_tflite) -> None:
    """The test model takes the paths it is meant to (row-padded triples, fused ADDs with clamps, a
    standalone ADD) and the portable C matches TFLM."""
    m = compile_tflite(ic_paths_tflite, kernels="optimized")
    ops = [x for lo in m.lowered for x in (lo, *lo.parts)]
    flags = [int(x.fields["rq"].data[0]) for x in ops if x.kernel.startswith("tfc_conv2d") and "rq" in x.fields]
    assert flags[0] & RQ_ROWS and flags[0] & RQ_TRIPLE
    assert sum(bool(f & RQ_TRIPLE) for f in flags) >= 6
    adds = [f for x in ops if x.kernel != "tfc_band_s8" for _, _, f in x.extra_structs if "tables" in f]
    assert sum(x.kernel.startswith("tfc_conv2d_add") for x in ops) == len(adds) >= 3
    assert all(f["tables_fast"] for f in adds)  # the assembly ADD's requantisation
    assert any(x.kernel == "tfc_add_s8" for x in ops)
    assert_matches_tflm(m, ic_paths_tflite, samples=3)


def _on_qemu(tflite: bytes, tmp_path, board: str, opt: str, name: str = "ic_paths",
             optimize: str | None = None) -> dict:
    """``tflite`` built for ``board`` at ``opt`` (the board's preference, or ``optimize``) and run
    under QEMU by benchmarks/instructions.py's measure()."""
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")
    from tfcompress.boards import load_board, with_optimize

    path = tmp_path / f"{name}.tflite"
    path.write_bytes(tflite)
    target = load_board(board) if optimize is None else with_optimize(load_board(board), optimize)
    return instructions_benchmark().measure(name, "optimized", target, opt=opt, runs=1, layers=False,
                                            keep=None, path=path)


@pytest.mark.emulated
def test_ic_paths_on_qemu(ic_paths_tflite, tmp_path) -> None:
    """The assembly (Cortex-M7, -O2: pixel triples, tfc_add4_asm) gives TFLM's outputs."""
    assert _on_qemu(ic_paths_tflite, tmp_path, "mps2-an500", "-O2")["mismatches"] == 0


@pytest.mark.slow
@pytest.mark.emulated
@pytest.mark.parametrize("board, opt", [("netduinoplus2", "-O2"), ("netduinoplus2", "-Os"), ("mps2-an500", "-Os")])
def test_ic_paths_on_qemu_boards(ic_paths_tflite, tmp_path, board: str, opt: str) -> None:
    assert _on_qemu(ic_paths_tflite, tmp_path, board, opt)["mismatches"] == 0


def model_triple_edges(L, x):
    """Pixel-triple convs (optimize = "speed") on 5x5 outputs: a 1x1 stride-2 conv of 4 channels (one
    group of four positions: no loop entry), 3x3 windows with 8 and 16 channels (triples inside,
    on the borders and across rows; 18 and 36 groups), a ReLU conv whose output shares the concat's
    quantisation (an activation clamp: the clamp variant of triples_pc_asm), and 25 pixels (a lone
    last pixel: pairs_pc1_asm), a CONV_2D+ADD without a clamp (each triple's ADD by tfc_add4_asm)."""
    a = L.Conv2D(8, 1, strides=2, activation="relu")(x)
    a = L.Add()([L.Conv2D(8, 3, padding="same")(a), a])
    b = L.Conv2D(8, 3, padding="same")(a)
    c = L.Conv2D(8, 3, padding="same", activation="relu")(a)
    x = L.Concatenate()([b, c])
    x = L.Conv2D(6, 3, padding="same", activation="relu")(x)
    x = L.Flatten()(x)
    return L.Dense(5)(x)


@pytest.fixture(scope="module")
def triple_edges_tflite() -> bytes:
    return keras_tflite(model_triple_edges, (10, 10, 4), seed=7)


def test_triple_edges_layouts_and_host(triple_edges_tflite) -> None:
    """Every conv of the test model takes pixel triples, one of them with a clamp, one fused with an
    ADD whose tables take the fast path; the portable C matches TFLM."""
    m = compile_tflite(triple_edges_tflite, kernels="optimized", optimize="speed")
    assert all(f["tables_fast"] for lo in m.lowered for _, _, f in lo.extra_structs if "tables" in f)
    convs = [lo for lo in m.lowered if lo.kernel.startswith("tfc_conv2d")]
    assert [lo.kernel for lo in convs].count("tfc_conv2d_add_s8") == 1 and len(convs) == 5
    assert all(int(lo.fields["rq"].data[0]) & RQ_TRIPLE for lo in convs)
    assert any(lo.fields["act_min"] > -128 for lo in convs)
    assert {lo.fields["in_c"] for lo in convs} == {4, 8, 16}
    assert_matches_tflm(m, triple_edges_tflite, samples=3)


def _triple_edges_on_qemu(tflite: bytes, tmp_path, board: str, opt: str) -> dict:
    return _on_qemu(tflite, tmp_path, board, opt, name="triple_edges", optimize="speed")


@pytest.mark.emulated
def test_triple_edges_on_qemu(triple_edges_tflite, tmp_path) -> None:
    """triples_pc_asm (16-group loop, one-group pairs, the clamp variant), triple_border,
    pairs_pc1_asm and the per-triple tfc_add4_asm on Cortex-M7 at -O2 give TFLM's outputs."""
    assert _triple_edges_on_qemu(triple_edges_tflite, tmp_path, "mps2-an500", "-O2")["mismatches"] == 0


@pytest.mark.slow
@pytest.mark.emulated
@pytest.mark.parametrize("board, opt", [("netduinoplus2", "-O2"), ("netduinoplus2", "-Os"), ("mps2-an500", "-Os")])
def test_triple_edges_on_qemu_boards(triple_edges_tflite, tmp_path, board: str, opt: str) -> None:
    assert _triple_edges_on_qemu(triple_edges_tflite, tmp_path, board, opt)["mismatches"] == 0
