"""End to end with the engine: .tflite -> firmware -> QEMU, outputs identical to TFLM, CLI JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import require_tool

from tfcompress.boards import load_board
from tfcompress.cli import main
from tfcompress.harness.evaluate import EvalData, evaluate_on_board

pytestmark = [pytest.mark.emulated, pytest.mark.shared]
AD = "ad_autoencoder_int8.tflite"


@pytest.fixture(autouse=True)
def _tools(tmp_path, monkeypatch):
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")
    monkeypatch.setenv("TFC_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.parametrize("board", ["mps2-an500", "netduinoplus2"])
def test_device_outputs_equal_tflm(mlperf_models, board, tmp_path):
    x = np.random.default_rng(0).normal(0, 8, size=(2, 640)).astype(np.float32)
    r = evaluate_on_board(load_board(board), mlperf_models / AD, EvalData(x))
    assert r["samples"] == 2 and r["agreement"] == 1.0 and r["mismatched_elements"] == 0
    assert r["latency"]["unit"] == "instructions (emulated)" and r["latency"]["min"] > 100_000
    assert r["flash_bytes"] > 270_000 and r["ram_bytes"] > 0
    # rerun: everything comes from the journal and the cached build, same numbers
    again = evaluate_on_board(load_board(board), mlperf_models / AD, EvalData(x))
    assert again["latency"] == r["latency"] and again["link"]["requests"] == 0


def test_validate_runner_on_emulated_board(mlperf_models):
    from tfcompress.engine.validate import validate_model

    res = validate_model(mlperf_models / AD, board="netduinoplus2", samples=2)
    assert res.ok and res.samples == 2


def test_cli_evaluate_run_dir_with_labels(mlperf_models, tmp_path):
    run = tmp_path / "run"
    (run / "variants" / "int8").mkdir(parents=True)
    (run / "variants" / "broken").mkdir(parents=True)
    shutil.copy(mlperf_models / AD, run / "variants" / "int8" / "model.tflite")
    (run / "variants" / "broken" / "model.tflite").write_bytes(b"not a flatbuffer")
    (run / "data").mkdir()
    x = np.random.default_rng(1).normal(0, 8, size=(2, 640)).astype(np.float32)
    np.savez(run / "data" / "dataset.npz", x_test=x, y_test=np.array([3, 5]))
    res = CliRunner().invoke(main, ["evaluate", "--board", "mps2-an500", "--run", str(run), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)["results"]
    assert set(out) == {"int8"}
    r = out["int8"]
    assert r["agreement"] == 1.0 and r["metric"] == "accuracy" and 0.0 <= r["metric_value"] <= 1.0
    assert (run / "firmware" / "mps2-an500" / "int8" / "device_metrics.json").is_file()
    built = CliRunner().invoke(main, ["build", "--board", "nucleo-f446re", "--run", str(run), "--json"])
    assert built.exit_code == 0, built.output
    b = json.loads(built.stdout)
    assert set(b["builds"]) == {"int8"} and "broken" in b["skipped"]
    assert b["builds"]["int8"]["regions"]["FLASH"]["size"] == 512 * 1024


def _start_qemu(board_name: str, elf):
    import subprocess

    from tfcompress.harness.qemu import _free_port, qemu_command

    port = _free_port()
    proc = subprocess.Popen(qemu_command(load_board(board_name), elf, port), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert "waiting for connection" in proc.stderr.readline()  # listening now
    return proc, f"socket://127.0.0.1:{port}"


def test_evaluate_over_a_port_and_wrong_firmware(mlperf_models, tmp_path):
    """--port drives an already running board; firmware for another model is refused clearly."""
    from tfcompress.errors import TfcError
    from tfcompress.project import build_project, generate_project
    from tfcompress.project.firmware import build_firmware, compile_model

    board = load_board("netduinoplus2")
    x = np.random.default_rng(2).normal(0, 8, size=(1, 640)).astype(np.float32)
    fw = build_firmware(compile_model(mlperf_models / AD), board, tmp_path / "ad")
    fixture = generate_project(Path(__file__).parent / "fixtures" / "firmware" / "model", board, tmp_path / "fx")
    other = build_project(fixture.path)
    for elf, ok in ((fw.elf, True), (other.elf, False)):
        proc, url = _start_qemu(board.name, elf)
        try:
            if ok:
                r = evaluate_on_board(board, mlperf_models / AD, EvalData(x), port=url, firmware_dir=tmp_path / "ad")
                assert r["agreement"] == 1.0
            else:
                with pytest.raises(TfcError) as e:
                    evaluate_on_board(board, mlperf_models / AD, EvalData(x), port=url,
                                      firmware_dir=tmp_path / "ad", resume=False)
                assert "runs model f1f2f3f4a5a6a7a8" in e.value.what and "flash" in e.value.fix
        finally:
            proc.terminate()
            proc.wait(timeout=10)
