"""The pipeline with both runtimes: each deployable variant measured with the engine and with
TensorFlow Lite Micro side by side; the float32 variant the engine cannot compile goes to the
device through TFLM; dynamic-range stays host-only with TFLM's own reason. Plus the merge rule
and the results table/report, without a device."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from conftest import SHARED, require_tool, wait_for_tflm_library

from tfcompress.pipeline.device_steps import merge_runtimes
from tfcompress.recipe import parse_recipe, template_text
from tfcompress.report.table import best_variant, results_table, row_name, table_rows


def test_merge_keeps_both_runtimes_and_lets_tflm_take_what_the_engine_cannot():
    eng = {"variant": "int8", "runtime": "engine", "deployable": True}
    tfl = {"variant": "int8", "runtime": "tflm", "deployable": True}
    assert merge_runtimes([eng, tfl]) == [eng, tfl]
    eng_no = {"variant": "float32", "runtime": "engine", "deployable": False, "reason": "engine: float32 CONV_2D"}
    tfl_ok = {"variant": "float32", "runtime": "tflm", "deployable": True}
    assert merge_runtimes([eng_no, tfl_ok]) == [dict(tfl_ok, engine_reason="float32 CONV_2D")]
    tfl_no = {"variant": "dynamic", "runtime": "tflm", "deployable": False, "reason": "TFLM: hybrid"}
    assert merge_runtimes([eng_no, tfl_no]) == [dict(tfl_no, engine_reason="float32 CONV_2D")]
    assert merge_runtimes([eng_no]) == [eng_no]
    assert merge_runtimes([eng, dict(tfl_no, variant="int8")]) == [eng, dict(tfl_no, variant="int8")]
    assert merge_runtimes([{}]) == [{}]


def test_recipe_runtime_keys():
    data = tomllib.loads(template_text("default"))
    board = parse_recipe(data).board
    assert board.runtime == ("engine",) and board.runtimes_for("float32") == ("engine",)
    assert board.runtimes_for("float32", ("engine", "tflm")) == ("engine", "tflm")
    assert board.runtimes_for("pruned-int8", ("engine", "tflm")) == ("engine",)  # not in tflm_variants
    data["board"].update(runtime=["tflm"], tflm_variants=["*"])
    assert parse_recipe(data).board.runtimes_for("pruned-int8") == ("tflm",)


def _small(board: str, tree: Path):
    data = tomllib.loads(template_text("default"))
    data["dataset"]["params"].update(n_train=600, n_val=100, n_test=50)
    data["train"]["epochs"] = 1
    data["compress"] = []
    data["convert"]["modes"] = ["float32", "dynamic", "int8"]
    data["board"] = {"name": board, "eval_samples": 3, "runtime": ["engine", "tflm"], "tflm_dir": str(tree)}
    return parse_recipe(data)


@pytest.mark.emulated
@pytest.mark.shared
def test_pipeline_measures_engine_and_tflm_side_by_side(tmp_path):
    require_tool("arm-none-eabi-g++", "gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib")
    require_tool("qemu-system-arm", "qemu-system-arm")
    tree = SHARED / "tflm" / "cmsis-nn"
    if not tree.is_dir():
        pytest.skip(f"no TFLM tree at {tree} (a fresh clone has no ../shared)")
    wait_for_tflm_library()
    from tfcompress.pipeline.run import run_pipeline

    results = run_pipeline(_small("mps2-an500", tree), out=tmp_path / "run")
    rows = {row_name(v): v for v in results["variants"]}
    assert set(rows) == {"float32 [tflm]", "dynamic [tflm]", "int8", "int8 [tflm]"}
    for name in ("int8", "int8 [tflm]"):
        v = rows[name]
        assert v["deployable"] and v["agreement"] == 1.0 and v["latency"] > 0, v
        assert v["ram_bytes"] > 0 and v["flash_bytes"] > v["weights_bytes"] > 0
    assert rows["int8"]["runtime"] == "engine" and rows["int8 [tflm]"]["runtime"] == "tflm"
    assert rows["int8 [tflm]"]["metric_device"] == pytest.approx(rows["int8"]["metric_device"], rel=1e-12)
    f32 = rows["float32 [tflm]"]
    assert f32["deployable"] and f32["agreement"] == 1.0 and f32["engine_reason"]  # within the tolerance
    assert f32["float_tolerance"] is not None and f32["max_abs_diff"] < 1e-3
    dyn = rows["dynamic [tflm]"]
    assert not dyn["deployable"] and dyn["reason"].startswith("TFLM: ") and "hybrid" in dyn["reason"]
    assert results["board"]["runtimes"] == ["engine", "tflm"] and results["board"]["tflm"]["kernels"] == "cmsis-nn"
    text = results_table(results)
    assert "runtime" in text.splitlines()[1] and "tflm" in text
    cols, table = table_rows(results)
    assert [r["runtime"] for r in table] == ["tflm", "tflm", "engine", "tflm"]  # side by side per variant
    assert best_variant(results) in rows
    html = Path(results["report"]).read_text()
    assert "int8 [tflm]" in html or "tflm" in html
