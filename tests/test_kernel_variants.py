"""Kernel variants chosen at generation time (engine/optimized/variants.py): a model's generated
tfc_variants.h compiles out the variants none of its layers runs, so its firmware does not link
them; checked on the symbols of the optimised sources compiled for the DSP (Cortex-M7, -O2)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import require_tool

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.optimized import variants
from tfcompress.resources import engine_kernels_dir

#: per MLPerf model: optimised source -> routines it must link, routines it must not
EXPECT = {
    "ic_resnet8_int8": {  # pair-code convs and ADDs without a clamp, a 3x3x3 first layer, a 64 -> 10 FC
        "conv2d_s8_opt.c": ({"tfc_add4_asm", "triples_pc_asm", "pairs_pc_asm"},
                            {"tfc_add4c_asm", "triples_pc_clamp_asm", "pairs_fast_asm", "pair_all_channels"}),
        "conv2d_s8_first_opt.c": ({"widen_333"}, {"widen_any", "widen_3p", "widen_1"}),
        "fully_connected_s8_opt.c": ({"fc_generic"}, {"fc_pair_shared_x8", "fc_pair_channel_x8",
                                                      "fc_pair_shared_xw", "fc_pair_channel_xw"}),
    },
    "kws_dscnn_int8": {  # a 10x4x1 first layer, a per-tensor 64 -> 12 FULLY_CONNECTED on the int8 input,
        "conv2d_s8_first_opt.c": ({"widen_1"}, {"widen_any", "widen_3p", "widen_333"}),
        # (its one pair copy inlined into the entry point)
        "fully_connected_s8_opt.c": ({"tfc_fully_connected_s8"}, {"fc_generic", "fc_pair_channel_x8",
                                                                  "fc_pair_shared_xw", "fc_pair_channel_xw"}),
        # 5-wide rows: one strip per row (dwp_asm6), narrow band fills
        "depthwise_conv2d_s8_opt.c": ({"dwp_asm6", "dwp_fill_narrow"},
                                      {"dwp_asm", "dwp_asm6n", "dwp_asm3", "dwp_row_c", "dwp_fill_wide",
                                       "dwp_fill_rows", "dwp_fill_general"}),
    },
}


def test_c_defaults_name_every_switch() -> None:
    """tfc_dsp.h defaults (every variant, for sources built without the header) name exactly the rows."""
    text = (engine_kernels_dir() / "optimized" / "tfc_dsp.h").read_text()
    defaults = set(re.findall(r"#ifndef TFC_LINK_(\w+)\n#define TFC_LINK_\1 1\n", text))
    assert defaults == {s.name for s in variants.SWITCHES}


def _symbols(engine: Path, source: str) -> set[str]:
    from tfcompress.boards import load_board

    board = load_board("mps2-an500")
    obj = engine.parent / (Path(source).stem + ".o")
    subprocess.run(["arm-none-eabi-gcc", f"-mcpu={board.core}", "-mthumb", f"-mfpu={board.fpu}",
                    f"-mfloat-abi={board.float_abi}", "-O2", "-std=gnu11", "-ffunction-sections",
                    "-fdata-sections", f"-I{engine}", f"-I{engine / 'optimized'}", "-c",
                    str(engine / "optimized" / source), "-o", str(obj)], check=True, capture_output=True)
    nm = subprocess.run(["arm-none-eabi-nm", str(obj)], check=True, capture_output=True, text=True).stdout
    return {line.split()[-1].split(".")[0] for line in nm.splitlines() if line.split()[-2] in "tT"}


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_model_links_only_its_variants(name: str, mlperf_models: Path, tmp_path: Path) -> None:
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    model = compile_tflite(mlperf_models / f"{name}.tflite", kernels="optimized")
    model.write(tmp_path / "fw")
    for source, (linked, unlinked) in EXPECT[name].items():
        syms = _symbols(tmp_path / "fw" / "engine", source)
        assert linked <= syms, (source, sorted(syms))
        assert not unlinked & syms, (source, sorted(unlinked & syms))


def test_4bit_model_links_only_its_decoding_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  smallest_storage: None) -> None:
    """A model of 4-bit pair-code convs without padding (weights from five values, forced to 4 bits):
    conv2d_s8_dec_opt.c keeps the 4-bit decoder and run_pc; not the sparse or 2:4 decoders, the
    pixel-pair path, the pair table (K < 256) or the border triples. Bit-exact against TFLM."""
    from helpers.engine_checks import assert_matches_tflm
    from helpers.keras_models import to_int8_tflite

    from tfcompress.engine import compressed_weights
    from tfcompress.tfenv import keras

    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    K = keras()
    L = K.layers
    rng = np.random.default_rng(7)

    def init(shape, dtype=None):
        w = rng.choice([-1.0, -0.5, 0.25, 0.5, 1.0], size=shape)
        w[0] = 1.0
        return K.backend.constant(w, dtype=dtype)

    inp = K.Input((9, 9, 4))
    x = L.Conv2D(8, 3, activation="relu", kernel_initializer=init)(inp)
    x = L.Conv2D(8, 3, kernel_initializer=init)(x)
    tflite = to_int8_tflite(K.Model(inp, x), seed=7)
    orig = compressed_weights.compress_ops
    monkeypatch.setattr(compressed_weights, "compress_ops", lambda lowered, force=False: orig(lowered, force=True))
    model = compile_tflite(tflite, kernels="optimized", compress_weights=True)
    assert [lo.kernel for lo in model.lowered] == ["tfc_conv2d_s8_dec_w4"] * 2
    links = variants.linked(variants.layers(model.lowered, lambda lo: False))
    assert {n for n, on in links.items() if on and n.startswith("DEC")} == {"DEC_W4_PC"}
    model.write(tmp_path / "fw")
    syms = _symbols(tmp_path / "fw" / "engine", "conv2d_s8_dec_opt.c")
    assert {"decode_w4", "run_pc", "dec_triples_asm"} <= syms, sorted(syms)
    unlinked = {"decode_sp", "decode_24", "run_24", "chans24_asm", "dec_pairs", "dec_pairs_asm", "dec_window_plain",
                "dec_pair_table", "triple_border"}
    assert not unlinked & syms, sorted(unlinked & syms)
    assert_matches_tflm(model, tflite, samples=2)
