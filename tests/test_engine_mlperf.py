"""MLPerf Tiny models: bit-exact with TFLite Micro, and RAM well below TFLM's arena."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.debug import localize
from tfcompress.engine.host import HostModel
from tfcompress.engine.validate import random_inputs
from tfcompress.tflm import TflmModel, tflm_arena_breakdown, tflm_arena_bytes

pytestmark = pytest.mark.shared

#: model file -> RAM goal in bytes (0.6x TFLM's arena, DESIGN.md §6)
GOALS = {
    "ic_resnet8_int8.tflite": 33_000,
    "vww_mobilenet_int8.tflite": 60_400,
    "kws_dscnn_int8.tflite": 13_700,
    "ad_autoencoder_int8.tflite": 1_500,
}


def _bit_exact(path: Path, samples: int, seed: int) -> int:
    data = path.read_bytes()
    model = compile_tflite(data)
    ours, ref = HostModel(model), TflmModel(data)
    rng = np.random.default_rng(seed)
    bad = 0
    for _ in range(samples):
        x = rng.integers(-128, 128, size=model.input.shape, dtype=np.int8)
        a = ours.run(x)
        bad += int((a != ref.run(x).reshape(a.shape)).sum())
    return bad


@pytest.mark.parametrize("name", sorted(GOALS))
def test_mlperf_bit_exact(mlperf_models: Path, name: str) -> None:
    assert _bit_exact(mlperf_models / name, samples=20, seed=1) == 0


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(GOALS))
def test_mlperf_bit_exact_many(mlperf_models: Path, name: str) -> None:
    assert _bit_exact(mlperf_models / name, samples=300, seed=2) == 0


@pytest.mark.parametrize("name", sorted(GOALS))
def test_mlperf_ram_goal(mlperf_models: Path, name: str) -> None:
    data = (mlperf_models / name).read_bytes()
    model = compile_tflite(data)
    tflm = tflm_arena_breakdown(data)
    assert model.ram_bytes <= GOALS[name]
    assert model.ram_bytes <= 0.6 * tflm["total"]
    assert model.plan.greedy_bytes <= tflm["head"]  # plain greedy plan is no worse than TFLM's
    assert model.weights_bytes > 0


def test_tflm_arena_bytes_matches_source_md(mlperf_models: Path) -> None:
    # SOURCE.md records TFLM's recording-allocator totals for these models
    data = (mlperf_models / "ic_resnet8_int8.tflite").read_bytes()
    assert tflm_arena_bytes(data) == 55_984
    assert tflm_arena_breakdown(data)["head"] == 49_152


def test_written_project_layout(mlperf_models: Path, tmp_path: Path) -> None:
    model = compile_tflite(mlperf_models / "kws_dscnn_int8.tflite")
    model.write(tmp_path)
    header = (tmp_path / "model.h").read_text()
    for macro in ("TFC_MODEL_HASH", "TFC_INPUT_BYTES", "TFC_OUTPUT_BYTES", "TFC_INPUT_ELEMENTS",
                  "TFC_OUTPUT_ELEMENTS", "TFC_INPUT_DTYPE", "TFC_OUTPUT_DTYPE", "TFC_INPUT_NDIM",
                  "TFC_INPUT_SHAPE", "TFC_OUTPUT_NDIM", "TFC_OUTPUT_SHAPE", "TFC_INPUT_SCALE",
                  "TFC_INPUT_ZERO_POINT", "TFC_OUTPUT_SCALE", "TFC_OUTPUT_ZERO_POINT", "TFC_ARENA_BYTES"):
        assert f"#define {macro} " in header
    assert f'#define TFC_MODEL_HASH "{model.graph.model_hash}"' in header
    assert "int tfc_model_run(const void *const inputs[], void *const outputs[]);" in header
    assert "void tfc_model_reset(void);" in header
    assert "#define TFC_NUM_INPUTS 1" in header and "#define TFC_NUM_OUTPUTS 1" in header
    assert f"#define TFC_ARENA_BYTES {model.ram_bytes}" in header
    assert (tmp_path / "engine" / "tfc_fixedpoint.h").is_file()
    assert (tmp_path / "engine" / "depthwise_conv2d_s8.c").is_file()
    assert not (tmp_path / "engine" / "binary_s8.c").exists()  # only the kernels the model needs
    source = (tmp_path / "model.c").read_text()
    assert "malloc" not in source


@pytest.mark.parametrize("kernels", ["optimized", "reference"])
@pytest.mark.parametrize("name", sorted(GOALS))
def test_mlperf_every_op_bit_exact(mlperf_models: Path, name: str, kernels: str) -> None:
    """Not only the outputs: every op's output tensor equals TFLM's (a wrong intermediate value can
    be masked by a later ReLU or the final argmax, as a dead channel's wrapped bias once was)."""
    model = compile_tflite(mlperf_models / name, kernels=kernels)
    loc = localize(model, random_inputs(model, 2, seed=3))
    assert loc.ok, loc.summary()
    assert len(loc.ops) >= 10
