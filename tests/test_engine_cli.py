"""`tfcompress inspect` and `tfcompress validate` (runner registry, exit codes, JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from tfcompress.cli import main
from tfcompress.engine import runners

AD = "ad_autoencoder_int8.tflite"


def test_inspect_json(mlperf_models: Path) -> None:
    res = CliRunner().invoke(main, ["inspect", str(mlperf_models / "ic_resnet8_int8.tflite"), "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert info["compilable"] and info["ram_bytes"] == info["arena_bytes"]
    assert {o["op"] for o in info["ops"]} >= {"CONV_2D", "CONV_2D+ADD", "SOFTMAX", "RESHAPE"}
    assert info["weights_bytes"] > 0 and info["unsupported_ops"] == []
    assert any("scales" in t for t in info["tensors"])  # per-channel weights reported


def test_inspect_table(mlperf_models: Path) -> None:
    res = CliRunner().invoke(main, ["inspect", str(mlperf_models / "kws_dscnn_int8.tflite")])
    assert res.exit_code == 0, res.output
    assert "DEPTHWISE_CONV_2D" in res.output and "peak RAM" in res.output


def test_validate_json_bit_exact(mlperf_models: Path) -> None:
    res = CliRunner().invoke(main, ["validate", str(mlperf_models / AD), "--board", "host", "--samples", "5",
                                    "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["samples"] == 5 and out["mismatched_elements"] == 0
    assert out["ram_bytes"] < out["tflm_arena_bytes"] and out["weights_bytes"] > 0


def test_validate_with_data_file(mlperf_models: Path, tmp_path: Path) -> None:
    x = np.random.default_rng(0).uniform(-1, 1, size=(3, 640)).astype(np.float32)
    np.savez(tmp_path / "d.npz", x=x)
    res = CliRunner().invoke(main, ["validate", str(mlperf_models / AD), "--data", str(tmp_path / "d.npz"),
                                    "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["samples"] == 3


def test_validate_unknown_board_is_a_clear_error(mlperf_models: Path) -> None:
    res = CliRunner().invoke(main, ["validate", str(mlperf_models / AD), "--board", "toaster"])
    assert res.exit_code == 2
    assert "unknown board 'toaster'" in res.output and "host" in res.output


class _Broken:
    def __init__(self, model) -> None:
        self.shape = model.output.shape

    def invoke(self, inputs):
        return [np.full(self.shape, 7, dtype=np.int8)]

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_validate_exits_1_on_mismatch(mlperf_models: Path) -> None:
    runners.register_runner("broken-test-board", _Broken)
    try:
        res = CliRunner().invoke(main, ["validate", str(mlperf_models / AD), "--board", "broken-test-board",
                                        "--samples", "2", "--json"])
    finally:
        runners.RUNNERS.pop("broken-test-board")
    assert res.exit_code == 1
    assert json.loads(res.stdout)["mismatched_elements"] > 0


def test_ops_command_lists_the_op_table() -> None:
    from tfcompress.engine.optable import FLOAT_OPS, OPS

    res = CliRunner().invoke(main, ["ops", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["count"] == len(set(OPS) | set(FLOAT_OPS)) and {r["op"] for r in out["ops"]} == set(OPS) | set(FLOAT_OPS)
    add = next(r for r in out["ops"] if r["op"] == "ADD")  # an integer row and a float32 row: one line
    assert "int8" in add["types"] and "float32" in add["types"] and "tfc_add_f32" in add["kernels"]
    conv = next(r for r in out["ops"] if r["op"] == "CONV_2D")
    assert "int8" in conv["types"] and "tfc_conv2d_s8" in conv["kernels"]


def test_readme_ops_table_is_generated_from_the_op_table() -> None:
    """README.md embeds `tfcompress ops --markdown` verbatim (regenerate it when the op table changes)."""
    from tfcompress.engine.optable_doc import BEGIN, END, markdown

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    embedded = readme[readme.index(BEGIN):readme.index(END) + len(END)]
    assert embedded == markdown(), "README's op table is stale: run python -m tfcompress.engine.optable_doc README.md"
