"""The generated C and every kernel compile cleanly for Cortex-M (arm-none-eabi-gcc -Werror)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import require_tool

from tfcompress.engine.compiler import compile_tflite
from tfcompress.resources import engine_kernels_dir

pytestmark = pytest.mark.toolchain

FLAGS = ["-mthumb", "-mcpu=cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16", "-std=c99", "-Os",
         "-Wall", "-Wextra", "-Werror", "-ffunction-sections", "-fdata-sections", "-c"]


def _cc(gcc: str, src: Path, out: Path, cwd: Path) -> None:
    proc = subprocess.run([gcc, *FLAGS, str(src), "-o", str(out)], cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_all_reference_kernels_compile_for_cortex_m4(tmp_path: Path) -> None:
    gcc = require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    for src in sorted(engine_kernels_dir().glob("*.c")):
        _cc(gcc, src, tmp_path / (src.stem + ".o"), engine_kernels_dir())


def test_generated_model_compiles_for_cortex_m4(mlperf_models: Path, tmp_path: Path) -> None:
    gcc = require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    compile_tflite(mlperf_models / "kws_dscnn_int8.tflite").write(tmp_path)
    _cc(gcc, tmp_path / "model.c", tmp_path / "model.o", tmp_path)
