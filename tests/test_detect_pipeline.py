"""The built-in detection recipe end to end on mps2-an500 (train, prune, float32/int8/pruned-int8,
engine firmware in QEMU, mAP from the device's outputs, report with boxes). Several minutes."""

from __future__ import annotations

import pytest
from conftest import require_tool

from tfcompress.convert.tflm import TflmRunner
from tfcompress.data import load_saved_dataset
from tfcompress.detect.metric import evaluate_detections
from tfcompress.pipeline.run import run_pipeline
from tfcompress.recipe import load_recipe

pytestmark = [pytest.mark.slow, pytest.mark.emulated]


def test_detection_recipe_end_to_end(tmp_path):
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi libnewlib-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")
    run_dir = tmp_path / "run"
    results = run_pipeline(load_recipe("detection"), out=run_dir, board_name="mps2-an500")
    assert results["task"] == "detection" and results["metric"] == "map50"
    rows = {v["variant"]: v for v in results["variants"]}
    assert set(rows) == {"float32", "int8", "pruned-int8"}
    for name, row in rows.items():
        assert row["detection_host"]["map50"] > 0.2, name  # learnt something (about 0.5 when measured)
    ds = load_saved_dataset(run_dir / "data" / "dataset.npz")
    n = load_recipe("detection").board.eval_samples
    for name in ("int8", "pruned-int8"):
        row = rows[name]
        assert row["deployable"] and row["agreement"] == 1.0, row["reason"]
        # the device's mAP is exactly what TFLM's host interpreter gives on the same samples
        pred, _ = TflmRunner((run_dir / "variants" / name / "model.tflite").read_bytes()).predict(ds.x_test[:n])
        want = evaluate_detections(ds.y_test[:n], pred, ds.target_scale)
        assert row["metric_device"] == pytest.approx(want["map50"], rel=1e-9)
        got = row["detection_device"]["per_class_ap50"]
        assert got.keys() == want["per_class_ap50"].keys()
        for k, ap in want["per_class_ap50"].items():
            assert got[k] == (None if ap is None else pytest.approx(ap, rel=1e-9)), k
    html = (run_dir / "report.html").read_text()
    assert "Detection: AP per class" in html and (run_dir / "plots" / "samples.png").is_file()
    assert (run_dir / "plots" / "class_ap.png").is_file()
