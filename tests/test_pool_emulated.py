"""`evaluate --run --jobs 2`: a run's variants built and measured two at a time, each on its own QEMU,
give exactly the numbers of one at a time (-icount makes instruction counts deterministic), in the
run's variant order."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import require_tool

from tfcompress.cli import main

pytestmark = pytest.mark.emulated
CORPUS = Path(__file__).parent / "fixtures" / "corpus"
VARIANTS = ("op_add_int8", "op_mul_int8")  # one input of (1, 8, 8, 4) int8 each


def test_evaluate_run_on_two_emulators_equals_one(tmp_path, monkeypatch):
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")
    monkeypatch.setenv("TFC_CACHE_DIR", str(tmp_path / "cache"))
    run = tmp_path / "run"
    for name in VARIANTS:
        (run / "variants" / name).mkdir(parents=True)
        shutil.copy(CORPUS / f"{name}.tflite", run / "variants" / name / "model.tflite")
    (run / "data").mkdir()
    np.savez(run / "data" / "dataset.npz", x_test=np.random.default_rng(3).normal(0, 1, (2, 8, 8, 4)))
    args = ["evaluate", "--board", "mps2-an500", "--run", str(run), "--json"]

    two = CliRunner().invoke(main, [*args, "--jobs", "2"])
    assert two.exit_code == 0, two.output
    assert "(emulator 1)" in two.stderr and "(emulator 2)" in two.stderr  # two QEMUs at a time
    for journal in (run / "firmware" / "mps2-an500").glob("*/evaluate-*.jsonl"):
        journal.unlink()  # measure again (the builds are kept)
    one = CliRunner().invoke(main, [*args, "--jobs", "1"])
    assert one.exit_code == 0, one.output
    assert "emulator" not in one.stderr
    a, b = (json.loads(r.stdout)["results"] for r in (two, one))
    assert list(a) == list(b) == list(VARIANTS)
    for name in VARIANTS:
        assert a[name]["link"]["requests"] > 0 and b[name]["link"]["requests"] > 0  # both measured
        keys = ("samples", "agreement", "mismatched_elements", "latency", "flash_bytes", "ram_bytes", "ram")
        assert {k: a[name][k] for k in keys} == {k: b[name][k] for k in keys}, name
        assert a[name]["agreement"] == 1.0 and a[name]["latency"]["min"] > 0


def test_farm_board_that_dies_midway_hands_its_variant_to_another(tmp_path, monkeypatch, capsys):
    """Two "real" boards on serial sockets (QEMUs started by a stand-in for the flasher): the first
    one dies after two samples; its variant is flashed onto the other board and resumes there."""
    import subprocess

    import tfcompress.harness.batch as batch
    import tfcompress.project.flash as flash_mod
    from tfcompress.boards import load_board
    from tfcompress.harness.pool import Device
    from tfcompress.harness.qemu import _free_port, qemu_command

    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")
    monkeypatch.setenv("TFC_CACHE_DIR", str(tmp_path / "cache"))
    board = load_board("mps2-an500")
    ports = {"b1": _free_port(), "b2": _free_port()}
    url = {k: f"socket://127.0.0.1:{p}" for k, p in ports.items()}
    qemus: dict[str, subprocess.Popen] = {}
    flashed: list[tuple[str, str]] = []

    def fake_flash(b, elf, tool=None, *, probe=None, timeout=120.0):  # "flashing" = QEMU restarted with elf
        if probe in qemus:
            qemus[probe].kill()
            qemus[probe].wait()
        proc = subprocess.Popen(qemu_command(b, elf, ports[probe]), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert "waiting for connection" in proc.stderr.readline()
        qemus[probe] = proc
        flashed.append((probe, Path(elf).parent.name))
        return []

    real = batch.evaluate_on_board

    def first_board_dies(b, model, data, *, port=None, on_sample=None, **kw):
        def hook(i: int) -> None:
            on_sample(i)
            if port == url["b1"] and i == 1:
                qemus["b1"].kill()
                qemus["b1"].wait()
        return real(b, model, data, port=port, on_sample=hook, **kw)

    monkeypatch.setattr(flash_mod, "flash", fake_flash)
    monkeypatch.setattr(batch, "evaluate_on_board", first_board_dies)
    np.savez(tmp_path / "x.npz", x_test=np.random.default_rng(4).normal(0, 1, (4, 8, 8, 4)))
    jobs = [batch.EvalJob(n, CORPUS / f"{n}.tflite", tmp_path / "x.npz", tmp_path / "fw" / n) for n in VARIANTS]
    devices = [Device(board.name, url[k], i, farm=True, probe=k) for i, k in enumerate(url)]
    try:
        reports = batch.evaluate_jobs(board, jobs, devices)
    finally:
        for p in qemus.values():
            p.kill()
            p.wait()
    err = capsys.readouterr().err
    assert f"{url['b1']}: taken out of the farm — serial port {url['b1']} failed" in err
    assert "resuming: 2 of 4 samples already measured" in err
    assert list(reports) == list(VARIANTS)
    for r in reports.values():
        assert r["samples"] == 4 and r["agreement"] == 1.0
        assert len(Path(r["journal"]).read_text().splitlines()) == 1 + 4  # every sample measured once
    lost = next(v for p, v in flashed if p == "b1")
    assert flashed[-1] == ("b2", lost)  # the lost board's variant was flashed onto the other board
