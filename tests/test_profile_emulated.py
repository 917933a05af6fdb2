"""On-device profiling under QEMU: `validate --profile` on MLPerf Tiny KWS (per-op counts that add up to
the whole run, run after run, on both emulated boards), the stack measured in every build, and a
forced hard fault decoded down to the op that was running."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from click.testing import CliRunner
from conftest import SHARED, require_tool, wait_for_tflm_library
from harness_fixture import FIXTURE, samples

from tfcompress.boards import load_board
from tfcompress.cli import main
from tfcompress.harness.client import DeviceFault, HarnessClient
from tfcompress.harness.fault_decode import SymbolTable, locate, where_text
from tfcompress.harness.profile import located, read_profile, read_stats
from tfcompress.harness.qemu import EXIT_HARDFAULT, QemuSession
from tfcompress.project import build_project, generate_project

pytestmark = pytest.mark.emulated


def _tools() -> None:
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi libnewlib-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")


def _validate(model: str, board: str, *extra: str) -> dict:
    result = CliRunner().invoke(main, ["validate", model, "--board", board, "--samples", "1", "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.shared
@pytest.mark.parametrize("board", ["mps2-an500", "netduinoplus2"])
def test_validate_profile_kws_layers_add_up(mlperf_models, board: str) -> None:
    _tools()
    model = str(mlperf_models / "kws_dscnn_int8.tflite")
    first, second = (_validate(model, board, "--profile") for _ in range(2))
    assert first["mismatched_elements"] == 0
    layers = first["layers"]
    assert len(layers) == 13  # one entry per op of the compiled model
    assert all({"op", "instructions", "macs", "output_shape", "share"} <= set(r) for r in layers)
    assert [r["op"] for r in layers[:3]] == ["CONV_2D", "DEPTHWISE_CONV_2D", "CONV_2D"]
    assert layers[2]["macs"] == 25 * 5 * 64 * 64 and layers[2]["instructions_per_mac"] > 0.5
    whole = first["instructions"]
    total = sum(r["instructions"] for r in layers)
    assert abs(whole - total) <= 0.01 * whole, (whole, total)
    prof = first["profile"]
    assert 0 <= prof["unattributed"] <= 0.01 * whole and prof["overhead_per_op_subtracted"] > 0
    # -icount: the per-op counts are exactly repeatable, launch after launch
    assert [r["instructions"] for r in layers] == [r["instructions"] for r in second["layers"]]
    ram = first["ram"]
    assert 0 < ram["stack_measured"] < ram["stack_region_bytes"] and "stack" in ram["measured"]
    assert ram["total"] == ram["arena_planned"] + ram["stack_measured"] + ram["static_data"]
    assert first["ram_bytes"] == ram["arena_planned"]  # the old key keeps its meaning
    # the normal build: no per-op hooks, no layers, but the stack is measured all the same
    plain = _validate(model, board)
    assert "layers" not in plain and plain["ram"]["stack_measured"] > 0
    assert plain["instructions"] < whole < plain["instructions"] + 100 * len(layers)  # the hooks' cost, small
    # the firmware's own estimate of that cost (pairs timed from outside) is close to it
    assert abs(prof["instructions_without_hooks"] - plain["instructions"]) <= 0.2 * (whole - plain["instructions"])


@pytest.mark.shared
def test_validate_profile_kws_with_tflm(mlperf_models) -> None:
    """TFLM's profiler interface in the generated model.cc reports through the same request (the
    CMSIS-NN tree on mps2-an500: the one TFLM library the default suite builds)."""
    _tools()
    require_tool("arm-none-eabi-g++", "gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib")
    tree = SHARED / "tflm" / "cmsis-nn"
    if not (tree / "tensorflow" / "lite" / "micro" / "micro_interpreter.h").is_file():
        pytest.skip(f"no TFLM cmsis-nn tree at {tree} (made by create_tflm_tree.py; a fresh clone has no ../shared)")
    wait_for_tflm_library()
    res = _validate(str(mlperf_models / "kws_dscnn_int8.tflite"), "mps2-an500", "--profile", "--runtime", "tflm",
                    "--tflm-dir", str(tree))
    assert res["mismatched_elements"] == 0 and res["runtime"] == "tflm"
    layers = res["layers"]
    assert [r["op"] for r in layers[:2]] == ["CONV_2D", "DEPTHWISE_CONV_2D"] and len(layers) == 13
    assert layers[2]["macs"] == 25 * 5 * 64 * 64 and layers[0]["kernel"] == ""
    whole = res["instructions"]
    assert abs(whole - sum(r["instructions"] for r in layers)) <= 0.01 * whole
    assert "note" in res["profile"] and res["ram"]["arena_measured"] > 0 and "arena" in res["ram"]["measured"]


@pytest.mark.shared
def test_evaluate_profile_cli(mlperf_models, tmp_path) -> None:
    import numpy as np

    _tools()
    data = tmp_path / "kws.npz"
    np.savez(data, x_test=np.random.default_rng(0).uniform(0, 1, (2, 49, 10, 1)).astype(np.float32),
             y_test=np.array([1, 2]))
    args = ["evaluate", "--board", "netduinoplus2", "--model", str(mlperf_models / "kws_dscnn_int8.tflite"),
            "--data", str(data), "--profile"]
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    r = next(iter(json.loads(result.stdout)["results"].values()))
    assert len(r["layers"]) == 13 and r["agreement"] == 1.0
    assert abs(sum(x["instructions"] for x in r["layers"]) - r["profile"]["instructions_whole_run"]) \
        <= 0.01 * r["profile"]["instructions_whole_run"]
    assert r["ram"]["stack_measured"] > 0
    table = CliRunner().invoke(main, args)  # the finished evaluation again, from its journal: no device
    assert table.exit_code == 0, table.output
    assert "per op, last sample" in table.output and "DEPTHWISE_CONV_2D" in table.output


def test_forced_fault_is_decoded_to_the_running_op(tmp_path) -> None:
    """The fixture model executes UDF on a marker input; a profiling build with one hooked op names it."""
    _tools()
    src = tmp_path / "model"
    shutil.copytree(FIXTURE, src)
    c = (src / "model.c").read_text()
    c = c.replace('#include "model.h"\n', '#include "model.h"\n#include "tfc_profile.h"\n', 1)
    assert '__asm volatile("udf #0");' in c
    c = c.replace('__asm volatile("udf #0");', '{ TFC_LAYER_BEGIN(0); __asm volatile("udf #0"); }')
    (src / "model.c").write_text(c)
    h = (src / "model.h").read_text()
    assert "TFC_NUM_LAYERS" not in h and "#define TFC_NUM_OUTPUTS 2\n" in h
    (src / "model.h").write_text(h.replace("#define TFC_NUM_OUTPUTS 2\n",
                                           "#define TFC_NUM_OUTPUTS 2\n#define TFC_NUM_LAYERS 1\n"))
    board = load_board("mps2-an500")
    info = generate_project(src, board, tmp_path / "fw", profile=True)
    elf = build_project(info.path).elf
    with QemuSession(board, elf) as q:
        client = HarnessClient(q.transport, timeout=5)
        assert client.hello().profiling
        assert client.infer(samples(1)[0]).outputs  # a normal run first
        assert len(read_profile(client).ticks) == 1
        stats = read_stats(client)
        assert stats is not None and stats.measured and 0 < stats.run_bytes < stats.peak_bytes <= stats.stack_bytes
        with pytest.raises(DeviceFault) as e:
            client.infer([bytes([127, 128, 127, 128]) + bytes(59), bytes(6)])
        assert q.proc.wait(timeout=10) == EXIT_HARDFAULT
    fault = e.value.fault
    assert fault.layer == 0
    assert [n for _r, n, _m in fault.bits()] == ["UNDEFINSTR", "FORCED"]
    assert "UNDEFINSTR (undefined instruction" in e.value.what
    where = locate(fault, SymbolTable.from_elf(elf), [("FIXTURE_OP", "fixture_kernel")])
    assert where["function"].startswith("tfc_model_run+") and where["ops"] == ["#0 FIXTURE_OP"]
    assert "pc in tfc_model_run+" in where_text(where)
    again = located(e.value, elf, None, "mps2-an500")  # what validate / evaluate raise
    assert again.where["function"].startswith("tfc_model_run+") and "pc in tfc_model_run+" in again.what



def test_pipeline_with_board_profile_reports_layers_and_stack(tmp_path) -> None:
    """[board] profile = true: results.json rows carry the per-op counts and the measured stack; the
    report draws the per-op chart and shows the stack in its RAM cell."""
    import tomllib

    from tfcompress.pipeline.run import run_pipeline
    from tfcompress.recipe import parse_recipe, template_text
    from tfcompress.report.html import write_report

    _tools()
    data = tomllib.loads(template_text("default"))
    data["dataset"]["params"].update(n_train=600, n_val=100, n_test=50)
    data["train"]["epochs"] = 1
    data["compress"] = []
    data["convert"]["modes"] = ["int8"]
    data["board"] = {"name": "mps2-an500", "eval_samples": 2, "profile": True}
    run = tmp_path / "run"
    run_pipeline(parse_recipe(data), out=run, until="device")
    results = json.loads((run / "results.json").read_text())
    int8 = next(v for v in results["variants"] if v["variant"] == "int8")
    assert int8["deployable"] and int8["agreement"] == 1.0
    assert int8["layers"] and all({"op", "instructions", "macs"} <= set(r) for r in int8["layers"])
    assert abs(sum(r["instructions"] for r in int8["layers"]) - int8["profile"]["instructions_whole_run"]) \
        <= 0.01 * int8["profile"]["instructions_whole_run"]
    assert int8["stack_bytes"] > 0 and int8["ram_device"]["stack_measured"] == int8["stack_bytes"]
    html = write_report(run).read_text()
    assert "Per-op counts of int8" in html and 'alt="layers:int8' in html
    assert re.search(r"\d+\.\d \+ \d+\.\d stack", html)  # the RAM cell: runtime RAM + measured stack
