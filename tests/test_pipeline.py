"""The recipe pipeline: stages run once, reruns skip, edits redo only what they affect, interruptions resume."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tfcompress.pipeline.run import run_pipeline
from tfcompress.recipe import load_recipe

TINY = """
name = "tiny-digits"
seed = 1

[dataset]
source = "digits"

[model]
name = "tiny-cnn"
width = 1.0

[train]
epochs = 6
batch_size = 32
learning_rate = 0.003

[[compress]]
name = "pruned"
method = "prune"
target_sparsity = {sparsity}
epochs = 1

[convert]
modes = ["float32", "int8"]
representative_samples = 50

[board]
name = "mps2-an500"
eval_samples = 8
"""


def _recipe(tmp: Path, sparsity: float = 0.5):
    path = tmp / "tiny.toml"
    path.write_text(TINY.format(sparsity=sparsity))
    return load_recipe(path)


def _manifest(run: Path, rel: str) -> dict:
    return json.loads((run / rel / "manifest.json").read_text())


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    """One run of the tiny recipe up to the convert step."""
    tmp = tmp_path_factory.mktemp("pipe")
    run = tmp / "run"
    results = run_pipeline(_recipe(tmp), out=run, until="convert")
    assert {v["variant"] for v in results["variants"]} == {"float32", "int8", "pruned-int8"}
    return run


def test_artifacts_and_results(converted: Path) -> None:
    results = json.loads((converted / "results.json").read_text())
    assert results["metric"] == "accuracy" and results["task"] == "classification"
    rows = {v["variant"]: v for v in results["variants"]}
    for name in ("float32", "int8", "pruned-int8"):
        assert (converted / "variants" / name / "model.tflite").is_file()
        assert rows[name]["metric_host"] is not None and rows[name]["metric_host"] > 0.5
    assert rows["int8"]["tflite_bytes"] < rows["float32"]["tflite_bytes"]
    assert rows["pruned-int8"]["sparsity"] == pytest.approx(0.5, abs=0.05)
    for rel in ("data", "baseline", "stages/pruned", "variants/int8"):
        m = _manifest(converted, rel)
        assert m["status"] == "complete" and m["tools"]["tensorflow"]
    debug = results["debug"]  # the report's layer-by-layer section: int8 against float32 on test data
    assert debug["variant"] == "int8" and debug["errors"] == []
    assert debug["memory"]["peak"]["live_bytes"] <= debug["memory"]["arena_bytes"]
    layers = debug["quant_error"]["layers"]
    assert layers and all(r["correlation"] is None or r["correlation"] > 0.9 for r in layers)


def test_rerun_skips_everything(converted: Path, tmp_path: Path) -> None:
    before = {rel: _manifest(converted, rel)["time"] for rel in ("baseline", "stages/pruned", "variants/int8")}
    results = run_pipeline(_recipe(tmp_path), out=converted, until="convert")
    assert results["timings"]["train"] < 30 and results["timings"]["convert"] < 30
    after = {rel: _manifest(converted, rel)["time"] for rel in before}
    assert after == before


def test_edit_redoes_only_affected_stages(converted: Path, tmp_path: Path) -> None:
    run = tmp_path / "edited"
    shutil.copytree(converted, run)
    untouched = {rel: _manifest(run, rel)["time"] for rel in ("data", "baseline", "variants/int8", "variants/float32")}
    redone = {rel: _manifest(run, rel)["fingerprint"] for rel in ("stages/pruned", "variants/pruned-int8")}
    results = run_pipeline(_recipe(tmp_path, sparsity=0.75), out=run, until="convert")
    assert {rel: _manifest(run, rel)["time"] for rel in untouched} == untouched
    assert all(_manifest(run, rel)["fingerprint"] != fp for rel, fp in redone.items())
    rows = {v["variant"]: v for v in results["variants"]}
    assert rows["pruned-int8"]["sparsity"] == pytest.approx(0.75, abs=0.05)


def test_interrupted_stage_resumes_to_the_same_numbers(converted: Path, tmp_path: Path) -> None:
    run = tmp_path / "interrupted"
    shutil.copytree(converted, run)
    manifest = run / "variants/int8/manifest.json"
    m = json.loads(manifest.read_text())
    m["status"] = "running"  # as if killed during conversion
    manifest.write_text(json.dumps(m))
    (run / "variants/int8/metrics.json").unlink()
    results = run_pipeline(_recipe(tmp_path), out=run, until="convert")
    want = {v["variant"]: v for v in json.loads((converted / "results.json").read_text())["variants"]}
    got = {v["variant"]: v for v in results["variants"]}
    assert got["int8"]["metric_tflm"] == want["int8"]["metric_tflm"]
    assert got["int8"]["tflite_bytes"] == want["int8"]["tflite_bytes"]
    assert _manifest(run, "variants/int8")["status"] == "complete"
