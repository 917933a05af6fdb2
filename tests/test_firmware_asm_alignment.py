"""Inline assembly that takes a code address with ADR (a computed loop entry) must sit in a
word-aligned function: the assembler resolves ``adr rX, label`` inside the function's own
section (-ffunction-sections) against ``Align(PC, 4)`` with no relocation, so a routine the
linker places at a halfword (-Os aligns functions to halfwords only) jumps 2 bytes off. That broke
``tfc_conv2d_s8_pw`` at -Os once other kernels moved it (engine/optimized/conv2d_s8_pw_opt.c,
``pw_triple_asm``); every optimised kernel source is compiled here for the Cortex-M7 and each
unrelocated PC-relative ADD/ADR checked against its section's alignment."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import require_tool

from tfcompress.engine import kernel_limits

pytestmark = pytest.mark.toolchain

SOURCES = Path(__file__).resolve().parents[1] / "firmware" / "engine" / "optimized"
ARCH = ["-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-d16", "-mfloat-abi=hard"]
_ADR = re.compile(r"^\s*([0-9a-f]+):\s+(?:adr|addw?|subw?)(?:\.w)?\s+\w+, pc, ")
_SECTION = re.compile(r"^\s*\d+\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+2\*\*(\d+)")


def unaligned_adr(obj: Path) -> list[str]:
    """``section+offset`` of each PC-relative address the assembler resolved (no relocation) in a
    code section aligned to less than a word."""
    heads = subprocess.run(["arm-none-eabi-objdump", "-h", str(obj)], capture_output=True, text=True, check=True)
    align = {m.group(1): int(m.group(2)) for m in map(_SECTION.match, heads.stdout.splitlines()) if m}
    dis = subprocess.run(["arm-none-eabi-objdump", "-dr", "--no-show-raw-insn", str(obj)], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    bad, section = [], ""
    for k, line in enumerate(dis):
        if line.startswith("Disassembly of section "):
            section = line.split()[-1].rstrip(":")
        m = _ADR.match(line)
        relocated = k + 1 < len(dis) and "R_ARM_" in dis[k + 1]
        if m and not relocated and align.get(section, 0) < 2:
            bad.append(f"{section}+0x{m.group(1)}")
    return bad


@pytest.mark.parametrize("opt", ["-Os", "-O2"])
def test_adr_routines_are_word_aligned(tmp_path, opt: str) -> None:
    """No optimised kernel computes a code address in a function the linker may place at a halfword."""
    gcc = require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    require_tool("arm-none-eabi-objdump", "binutils-arm-none-eabi")
    (tmp_path / "tfc_limits.h").write_text(kernel_limits.render_header(), encoding="utf-8")
    found, bad = 0, {}
    for src in sorted(SOURCES.glob("*.c")):
        obj = tmp_path / (src.stem + ".o")
        subprocess.run([gcc, *ARCH, opt, "-std=gnu11", "-ffunction-sections", "-fdata-sections",
                        f"-I{tmp_path}", "-c", str(src), "-o", str(obj)], check=True, capture_output=True)
        found += sum(bool(_ADR.match(ln)) for ln in subprocess.run(
            ["arm-none-eabi-objdump", "-d", "--no-show-raw-insn", str(obj)], capture_output=True, text=True,
            check=True).stdout.splitlines())
        if hits := unaligned_adr(obj):
            bad[src.name] = hits
    assert found >= 5  # the pointwise group-loop entries and the depthwise strip loops are checked
    assert not bad, f"ADR in a halfword-aligned function (add aligned(4)): {bad}"
