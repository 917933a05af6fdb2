"""Per-layer quantisation error (convert/layer_error.py, `inspect --float-model`): layers of an int8 /
int16x8 .tflite matched with its float model; a layer whose weights are spoiled is the one that jumps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tests.helpers.keras_models import model_simd, to_int8_tflite, to_int16x8_tflite
from tfcompress.cli import main
from tfcompress.convert.layer_error import layer_error_report, layer_errors, sample_inputs

SHAPE = (12, 10, 4)


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    from tfcompress.modelio import save_model
    from tfcompress.tfenv import keras, tf

    K = keras()
    K.utils.set_random_seed(0)
    inp = K.Input(SHAPE)
    model = K.Model(inp, model_simd(K.layers, inp))
    d = tmp_path_factory.mktemp("layer_error")
    paths = {"keras": save_model(model, d / "m.keras"), "float": d / "f.tflite", "int8": d / "q8.tflite",
             "int16x8": d / "q16.tflite", "data": d / "data.npz"}
    paths["float"].write_bytes(bytes(tf().lite.TFLiteConverter.from_keras_model(model).convert()))
    paths["int8"].write_bytes(to_int8_tflite(model))
    paths["int16x8"].write_bytes(to_int16x8_tflite(model))
    np.savez(paths["data"], x=np.random.default_rng(1).uniform(0, 1, (12, *SHAPE)).astype(np.float32))
    return paths


def _by_index(rep: dict) -> dict[int, dict]:
    return {r["index"]: r for r in rep["layers"]}


@pytest.mark.parametrize("variant, lsb_bound", [("int8", 3.0), ("int16x8", None)])
def test_quantised_layers_track_the_float_model(models: dict[str, Path], variant: str, lsb_bound) -> None:
    rep = layer_error_report(models[variant], models["float"], data=models["data"], samples=12)
    assert rep["samples"] == 12 and rep["unmatched_ops"] == []
    ops = [r["op"] for r in sorted(rep["layers"], key=lambda r: r["order"])]
    assert ops[:3] == ["CONV_2D", "DEPTHWISE_CONV_2D", "CONV_2D"] and ops[-1] == "FULLY_CONNECTED"
    lsb = [r["rmse_lsb"] for r in rep["layers"]]
    assert lsb == sorted(lsb, reverse=True) and rep["worst"] == [r["name"] for r in rep["layers"][:3]]
    for r in rep["layers"]:
        assert r["correlation"] is not None and r["correlation"] > 0.98, r
        if lsb_bound is not None:
            assert r["rmse_lsb"] < lsb_bound, r
        assert r["dtype"] == ("int8" if variant == "int8" else "int16")


def test_keras_model_is_converted_to_its_float_tflite(models: dict[str, Path]) -> None:
    a = layer_error_report(models["int8"], models["keras"], data=models["data"], samples=4)
    b = layer_error_report(models["int8"], models["float"], data=models["data"], samples=4)
    assert [r["rmse_lsb"] for r in a["layers"]] == pytest.approx([r["rmse_lsb"] for r in b["layers"]])


def _spoil_weights(data: bytes, op_position: int) -> bytes:
    """The .tflite with the int8 weights of its ``op_position``-th op negated."""
    import flatbuffers

    from tfcompress.engine.schema import schema

    fb = schema()
    m = fb.ModelT.InitFromPackedBuf(bytearray(data), 0)
    sg = m.subgraphs[0]
    op = sg.operators[op_position]
    buf = m.buffers[sg.tensors[op.inputs[1]].buffer]
    w = np.asarray(buf.data, np.uint8).view(np.int8)
    buf.data = np.clip(-w.astype(np.int16), -127, 127).astype(np.int8).view(np.uint8).tolist()
    b = flatbuffers.Builder(len(data) + 1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def test_spoiled_layer_is_where_the_error_jumps(models: dict[str, Path]) -> None:
    quant = models["int8"].read_bytes()
    flt = models["float"].read_bytes()
    xs, _ = sample_inputs(quant, models["data"], 8, 0)
    clean = _by_index(layer_errors(quant, flt, xs))
    convs = sorted(r["index"] for r in clean.values() if r["op"] == "CONV_2D")
    target = convs[1]  # the 1x1 conv in the middle of the model
    spoiled = _by_index(layer_errors(_spoil_weights(quant, target), flt, xs))
    for index, r in spoiled.items():
        if index < target:
            assert r["rmse_lsb"] == pytest.approx(clean[index]["rmse_lsb"])
    assert spoiled[target]["rmse_lsb"] > 10 * clean[target]["rmse_lsb"]
    assert spoiled[target]["correlation"] < 0.5
    first_bad = min(i for i, r in spoiled.items() if r["rmse_lsb"] > 3 * clean[i]["rmse_lsb"] + 1)
    assert first_bad == target


def test_inspect_float_model_cli(models: dict[str, Path]) -> None:
    args = ["inspect", str(models["int8"]), "--float-model", str(models["float"]), "--data", str(models["data"]),
            "--samples", "4"]
    res = CliRunner().invoke(main, [*args, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["samples"] == 4 and out["layers"] and out["worst"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "rmse_lsb" in res.output and "worst:" in res.output
    res = CliRunner().invoke(main, ["inspect", str(models["int8"]), "--data", str(models["data"])])
    assert res.exit_code == 2 and "--float-model" in res.output
