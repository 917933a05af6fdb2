"""Constants shared by the host and the optimised C kernels (tfcompress/engine/kernel_limits.py):
Python is the single source, the C sources include the generated tfc_limits.h, so the two sides
cannot drift."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import require_tool

from tfcompress.engine import kernel_limits
from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.optimized.depthwise import planar_geometry as dw_planar_geometry
from tfcompress.resources import engine_kernels_dir as firmware_dir

_DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(TFC_\w+)[ \t]+(\S+)", re.M)


def test_header_values_equal_python_constants() -> None:
    header = kernel_limits.render_header()
    defined = {name: int(value) for name, value in _DEFINE.findall(header)}
    assert defined == {f"TFC_{name}": value for name, value in kernel_limits.constants().items()}
    assert kernel_limits.constants()["CONV_MAX_K"] == kernel_limits.CONV_MAX_K  # values read at render time


def test_no_c_copy_of_the_shared_constants() -> None:
    """No file under firmware/ defines a shared constant itself (the generated header is its only
    definition), and the optimised sources reach the header through tfc_dsp.h."""
    names = {f"TFC_{name}" for name in kernel_limits.constants()}
    fw = firmware_dir().parent
    copies = [(str(p.relative_to(fw)), name) for p in sorted(fw.rglob("*")) if p.suffix in (".c", ".h")
              for name, _ in _DEFINE.findall(p.read_text()) if name in names]
    assert copies == []
    assert not (firmware_dir() / kernel_limits.HEADER).exists()  # generated, never committed
    dsp = (firmware_dir() / "optimized" / "tfc_dsp.h").read_text()
    assert f'#include "{Path(kernel_limits.HEADER).name}"' in dsp
    used = {m for p in (firmware_dir() / "optimized").iterdir() for m in re.findall(r"\bTFC_\w+", p.read_text())}
    assert names <= used  # every constant has a C user (else it belongs in Python only)


def test_write_ships_the_header_with_the_optimised_set(mlperf_models, tmp_path: Path) -> None:
    path = mlperf_models / "ad_autoencoder_int8.tflite"
    written = compile_tflite(path, kernels="optimized").write(tmp_path / "opt")
    header = tmp_path / "opt" / "engine" / kernel_limits.HEADER
    assert header in written and header.read_text() == kernel_limits.render_header()
    compile_tflite(path).write(tmp_path / "ref")
    assert not (tmp_path / "ref" / "engine" / kernel_limits.HEADER).exists()


def test_host_cache_key_covers_the_constants(mlperf_models, monkeypatch) -> None:
    from tfcompress.engine.host import CFLAGS, _digest

    model = compile_tflite(mlperf_models / "ad_autoencoder_int8.tflite", kernels="optimized")
    before = _digest(model, CFLAGS)[0]
    monkeypatch.setattr(kernel_limits, "CONV_MAX_K", kernel_limits.CONV_MAX_K + 4)
    assert _digest(model, CFLAGS)[0] != before


def test_depthwise_planar_geometry_matches_the_kernel(tmp_path: Path) -> None:
    """optimized.depthwise.planar_geometry (the scratch the planner reserves) is the kernel's own
    dwp_geometry for both budget regimes, strides 1 and 2, odd and even widths, and with the rows a
    banded layer's host chose (rq[1])."""
    cc = require_tool("cc", "build-essential")
    engine = tmp_path / "engine"
    (engine / "optimized").mkdir(parents=True)
    for p in firmware_dir().rglob("*.[ch]"):
        dst = engine / p.relative_to(firmware_dir())
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(p.read_bytes())
    kernel_limits.write_headers("optimized", engine)
    (tmp_path / "geom.c").write_text(
        '#include <stdio.h>\n#include "optimized/depthwise_conv2d_s8_opt.c"\n'
        "int main(void) {\n    tfc_conv_params p = {0};\n    int32_t rq[4] = {0};\n    p.rq = rq;\n"
        "    while (scanf(\"%d %d %d %d %d %d %d %d\", &p.in_h, &p.in_w, &p.in_c, &p.out_h, &p.out_w, &p.stride_h,"
        " &p.stride_w, &rq[1]) == 8) {\n"
        "        const dwp_geom g = dwp_geometry(&p);\n        printf(\"%d %d\\n\", (int)g.wb, (int)g.rows_cap);\n"
        "    }\n    return 0;\n}\n")
    subprocess.run([cc, "-O1", "-std=c99", "-Wall", "-Wextra", "-Werror", f"-I{engine}", "geom.c", "-o", "geom"],
                   cwd=tmp_path, check=True)
    shapes = []
    for in_hw in (3, 5, 8, 11, 16, 24, 33, 48, 64, 97):
        for in_c in (4, 8, 16, 32, 64, 128, 256):
            for s in (1, 2):
                out = -(-in_hw // s)
                for rows in (0, 2, 5):  # rq[1]: the rows a banded layer's host chose (0: the budget's)
                    shapes.append(dict(in_h=in_hw, in_w=in_hw + 1, in_c=in_c, out_h=out,
                                       out_w=-(-(in_hw + 1) // s), stride_h=s, stride_w=s, rows=rows))
    keys = ("in_h", "in_w", "in_c", "out_h", "out_w", "stride_h", "stride_w", "rows")
    text = "".join(" ".join(str(f[k]) for k in keys) + "\n" for f in shapes)
    proc = subprocess.run([str(tmp_path / "geom")], input=text, capture_output=True, text=True, check=True)
    got = [tuple(int(v) for v in line.split()) for line in proc.stdout.splitlines()]
    assert got == [dw_planar_geometry(f, f["rows"]) for f in shapes]
    budgets = {f["in_h"] * f["in_w"] * f["in_c"] // 4 for f in shapes}
    assert min(budgets) < 2 * kernel_limits.DW_PLANAR_BUDGET and max(budgets) > kernel_limits.DW_PLANAR_BUDGET_MAX


@pytest.mark.parametrize("kernels", ["reference", "optimized"])
def test_generated_headers_per_kernel_set(kernels: str) -> None:
    headers = kernel_limits.generated_headers(kernels)
    assert (kernels == "optimized") == (kernel_limits.HEADER in headers)
