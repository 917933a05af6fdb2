"""The model corpus (tests/corpus, tests/fixtures/corpus): the committed files match their manifest
and TFLM's verdicts; the slow test rebuilds them and compares structure (not bytes)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from tests.corpus.oracle import random_inputs, run_tflm
from tests.corpus.registry import FEATURES
from tests.corpus.tflite_info import model_info

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "corpus"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text())
MODELS = MANIFEST["models"]

#: ops the corpus must hold (in some committed model) — the brief's minimum list
REQUIRED_OPS = {
    "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV", "AVERAGE_POOL_2D", "MAX_POOL_2D",
    "ADD", "SUB", "MUL", "DIV", "SQUARED_DIFFERENCE", "MAXIMUM", "MINIMUM", "PRELU", "LEAKY_RELU", "RELU",
    "RELU6", "ELU", "LOGISTIC", "TANH", "HARD_SWISH", "EXP", "LOG", "RSQRT", "SQRT", "ABS", "NEG", "SOFTMAX",
    "LOG_SOFTMAX", "L2_NORMALIZATION", "MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "ARG_MAX", "ARG_MIN",
    "CONCATENATION", "PAD", "PADV2", "MIRROR_PAD", "RESHAPE", "STRIDED_SLICE", "SLICE", "TRANSPOSE", "SPLIT",
    "SPLIT_V", "PACK", "UNPACK", "GATHER", "GATHER_ND", "TILE", "BROADCAST_TO", "SPACE_TO_DEPTH",
    "DEPTH_TO_SPACE", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND", "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR",
    "BATCH_MATMUL", "QUANTIZE", "DEQUANTIZE", "EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS",
    "LESS_EQUAL", "SELECT_V2", "CAST", "ZEROS_LIKE", "FILL", "CUMSUM", "REVERSE_V2",
    "UNIDIRECTIONAL_SEQUENCE_LSTM", "SHAPE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE",
}


def _data(name: str) -> bytes:
    return (FIXTURES / MODELS[name]["file"]).read_bytes()


def test_manifest_matches_the_files():
    files = {p.name for p in FIXTURES.glob("*.tflite")}
    assert files == {rec["file"] for rec in MODELS.values()}
    total = 0
    for name, rec in MODELS.items():
        data = _data(name)
        total += len(data)
        info = model_info(data)
        assert info["sha256"] == rec["sha256"] and info["content_sha256"] == rec["content_sha256"], name
        assert info["ops"] == rec["ops"] and info["op_types"] == rec["op_types"], name
        assert set(rec["features"]) <= set(FEATURES), name
        assert set(rec["expect_ops"]) <= set(rec["ops"]), name
        assert "zoo" not in rec["features"], name
    assert total < 2 * 1024 * 1024, f"committed corpus is {total} bytes (keep it under 2 MB)"


def test_corpus_covers_the_required_ops_and_features():
    ops = set().union(*(rec["ops"] for rec in MODELS.values()))
    assert REQUIRED_OPS - ops == set()
    feats = [f for rec in MODELS.values() for f in rec["features"]]
    for f in ("int8", "int16x8", "float-io", "uint8-io", "multi-input", "multi-output", "stateful",
              "resource-variables", "folded-shape", "const-operand", "architecture"):
        assert f in feats, f
    for rec in MODELS.values():
        if "stateful" in rec["features"]:
            assert rec["invocations"] > 1 and (rec["variable_tensors"] or "CALL_ONCE" in rec["ops"])


@pytest.mark.parametrize("name", sorted(MODELS))
def test_fixture_against_tflm(name):
    """TFLM still loads/runs the model as recorded; where it runs, the same inputs give the same
    outputs in a fresh interpreter (stateful sequences included)."""
    rec, data = MODELS[name], _data(name)
    xs = random_inputs(data, seed=1, invocations=max(rec["invocations"], 1), ranges=rec["input_ranges"])
    first = run_tflm(data, xs)
    assert first.ok == rec["tflm"]["runs"], (first.reason(), rec["tflm"])
    if not first.ok:
        assert first.status == rec["tflm"]["stage"]
        return
    again = run_tflm(data, xs)
    for a, b in zip(first.outputs, again.outputs, strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)
    for out, meta in zip(first.outputs[0], rec["outputs"], strict=True):
        assert str(out.dtype) == meta["dtype"] and list(out.shape) == meta["shape"]


def test_state_changes_the_outputs():
    """The stateful probes really carry state: the same input twice gives different outputs (in a
    network whose LSTM reads 25 frames the initial state can wash out, so architectures may not)."""
    hidden = set()
    for name, rec in MODELS.items():
        if "stateful" not in rec["features"] or not rec["tflm"]["runs"]:
            continue
        data = _data(name)
        x = random_inputs(data, seed=2, ranges=rec["input_ranges"])[0]
        res = run_tflm(data, [x, x])
        assert res.ok
        if all(np.array_equal(a, b) for a, b in zip(res.outputs[0], res.outputs[1], strict=True)):
            hidden.add(name)
    assert {n for n in hidden if "architecture" not in MODELS[n]["features"]} == set()


def test_failures_are_classified():
    tile = next(n for n, r in MODELS.items() if r["ops"] == ["TILE"])
    res = run_tflm(_data(tile), random_inputs(_data(tile)))
    assert res.status == "load" and "TILE" in res.message
    exp = next(n for n, r in MODELS.items() if r["ops"] == ["EXP"])
    res = run_tflm(_data(exp), random_inputs(_data(exp)))
    assert res.status == "prepare" and "exp.cc" in res.message


def _crash() -> None:
    os.abort()


def test_worker_survives_a_crash():
    from tests.corpus.worker import Worker, WorkerCrash

    with Worker() as w:
        with pytest.raises(WorkerCrash):
            w.call(_crash, timeout=60)
        assert w.call(len, "abc", timeout=60) == 3


def test_registry_lists_every_committed_entry():
    from tests.corpus.registry import entries

    names = {e.name for e in entries(zoo=False)}
    assert set(MODELS) | set(MANIFEST["not_produced"]) == names


def test_coverage_benchmark_json(capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_coverage", Path(__file__).resolve().parents[1] / "benchmarks" / "coverage.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(["--only", "op_relu_int8", "--json", "--samples", "2"])
    out = json.loads(capsys.readouterr().out)
    assert out["summary"]["models"] == 1 and out["summary"]["tflm_runs"] == 1
    row = out["models"][0]
    assert row["model"] == "op_relu_int8" and "crash" not in row["engine"]


@pytest.mark.slow
def test_rebuild_matches_manifest(tmp_path):
    """Reconvert every committed entry; the structure (ops, op types, I/O types, features) must equal
    the manifest (bytes may differ across TensorFlow versions)."""
    from importlib.metadata import version

    from tests.corpus.generate import build_many

    res = build_many(sorted(MODELS) + sorted(MANIFEST["not_produced"]), tmp_path, log=lambda m: None)
    assert set(res["models"]) == set(MODELS)
    same_tf = MANIFEST["generator"]["tensorflow"] == version("tensorflow")
    for name, rec in res["models"].items():
        old = MODELS[name]
        # the same TensorFlow reproduces the computation exactly (seeded weights and calibration
        # data); only names may differ (they carry TF's per-process function counters)
        if same_tf:
            assert rec["content_sha256"] == old["content_sha256"], name
        for key in ("ops", "op_types", "features", "variable_tensors", "subgraphs"):
            assert rec[key] == old[key], (name, key)
        for side in ("inputs", "outputs"):
            assert [(t["dtype"], t["shape"]) for t in rec[side]] == [(t["dtype"], t["shape"]) for t in old[side]], \
                (name, side)
