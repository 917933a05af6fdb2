"""A real two-input, two-output int8 model through the engine, the firmware and the harness under
QEMU: `validate --board` counts every output, `evaluate` agrees with TFLM on every output and takes
its metric from the named one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import require_tool

from tfcompress.boards import load_board
from tfcompress.cli import main
from tfcompress.errors import TfcError

pytestmark = pytest.mark.emulated
BOARD = "mps2-an500"


def two_in_two_out_tflite() -> bytes:
    """image (6x6x1) and extra (5) in; cls (3, softmax) and big (300: longer than one RUN reply
    carries, so READ fetches the rest) out; full-integer int8."""
    from tfcompress.tfenv import keras, tf

    K, tfm = keras(), tf()
    K.utils.set_random_seed(0)
    image, extra = K.Input((6, 6, 1), name="image"), K.Input((5,), name="extra")
    h = K.layers.Flatten()(K.layers.Conv2D(4, 3, activation="relu")(image))
    h = K.layers.Concatenate()([h, K.layers.Dense(8, activation="relu")(extra)])
    cls = K.layers.Dense(3, activation="softmax", name="cls")(h)
    big = K.layers.Dense(300, name="big")(h)
    model = K.Model([image, extra], [cls, big])
    rng = np.random.default_rng(0)

    def rep():  # by name: the converter orders the inputs its own way
        for _ in range(16):
            yield {"image": rng.uniform(0, 1, (1, 6, 6, 1)).astype(np.float32),
                   "extra": rng.uniform(0, 1, (1, 5)).astype(np.float32)}

    conv = tfm.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tfm.lite.Optimize.DEFAULT]
    conv.representative_dataset = rep
    conv.target_spec.supported_ops = [tfm.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tfm.int8
    conv.inference_output_type = tfm.int8
    return bytes(conv.convert())


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")
    path = tmp_path_factory.mktemp("multi") / "two_in_two_out.tflite"
    path.write_bytes(two_in_two_out_tflite())
    return path


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("TFC_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "fw-cache"))


def test_validate_on_emulated_board_counts_every_output(model_path):
    from tfcompress.engine.compiler import compile_tflite

    outputs = compile_tflite(model_path).outputs
    res = CliRunner().invoke(main, ["validate", str(model_path), "--board", BOARD, "--samples", "3", "--json"])
    assert res.exit_code == 0, res.output
    r = json.loads(res.stdout)
    assert r["mismatched_elements"] == 0 and r["samples"] == 3 and r["board"] == BOARD
    assert [(o["name"], o["elements"], o["mismatched_elements"]) for o in r["per_output"]] == \
        [(t.name, 3 * t.elements, 0) for t in outputs]
    assert sorted(o["elements"] // 3 for o in r["per_output"]) == [3, 300]
    assert r["instructions"] > 0 and r["instructions_unit"] == "instructions (emulated)"


def test_evaluate_multi_input_metric_from_named_output(model_path, tmp_path):
    from tfcompress.engine.compiler import compile_tflite
    from tfcompress.harness.evaluate import EvalData, evaluate_on_board

    compiled = compile_tflite(model_path)
    names = [t.name for t in compiled.outputs]
    cls = next(i for i, t in enumerate(compiled.outputs) if t.elements == 3)
    rng = np.random.default_rng(1)
    image = rng.uniform(0, 1, (4, 6, 6, 1)).astype(np.float32)
    extra = rng.uniform(0, 1, (4, 5)).astype(np.float32)
    xs = [image, extra] if len(compiled.inputs[0].shape) == 4 else [extra, image]  # the model's input order
    y = np.array([0, 1, 2, 1])
    board = load_board(BOARD)
    r = evaluate_on_board(board, model_path, EvalData(xs, y), output=names[cls], firmware_dir=tmp_path / "fw")
    assert r["samples"] == 4 and r["agreement"] == 1.0 and r["mismatched_elements"] == 0
    assert [(o["name"], o["elements"], o["mismatched_elements"]) for o in r["per_output"]] == \
        [(t.name, 4 * t.elements, 0) for t in compiled.outputs]
    assert r["metric"] == "accuracy" and r["metric_output"] == {"index": cls, "name": names[cls]}
    # the metric is the named output's accuracy as TFLM computes it
    from tfcompress.tflm import TflmModel

    ref = TflmModel(compiled.model_bytes)
    q = [np.clip(np.round(x / t.scale) + t.zero_point, -128, 127).astype(np.int8) for x, t in zip(xs, compiled.inputs, strict=True)]
    pred = [int(np.argmax(ref.invoke([a[k:k + 1] for a in q])[cls])) for k in range(4)]
    assert r["metric_value"] == pytest.approx(float(np.mean(np.array(pred) == y)))
    journal = Path(r["journal"]).read_text().splitlines()
    assert len(journal) == 5 and len(json.loads(journal[1])["out"]) == 2  # every output recorded

    # the CLI: one array per input (x0, x1), --output by index; an unknown output is one clear line
    np.savez(tmp_path / "data.npz", x0=xs[0], x1=xs[1], y_test=y)
    res = CliRunner().invoke(main, ["evaluate", "--board", BOARD, "--model", str(model_path), "--data",
                                    str(tmp_path / "data.npz"), "--output", str(cls), "--json"])
    assert res.exit_code == 0, res.output
    cli = json.loads(res.stdout)["results"][model_path.stem]
    assert cli["metric_value"] == r["metric_value"] and cli["agreement"] == 1.0
    res = CliRunner().invoke(main, ["evaluate", "--board", BOARD, "--model", str(model_path), "--data",
                                    str(tmp_path / "data.npz"), "--output", "nope"])
    assert res.exit_code == 2 and "has no output 'nope'" in res.output and names[cls] in res.output
    with pytest.raises(TfcError) as e:
        evaluate_on_board(board, model_path, EvalData(image, y), firmware_dir=tmp_path / "fw")
    assert "takes 2 inputs, the data has 1" in e.value.what and "x0=" in e.value.fix

