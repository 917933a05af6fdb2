"""A recipe with ``[model] onnx``: imported as is (metric = onnxruntime's on the same data), then fine-tuned,
pruned, converted to int8 and checked bit-exact with the engine (host; the QEMU board when emulated)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnx", reason="the ONNX importer's tests need `pip install tfcompress[onnx]`")

from helpers.onnx_models import OnnxBuilder, run_onnxruntime  # noqa: E402

from tfcompress.pipeline.run import run_pipeline  # noqa: E402
from tfcompress.recipe import load_recipe  # noqa: E402

RECIPE = """
name = "onnx-digits"
seed = 0

[dataset]
source = "digits"

[model]
onnx = "digits_net.onnx"          # relative to this file

{extra}
[convert]
modes = ["int8"]
representative_samples = 50

[board]
name = "mps2-an500"
eval_samples = 4
"""


def digits_net(path: Path) -> Path:
    """An 8x8x1 → 10-class CNN as PyTorch would export it: conv, depthwise, add, max pool, concat with a
    sigmoid gate, 1x1 conv + batch norm, average pool, flatten in (C, H, W) order, Gemm logits (no softmax)."""
    b = OnnxBuilder([1, 1, 8, 8], seed=4)
    x = b.op("Relu", [b.conv("x", 1, 12, 3, pads=[1, 1, 1, 1])])
    x = b.op("Add", [x, b.op("Relu", [b.conv(x, 12, 12, 3, group=12, pads=[1, 1, 1, 1])])])
    x = b.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
    x = b.op("Concat", [x, b.op("Sigmoid", [x])], axis=1)
    x = b.op("Relu", [b.batch_norm(b.conv(x, 24, 16, 1, bias=False), 16)])
    x = b.op("Flatten", [b.op("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])], axis=1)
    return b.save(path, b.gemm(x, 16 * 2 * 2, 10), [1, 10])


@pytest.fixture(scope="module")
def onnx_run(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("onnx_pipe")
    digits_net(tmp / "digits_net.onnx")
    return tmp, tmp / "run"


def _recipe(tmp: Path, extra: str = ""):
    path = tmp / "recipe.toml"
    path.write_text(RECIPE.format(extra=extra))
    return load_recipe(path)


def test_imported_model_used_as_is_then_int8_bit_exact(onnx_run) -> None:
    """epochs defaults to 0: the baseline is the ONNX model itself, scored on the NHWC test split exactly
    as onnxruntime scores it on NCHW; its int8 variant matches TFLM bit for bit in the engine."""
    from tfcompress.data.dataset import load_saved_dataset
    from tfcompress.engine.validate import validate_model

    tmp, run = onnx_run
    recipe = _recipe(tmp)
    assert recipe.train.epochs == 0 and recipe.model.onnx == str(tmp / "digits_net.onnx")
    results = run_pipeline(recipe, out=run, until="convert")
    metrics = json.loads((run / "baseline" / "manifest.json").read_text())["metrics"]
    assert metrics["epochs_run"] == 0 and metrics["model"]["onnx"] == recipe.model.onnx
    ds = load_saved_dataset(run / "data" / "dataset.npz")
    x = ds.x_test.transpose(0, 3, 1, 2)  # what PyTorch would see: NCHW
    logits = np.concatenate([run_onnxruntime(tmp / "digits_net.onnx", x[i:i + 1])[0] for i in range(len(x))])
    assert metrics["value"] == pytest.approx(float(np.mean(logits.argmax(1) == ds.y_test)), abs=1e-9)
    assert [v["variant"] for v in results["variants"]] == ["int8"]
    check = validate_model(run / "variants" / "int8" / "model.tflite", board="host", samples=4)
    assert check.mismatched_elements == 0


@pytest.mark.emulated
def test_imported_int8_on_emulated_board(onnx_run) -> None:
    from conftest import require_tool

    from tfcompress.engine.validate import validate_model

    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi libnewlib-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")
    _, run = onnx_run
    tflite = run / "variants" / "int8" / "model.tflite"
    if not tflite.is_file():
        pytest.skip("needs the run of test_imported_model_used_as_is_then_int8_bit_exact (run the module)")
    result = validate_model(tflite, board="mps2-an500", samples=2)
    assert result.samples == 2 and result.mismatched_elements == 0


FINE_TUNE = """
[train]
epochs = 8
batch_size = 32
learning_rate = 0.01

[[compress]]
name = "pruned"
method = "prune"
target_sparsity = 0.5
epochs = 1
"""


@pytest.mark.slow
def test_fine_tuned_pruned_int8_bit_exact(tmp_path: Path) -> None:
    """[train] epochs > 0 fine-tunes the imported model; tfmot prunes its layers; int8 stays bit-exact."""
    from tfcompress.engine.validate import validate_model

    digits_net(tmp_path / "digits_net.onnx")
    run = tmp_path / "run"
    results = run_pipeline(_recipe(tmp_path, FINE_TUNE), out=run, until="convert")
    baseline = json.loads((run / "baseline" / "manifest.json").read_text())["metrics"]
    assert baseline["epochs_run"] == 8 and baseline["value"] > 0.8  # the imported graph trains
    rows = {v["variant"]: v for v in results["variants"]}
    assert set(rows) == {"int8", "pruned-int8"}
    assert rows["pruned-int8"]["sparsity"] == pytest.approx(0.5, abs=0.05)  # tfmot wrapped the imported layers
    assert rows["int8"]["metric_host"] > 0.7
    for name in rows:
        check = validate_model(run / "variants" / name / "model.tflite", board="host", samples=4)
        assert check.mismatched_elements == 0, name
