"""First diverging layer on the host (engine/debug.py): the debug build's per-op outputs against TFLM
with every tensor kept; a one-LSB fault injected into one op's output is named, a correct model is not."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tfcompress.cli import main
from tfcompress.engine import runners
from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.debug import DebugHostModel, localize
from tfcompress.engine.validate import random_inputs, validate_model

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"


@pytest.mark.parametrize("name, kernels", [("arch_kws_dscnn_int8.tflite", "reference"),
                                           ("arch_kws_dscnn_int16x8.tflite", "reference"),
                                           ("arch_preact_resnet_int8.tflite", "optimized")])
def test_correct_model_has_no_diverging_op(name: str, kernels: str) -> None:
    model = compile_tflite(CORPUS / name, kernels=kernels)
    loc = localize(model, random_inputs(model, 3, seed=1))
    assert loc.ok and loc.first is None, loc.summary()
    assert loc.oracle == "tflm" and loc.samples == 3
    assert len(loc.ops) >= len(model.lowered) - len(loc.skipped)
    assert all(d.differing == 0 and d.elements > 0 for d in loc.ops)


@pytest.mark.parametrize("name, kernels", [("arch_kws_dscnn_int8.tflite", "reference"),
                                           ("arch_kws_dscnn_int16x8.tflite", "optimized"),
                                           ("arch_preact_resnet_int8.tflite", "optimized")])
def test_injected_lsb_error_names_its_op(name: str, kernels: str) -> None:
    model = compile_tflite(CORPUS / name, kernels=kernels)
    xs = random_inputs(model, 2, seed=2)
    candidates = [k for k, lo in enumerate(model.lowered) if not lo.alias and lo.outputs
                  and lo.outputs[0] in model.plan.offsets]
    for position in (candidates[0], candidates[len(candidates) // 2], candidates[-1]):
        loc = localize(model, xs, inject=position)
        lo = model.lowered[position]
        assert loc.first is not None, f"fault at step {position} not found"
        assert (loc.first.position, loc.first.index, loc.first.tensor) == (position, lo.op.index, lo.outputs[0])
        assert loc.first.first_sample == 0 and loc.first.max_abs_diff >= 1
        # element 0 of every sample was corrupted: at least one element per sample differs
        assert loc.first.differing >= len(xs)
        assert all(d.differing == 0 for d in loc.ops if d.position < position)


def test_fused_conv_add_is_one_step() -> None:
    model = compile_tflite(CORPUS / "arch_preact_resnet_int8.tflite", kernels="optimized")
    fused = [k for k, lo in enumerate(model.lowered) if lo.fused]
    if not fused:
        pytest.skip("no CONV_2D+ADD fusion in this model with this kernel set")
    loc = localize(model, random_inputs(model, 1, seed=3), inject=fused[0])
    assert loc.first is not None and "+" in loc.first.op and loc.first.position == fused[0]


def test_debug_build_outputs_equal_the_plain_build() -> None:
    from tfcompress.engine.host import HostModel

    model = compile_tflite(CORPUS / "arch_kws_dscnn_int8.tflite")
    x = random_inputs(model, 1, seed=4)[0]
    debug = DebugHostModel(model)
    ys = debug.invoke(x)
    assert all(np.array_equal(a, b) for a, b in zip(ys, HostModel(model).invoke(x), strict=True))
    assert sorted(debug.captured) == list(range(len(model.lowered)))
    last = model.lowered[-1].outputs[0]
    assert np.array_equal(debug.captured[len(model.lowered) - 1][last].reshape(-1), ys[0].reshape(-1))


class _FaultyDevice:
    """A 'device' whose outputs are off by one in element 0 (the host build is correct)."""

    def __init__(self, model) -> None:
        from tfcompress.engine.host import HostModel

        self._m = HostModel(model)

    def invoke(self, inputs):
        outs = self._m.invoke(inputs)
        outs[0].reshape(-1)[0] += 1
        return outs

    def reset(self) -> None:
        self._m.reset()

    def close(self) -> None:
        pass


def test_validate_localizes_automatically_on_mismatch(monkeypatch) -> None:
    monkeypatch.setitem(runners.RUNNERS, "faulty-test-board", _FaultyDevice)
    path = CORPUS / "arch_kws_dscnn_int8.tflite"
    res = validate_model(path, board="faulty-test-board", samples=2)
    assert not res.ok and res.localization is not None
    # no debug firmware for this board: compared on the host, which agrees op by op
    assert res.localization["ok"] and res.localization["scope"] == "host"
    assert "faulty-test-board" in res.localization["note"]
    assert validate_model(path, samples=2).localization is None  # bit-exact: not run unless asked


def test_validate_cli_localize_json() -> None:
    path = str(CORPUS / "arch_kws_dscnn_int8.tflite")
    res = CliRunner().invoke(main, ["validate", path, "--samples", "2", "--localize", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    loc = out["localization"]
    assert loc["ok"] and loc["first_diverging"] is None and loc["compared_ops"] > 0
    res = CliRunner().invoke(main, ["validate", path, "--samples", "2", "--localize"])
    assert res.exit_code == 0 and "localize: every op's output on the host agrees" in res.output


def test_validate_mismatch_names_the_op_that_diverges() -> None:
    """A real disagreement: int16 FULLY_CONNECTED rounds as TFLM does, and this probe's oracle is
    TFLite's reference kernels (TFLM cannot run it), which round differently (test_engine_corpus
    lists the difference). validate fails and, unasked, names that op."""
    path = str(CORPUS / "op_embedding_lookup_int16x8.tflite")
    res = CliRunner().invoke(main, ["validate", path, "--samples", "2", "--kernels", "optimized", "--json"])
    assert res.exit_code == 1, res.output
    out = json.loads(res.stdout)
    first = out["localization"]["first_diverging"]
    assert out["oracle"] == "tflite-reference" and out["mismatched_elements"] > 0
    assert (first["op"], first["index"], first["position"]) == ("FULLY_CONNECTED", 2, 2)
    assert first["max_abs_diff"] == 1 and first["differing"] >= 1
    res = CliRunner().invoke(main, ["validate", path, "--samples", "2", "--kernels", "optimized", "--no-localize",
                                    "--json"])
    assert res.exit_code == 1 and json.loads(res.stdout)["localization"] is None
