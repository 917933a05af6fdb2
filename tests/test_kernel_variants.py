"""Kernel variants chosen at generation time (engine/optimized/variants.py): a model's generated
tfc_variants.h compiles out the variants none of its layers runs, so its firmware does not link
them; checked on the symbols of the optimised sources compiled for the DSP (Cortex-M7, -O2)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

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
