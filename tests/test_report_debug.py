"""The report's layer-by-layer section (pipeline/debug_steps.py, report/debug_plots.py): the int8
variant's memory timeline and per-layer quantisation error, made from small real models."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.keras_models import model_simd, to_int8_tflite
from tfcompress.pipeline.debug_steps import debug_section, pick_int8
from tfcompress.report import build_report
from tfcompress.report.schema import validate_results

FIXTURE = Path(__file__).parent / "fixtures" / "report"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SHAPE = (12, 10, 4)


@pytest.fixture(scope="module")
def variants(tmp_path_factory) -> dict[str, Path]:
    from tfcompress.tfenv import keras, tf

    K = keras()
    K.utils.set_random_seed(0)
    inp = K.Input(SHAPE)
    model = K.Model(inp, model_simd(K.layers, inp))
    d = tmp_path_factory.mktemp("variants")
    (d / "float32").mkdir()
    (d / "int8").mkdir()
    (d / "float32" / "model.tflite").write_bytes(bytes(tf().lite.TFLiteConverter.from_keras_model(model).convert()))
    (d / "int8" / "model.tflite").write_bytes(to_int8_tflite(model))
    return {"float32": d / "float32" / "model.tflite", "int8": d / "int8" / "model.tflite"}


def _run_with(tmp_path: Path, debug: dict | None) -> Path:
    run = tmp_path / "run"
    shutil.copytree(FIXTURE, run, ignore=shutil.ignore_patterns("*.py", "report.html", "plots"))
    res = json.loads((run / "results.json").read_text())
    if debug is not None:
        res["debug"] = json.loads(json.dumps(debug))  # as results.json holds it
    (run / "results.json").write_text(json.dumps(res))
    return run


def test_pick_int8_prefers_the_int8_variant(tmp_path: Path) -> None:
    a, b = tmp_path / "a.tflite", tmp_path / "b.tflite"
    a.write_bytes(b"x")
    b.write_bytes(b"x")
    assert pick_int8([("qat-int8", "qat-int8", a), ("int8", "int8", b)]) == ("int8", b)
    assert pick_int8([("prune-int8", "int8", a), ("float32", "float32", b)]) == ("prune-int8", a)
    assert pick_int8([("int8", "int8", tmp_path / "missing.tflite"), ("float32", "float32", b)]) is None


def test_section_and_report(variants: dict[str, Path], tmp_path: Path) -> None:
    x_test = np.random.default_rng(0).uniform(0, 1, (20, *SHAPE)).astype(np.float32)
    files = [("float32", "float32", variants["float32"]), ("int8", "int8", variants["int8"])]
    debug = debug_section(files, x_test, "optimized", variants["float32"])
    assert debug is not None and debug["variant"] == "int8" and debug["errors"] == []
    mem, rep = debug["memory"], debug["quant_error"]
    assert mem["peak"]["live_bytes"] <= mem["arena_bytes"] and mem["peak"]["buffers"]
    assert rep["samples"] == 20 and rep["layers"][0]["rmse_lsb"] == max(r["rmse_lsb"] for r in rep["layers"])
    run = _run_with(tmp_path, debug)
    validate_results(json.loads((run / "results.json").read_text()))
    report = build_report(run)
    html = report.path.read_text()
    section = html[html.index("Layer by layer"):]
    assert "Memory timeline" in section and "Per-layer quantisation error" in section
    assert len(re.findall(r'<img src="data:image/png;base64,', section)) == 2
    assert f"{mem['arena_bytes']:,} B" in section and rep["layers"][0]["op"] in section
    for name in ("debug_memory.png", "debug_quant_error.png"):
        assert (run / "plots" / name).read_bytes().startswith(PNG_MAGIC)


def test_section_takes_kernel_code_from_the_device_steps_map(variants: dict[str, Path], tmp_path: Path) -> None:
    from tfcompress.boards import load_board
    from tfcompress.engine.memory import memory_timeline
    from tfcompress.project.firmware import compile_model

    board = load_board("mps2-an500")
    full = memory_timeline(compile_model(variants["int8"].read_bytes(), "optimized", board=board))
    sources = sorted({src for f in full["flash"] for src in f["kernel_sources"]})
    fw = tmp_path / "firmware"
    (fw / "int8").mkdir(parents=True)
    lines = ["Linker script and memory map", ""]
    lines += [f" .text.k{i}       0x{0x100 * (i + 1):08x}       0x40 build/engine/{src[:-2]}.o"
              for i, src in enumerate(sources)]
    (fw / "int8" / "firmware.map").write_text("\n".join(lines) + "\n")
    plain = debug_section([("int8", "int8", variants["int8"])], None, "optimized", None, board=board)
    assert all(f["code_bytes"] is None for f in plain["memory"]["flash"])
    debug = debug_section([("int8", "int8", variants["int8"])], None, "optimized", None, board=board,
                          firmware_dir=fw)
    for f, ref in zip(debug["memory"]["flash"], full["flash"], strict=True):
        assert f["code_bytes"] == 0x40 * len(ref["kernel_sources"])
    assert "mps2-an500" in debug["memory"]["code_bytes_note"]
    html = build_report(_run_with(tmp_path, debug)).path.read_text()
    assert "flash: kernel code" in html and "<td>64</td>" in html


def test_section_without_float_variant_says_why(variants: dict[str, Path], tmp_path: Path) -> None:
    debug = debug_section([("int8", "int8", variants["int8"])], None, "reference", None)
    assert debug["memory"] is not None and debug["quant_error"] is None
    assert debug["errors"] == ["quantisation error: no float32 variant to compare with"]
    html = build_report(_run_with(tmp_path, debug)).path.read_text()
    assert "Memory timeline" in html and "no float32 variant to compare with" in html
    assert "Per-layer quantisation error" not in html


def test_report_without_debug_has_no_section(tmp_path: Path) -> None:
    html = build_report(_run_with(tmp_path, None)).path.read_text()
    assert "Layer by layer" not in html
