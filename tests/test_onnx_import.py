"""ONNX import: small ONNX graphs (onnx.helper) → tf_keras equal to onnxruntime → int8 → engine bit-exact."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

pytest.importorskip("onnx", reason="the ONNX importer's tests need `pip install tfcompress[onnx]`")

from helpers.onnx_models import OnnxBuilder, run_onnxruntime  # noqa: E402

from tfcompress.cli import main  # noqa: E402
from tfcompress.errors import TfcError  # noqa: E402
from tfcompress.importer import import_onnx  # noqa: E402


def _conv_block(path: Path) -> Path:
    """Conv (explicit pads) + BatchNorm + Relu, depthwise (group conv) with stride 2, max pool, Add,
    Sigmoid, Concat, average pool, Flatten (C, H, W order) + Gemm + Softmax; 4-D and 2-D global pools."""
    b = OnnxBuilder([1, 3, 12, 12], seed=1)
    x = b.op("Relu", [b.batch_norm(b.conv("x", 3, 8, 3, pads=[1, 1, 1, 1]), 8)])
    d = b.conv(x, 8, 8, 3, group=8, pads=[1, 1, 1, 1], strides=[2, 2])
    x = b.op("Add", [d, b.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])])
    x = b.op("Concat", [x, b.op("Sigmoid", [x])], axis=1)
    x = b.op("AveragePool", [x], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
    g = b.op("GlobalMaxPool", [x])
    r = b.op("ReduceMean", [x], axes=[2, 3], keepdims=0)
    y = b.op("Softmax", [b.gemm(b.op("Flatten", [x], axis=1), 16 * 6 * 6, 10)], axis=1)
    return b.save(path, [y, g, r], [[1, 10], [1, 16, 1, 1], [1, 16]])


def _depthwise_mult(path: Path) -> Path:
    """Depthwise with channel multiplier 2 and SAME_UPPER, Clip(0, 6), 1x1 conv, global average pool,
    shape arithmetic (Shape → Gather → Unsqueeze → Concat → Reshape, as torch's x.view(n, -1)),
    MatMul, Relu; a node named like the input; Pad."""
    b = OnnxBuilder([1, 4, 9, 7], seed=2)
    x = b.op("Pad", ["x", b.const(np.array([0, 0, 1, 0, 0, 0, 2, 1], np.int64))])
    b.nodes[-1].name = "x"  # a layer name that clashes with the input's
    x = b.conv(x, 4, 8, 3, group=4, auto_pad="SAME_UPPER")
    x = b.op("Clip", [x, b.const(np.float32(0)), b.const(np.float32(6))])
    x = b.op("Conv", [x, b.weight(6, 8, 1, 1)], kernel_shape=[1, 1])
    x = b.op("GlobalAveragePool", [x])
    n = b.op("Unsqueeze", [b.op("Gather", [b.op("Shape", [x]), b.const(np.int64(0))], axis=0),
                           b.const(np.array([0], np.int64))])
    shape = b.op("Concat", [n, b.const(np.array([-1], np.int64))], axis=0)
    y = b.op("Relu", [b.op("MatMul", [b.op("Reshape", [x, shape]), b.weight(6, 5)])])
    return b.save(path, y, [1, 5])


@pytest.mark.parametrize("build", [_conv_block, _depthwise_mult])
def test_import_matches_onnxruntime(tmp_path: Path, build) -> None:
    path = build(tmp_path / "m.onnx")
    model = import_onnx(path)
    shape = [int(d) for d in model.input.shape[1:]]
    x = np.random.default_rng(0).uniform(-1, 1, (3, shape[2], shape[0], shape[1])).astype(np.float32)
    ours = model.predict(x.transpose(0, 2, 3, 1), verbose=0)  # the Keras model is NHWC
    ours = ours if isinstance(ours, list) else [ours]
    refs = [run_onnxruntime(path, x[i:i + 1]) for i in range(len(x))]
    for k, out in enumerate(ours):
        ref = np.concatenate([r[k] for r in refs])
        out = out.transpose(0, 3, 1, 2) if out.ndim == 4 else out
        assert out.shape == ref.shape
        np.testing.assert_allclose(out, ref, atol=2e-5, rtol=1e-4)


def test_layers_are_plain_keras_layers(tmp_path: Path) -> None:
    """What tfmot prunes/quantizes: real Conv2D/DepthwiseConv2D/Dense layers with the ONNX weights."""
    model = import_onnx(_conv_block(tmp_path / "m.onnx"))
    kinds = {type(layer).__name__ for layer in model.layers}
    assert {"Conv2D", "DepthwiseConv2D", "Dense", "BatchNormalization", "Softmax", "Permute"} <= kinds
    assert "Lambda" not in kinds and "TFOpLambda" not in kinds
    assert model.get_layer("probs").output.shape[-1] == 10  # a graph-output Softmax is named "probs"


@pytest.mark.slow  # with test_onnx_pipeline.py::test_fine_tuned_pruned_int8_bit_exact
def test_tfmot_wraps_imported_layers(tmp_path: Path) -> None:
    from tfcompress.compress.qat import quantize
    from tfcompress.tfenv import tfmot

    path = _conv_block(tmp_path / "m.onnx")
    pruned = tfmot().sparsity.keras.prune_low_magnitude(import_onnx(path))
    assert sum(type(la).__name__ == "PruneLowMagnitude" for la in pruned.layers) >= 4
    single = import_onnx(path)
    qat = quantize(type(single)(single.inputs, single.outputs[0]), "pcqat")
    assert any(type(la).__name__ == "QuantizeWrapperV2" for la in qat.layers)


def _int8(model, n: int = 24) -> bytes:
    from tfcompress.convert.modes import convert_model

    class Calibration:  # what convert_model reads from a dataset
        def representative(self, n: int, seed: int = 0) -> np.ndarray:
            rng = np.random.default_rng(seed)
            return rng.uniform(-1, 1, (n, *model.input.shape[1:])).astype(np.float32)

    return convert_model(model, "int8", Calibration(), representative_n=n)


@pytest.mark.slow  # the default suite checks int8 bit-exactness on the pipeline's model (test_onnx_pipeline.py)
def test_imported_int8_is_bit_exact_on_host(tmp_path: Path) -> None:
    from tfcompress.engine.validate import validate_model

    model = import_onnx(_conv_block(tmp_path / "m.onnx"))
    model = type(model)(model.inputs, model.outputs[0])  # the classification output
    result = validate_model(_int8(model), board="host", samples=4)
    assert result.samples == 4 and result.mismatched_elements == 0


@pytest.mark.parametrize("op, attrs, message", [
    ("Erf", {}, "node 'erf2' (op Erf) cannot be converted: op not supported"),
    ("MaxPool", {"kernel_shape": [3, 3], "pads": [0, 0, 2, 2]}, "node 'maxpool2' (op MaxPool)"),
    ("Conv", {"group": 2}, "grouped convolution with group=2"),
])
def test_unconvertible_node_is_named(tmp_path: Path, op: str, attrs: dict, message: str) -> None:
    b = OnnxBuilder([1, 4, 6, 6])
    x = b.op("Relu", ["x"])
    if op == "Conv":
        x = b.op("Conv", [x, b.weight(4, 2, 1, 1)], kernel_shape=[1, 1], **attrs)
    else:
        x = b.op(op, [x], **attrs)
    path = b.save(tmp_path / "m.onnx", x, [1, 4, 6, 6] if op != "MaxPool" else [1, 4, 6, 6])
    with pytest.raises(TfcError) as err:
        import_onnx(path)
    assert message in err.value.line() and "\n" not in err.value.line()


def test_missing_onnx_package_names_the_extra(monkeypatch, tmp_path: Path) -> None:
    path = _depthwise_mult(tmp_path / "m.onnx")
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if `pip install tfcompress` without [onnx]
    with pytest.raises(TfcError, match=r"needs the 'onnx' package — pip install tfcompress\[onnx\]$"):
        import_onnx(path)
    run = CliRunner().invoke(main, ["import", str(path)])
    assert run.exit_code == 2 and "pip install tfcompress[onnx]" in run.output


def test_import_command(tmp_path: Path) -> None:
    src = _depthwise_mult(tmp_path / "net.onnx")
    run = CliRunner().invoke(main, ["import", str(src), "--json"])
    assert run.exit_code == 0, run.output
    info = json.loads(run.stdout)
    assert info["model_file"] == str(tmp_path / "net.keras") and (tmp_path / "net.keras").is_file()
    assert info["inputs"] == [[None, 9, 7, 4]] and info["outputs"] == [[None, 5]]
    assert info["layers"]["ZeroPadding2D"] == 1
    assert info["layers"]["DepthwiseConv2D"] == 1
    again = CliRunner().invoke(main, ["import", str(src)])
    assert again.exit_code == 2 and "--force" in again.output  # nothing is overwritten without --force
    forced = CliRunner().invoke(main, ["import", str(src), "--out", str(tmp_path / "net.keras"), "--force"])
    assert forced.exit_code == 0, forced.output
    from tfcompress.modelio import load_model

    reloaded = load_model(tmp_path / "net.keras")
    x = np.random.default_rng(3).uniform(-1, 1, (2, 9, 7, 4)).astype(np.float32)
    ref = np.concatenate([run_onnxruntime(src, x[i:i + 1].transpose(0, 3, 1, 2))[0] for i in range(2)])
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), ref, atol=2e-5, rtol=1e-4)


def test_fit_to_dataset(tmp_path: Path) -> None:
    """A recipe's dataset must fit the imported model; classification logits get a Softmax 'probs' head."""
    from types import SimpleNamespace

    from tfcompress.importer.fit import fit_to_dataset

    b = OnnxBuilder([1, 1, 8, 8])
    x = b.op("Flatten", [b.op("GlobalAveragePool", [b.conv("x", 1, 4, 3)])], axis=1)
    model = import_onnx(b.save(tmp_path / "m.onnx", b.gemm(x, 4, 10), [1, 10]))
    digits = SimpleNamespace(name="digits", input_shape=(8, 8, 1), num_outputs=10, task="classification")
    fitted = fit_to_dataset(model, digits, "m.onnx")
    assert fitted.layers[-1].name == "probs" and fitted.output.shape[-1] == 10
    with pytest.raises(TfcError, match=r"takes input \(1, 1, 8, 8\) \(NCHW\) but dataset 'eyes' gives "
                                       r"\(1, 1, 16, 16\) — export it with an example input of shape \(1, 1, 16, 16\)"):
        fit_to_dataset(model, SimpleNamespace(name="eyes", input_shape=(16, 16, 1), num_outputs=10), "m.onnx")
    with pytest.raises(TfcError, match=r"has 3 classes — export a model whose output is \(N, 3\)"):
        fit_to_dataset(model, SimpleNamespace(name="z", input_shape=(8, 8, 1), num_outputs=3,
                                              task="classification"), "m.onnx")
