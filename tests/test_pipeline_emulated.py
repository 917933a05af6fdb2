"""The default recipe's int8 variant end to end on both emulated boards (build → QEMU → harness → metric)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from conftest import require_tool

from tfcompress.convert.tflm import TflmRunner
from tfcompress.data import load_saved_dataset
from tfcompress.metrics import compute_metric
from tfcompress.pipeline.run import run_pipeline
from tfcompress.recipe import parse_recipe, template_text

pytestmark = pytest.mark.emulated


def _small_default(board: str):
    """The built-in default recipe with less data and fewer epochs (same model, dataset and board flow)."""
    data = tomllib.loads(template_text("default"))
    data["dataset"]["params"].update(n_train=1200, n_val=200, n_test=100)
    data["train"]["epochs"] = 3
    data["compress"] = []
    data["convert"]["modes"] = ["int8"]
    data["board"] = {"name": board, "eval_samples": 12}  # the test below recomputes these 12 on the host
    return parse_recipe(data)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi libnewlib-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")
    return tmp_path_factory.mktemp("emu") / "run"


@pytest.mark.parametrize("board", ["mps2-an500", "netduinoplus2"])
def test_default_recipe_int8_on_emulated_board(run_dir: Path, board: str) -> None:
    results = run_pipeline(_small_default(board), out=run_dir, until="device")
    int8 = next(v for v in results["variants"] if v["variant"] == "int8")
    assert int8["deployable"], int8["reason"]
    assert int8["agreement"] == 1.0  # device output equals TFLM's host interpreter, every sample
    # the device's metric is exactly what TFLM's host interpreter gives on the same samples
    ds = load_saved_dataset(run_dir / "data" / "dataset.npz")
    n = 12
    pred, _ = TflmRunner((run_dir / "variants" / "int8" / "model.tflite").read_bytes()).predict(ds.x_test[:n])
    want = compute_metric(ds.metric, ds.y_test[:n], pred, ds.target_scale)
    assert int8["metric_device"] == pytest.approx(want, rel=1e-9)
    assert int8["latency"] > 1e5 and int8["flash_bytes"] > int8["weights_bytes"] > 0
    assert results["board"] == {"name": board, "emulated": True, "latency_unit": "instructions (emulated)"}
    device = json.loads((run_dir / "firmware" / board / "int8-eval" / "device.json").read_text())
    assert device["kernels"] == "optimized"  # both emulated cores have the DSP extension
    stats = device["latency_stats"]
    assert stats["min"] == stats["max"] or stats["max"] - stats["min"] < 0.01 * stats["mean"]
