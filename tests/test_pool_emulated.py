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
