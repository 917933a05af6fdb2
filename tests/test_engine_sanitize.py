"""The generated C under AddressSanitizer + UBSan: no out-of-bounds access, no undefined behaviour."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import require_tool
from helpers.engine_checks import SAN_FLAGS

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.host import HostModel, build_executable


@pytest.mark.parametrize("name", ["ic_resnet8_int8.tflite", "kws_dscnn_int8.tflite"])
def test_generated_code_is_clean_under_asan_ubsan(mlperf_models: Path, tmp_path: Path, name: str) -> None:
    require_tool("cc", "build-essential")
    model = compile_tflite(mlperf_models / name)
    exe = build_executable(model, tmp_path / "build", SAN_FLAGS)
    rng = np.random.default_rng(3)
    host = HostModel(model)
    for i in range(2):
        x = rng.integers(-128, 128, size=model.input.shape, dtype=np.int8)
        (tmp_path / "in.bin").write_bytes(x.tobytes())
        proc = subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "runtime error" not in proc.stderr
        out = np.frombuffer((tmp_path / "out.bin").read_bytes(), dtype=np.int8)
        assert np.array_equal(out, host.run(x).reshape(-1)), f"sample {i}"
