"""Memory timeline from the static plan (engine/memory.py): live buffers per op, the peak and what
makes it, flash per op; `inspect --memory` and `validate --json`'s ``memory``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tfcompress.cli import main
from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.memory import memory_timeline

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
MODELS = ["arch_kws_dscnn_int8.tflite", "arch_preact_resnet_int8.tflite", "arch_kws_dscnn_int16x8.tflite",
          "arch_multi_input_int8.tflite"]


@pytest.mark.parametrize("kernels", ["reference", "optimized"])
@pytest.mark.parametrize("name", MODELS)
def test_timeline_agrees_with_the_plan(name: str, kernels: str) -> None:
    model = compile_tflite(CORPUS / name, kernels=kernels)
    mem = memory_timeline(model)
    n = len(model.lowered)
    assert [s["step"] for s in mem["steps"]] == list(range(n + 2))
    assert [s["index"] for s in mem["steps"][1:-1]] == [lo.op.index for lo in model.lowered]
    buffers = {b["buffer"]: b for b in mem["buffers"]}
    overlapping = {(a, b) for a, b, _ in model.plan.overlaps} | {(b, a) for a, b, _ in model.plan.overlaps}
    for s in mem["steps"]:
        live = [buffers[i] for i in s["live_buffers"]]
        assert s["high_water"] <= mem["arena_bytes"]
        assert s["live_bytes"] <= s["high_water"] or not live
        for i, a in enumerate(live):  # two live buffers share bytes only where the planner overlapped them
            for b in live[i + 1:]:
                shared = a["offset"] < b["offset"] + b["bytes"] and b["offset"] < a["offset"] + a["bytes"]
                assert not shared or (a["buffer"], b["buffer"]) in overlapping, (s["step"], a, b)
    for t, off in model.plan.offsets.items():  # every arena tensor is in one buffer, at its offset
        b = buffers[model.plan.buffer_of[t]]
        assert t in b["tensors"] and b["offset"] == off
    peak = mem["peak"]
    assert peak["live_bytes"] == max(s["live_bytes"] for s in mem["steps"])
    assert peak["live_bytes"] <= mem["arena_bytes"] == model.plan.arena_bytes
    assert {b["buffer"] for b in peak["buffers"]} == set(mem["steps"][peak["step"]]["live_buffers"])
    assert sum(f["flash_bytes"] for f in mem["flash"]) == model.weights_bytes == mem["weights_bytes"]
    assert all(f["kernel_sources"] for f in mem["flash"] if f["kernels"])


def test_scratch_in_the_arena_is_a_buffer() -> None:
    model = compile_tflite(CORPUS / "arch_preact_resnet_int8.tflite", kernels="optimized")
    if not model.plan.scratch_offsets:
        pytest.skip("the plan keeps this model's kernel scratch on the stack")
    mem = memory_timeline(model)
    scratch = [b for b in mem["buffers"] if b["kind"] == "scratch"]
    assert len(scratch) == len(model.plan.scratch_offsets)
    for b in scratch:
        position = b["first_step"] - 1
        assert b["first_step"] == b["last_step"] and b["offset"] == model.plan.scratch_offsets[position]
        assert f"#{model.lowered[position].op.index}" in b["names"][0]


def test_inspect_memory_cli() -> None:
    path = str(CORPUS / "arch_kws_dscnn_int8.tflite")
    res = CliRunner().invoke(main, ["inspect", path, "--memory", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    mem = out["memory"]
    assert mem["peak"]["op"] and mem["peak"]["buffers"] and mem["arena_bytes"] > 0
    res = CliRunner().invoke(main, ["inspect", path, "--memory"])
    assert res.exit_code == 0, res.output
    assert "peak live RAM" in res.output and "high_water" in res.output


def test_validate_json_has_the_memory_timeline() -> None:
    res = CliRunner().invoke(main, ["validate", str(CORPUS / "arch_kws_dscnn_int8.tflite"), "--samples", "1",
                                    "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["memory"]["arena_bytes"] == out["ram_bytes"] - out["memory"]["scratch_bytes"]
    assert out["memory"]["peak"]["live_bytes"] > 0


MAP = """Archive member included to satisfy reference by file (symbol)

Discarded input sections

 .text.unused   0x00000000       0x40 build/engine/conv2d_s8.o

Memory Configuration

Linker script and memory map

LOAD build/model.o
 .text.tfc_conv2d_s8
                0x00000100      0x1a0 build/engine/conv2d_s8.o
 .rodata.table  0x000002a0       0x20 build/engine/conv2d_s8.o
 .text.tfc_softmax_s8
                0x000002c0       0x64 build/engine/softmax_s8.o
 .text.helper   0x00000330        0x0 build/engine/softmax_s8.o
 .text.tfc_fc   0x00000340       0x80 build/engine/optimized/fully_connected_s8_opt.o
 .data          0x20000000       0x10 build/engine/conv2d_s8.o
 .text          0x00000400       0x30 /usr/lib/libc_nano.a(lib_a-memcpy.o)
 .debug_info    0x00000000     0x1219 build/engine/softmax_s8.o
"""


def test_kernel_code_bytes_from_the_linker_map(tmp_path: Path) -> None:
    from tfcompress.engine.memory import attach_code_bytes
    from tfcompress.project.mapfile import kernel_code_bytes

    path = tmp_path / "firmware.map"
    path.write_text(MAP)
    code = kernel_code_bytes(path)  # kept .text/.rodata only: not discarded, .data, debug or libc
    assert code == {"conv2d_s8.c": 0x1a0 + 0x20, "softmax_s8.c": 0x64, "optimized/fully_connected_s8_opt.c": 0x80}
    assert kernel_code_bytes(tmp_path / "missing.map") == {}
    model = compile_tflite(CORPUS / "arch_kws_dscnn_int8.tflite", kernels="reference")
    mem = attach_code_bytes(memory_timeline(model), code, "test")
    for f in mem["flash"]:
        assert f["code_bytes"] == sum(code.get(s, 0) for s in f["kernel_sources"])
    assert any(f["code_bytes"] for f in mem["flash"]) and "test" in mem["code_bytes_note"]
