"""Build a generated project with make + arm-none-eabi-gcc and read back the memory usage."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfcompress.errors import TfcError

TOOLCHAIN_APT = "gcc-arm-none-eabi libnewlib-arm-none-eabi"

_USAGE = re.compile(r"^\s*(\w+):\s+(\d+)\s*(B|KB|MB|GB)\s+(\d+)\s*(B|KB|MB|GB)\s+([\d.]+)%", re.M)
_OVERFLOW = re.compile(r"region `(\w+)' overflowed by (\d+) bytes")
_UNIT = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


@dataclass
class BuildResult:
    """A built firmware image and its memory use per linker region."""

    elf: Path
    regions: dict[str, dict[str, int]]  # name -> {"used": bytes, "size": bytes}
    sections: dict[str, int] = field(default_factory=dict)
    log: str = ""

    @property
    def flash_bytes(self) -> int:
        """Bytes stored in flash: code, constants and the .data initialisers."""
        return sum(v for k, v in self.sections.items() if k in (".text", ".ARM.exidx", ".data"))

    @property
    def ram_bytes(self) -> int:
        """Bytes of RAM: .data, .bss and the stack."""
        return sum(v for k, v in self.sections.items() if k in (".data", ".bss", ".stack"))

    def to_dict(self) -> dict[str, Any]:
        return {"elf": str(self.elf), "flash_bytes": self.flash_bytes, "ram_bytes": self.ram_bytes,
                "regions": self.regions, "sections": self.sections}


def require_toolchain(prefix: str = "arm-none-eabi-") -> str:
    """Path of the cross compiler, or a TfcError naming the apt packages."""
    path = shutil.which(prefix + "gcc")
    if path is None:
        raise TfcError(f"{prefix}gcc not found", f"install it: sudo apt-get install {TOOLCHAIN_APT}")
    if shutil.which("make") is None:
        raise TfcError("make not found", "install it: sudo apt-get install make")
    return path


def parse_memory_usage(text: str) -> dict[str, dict[str, int]]:
    """Parse the table ld prints with --print-memory-usage."""
    out = {}
    for m in _USAGE.finditer(text):
        out[m.group(1)] = {"used": int(m.group(2)) * _UNIT[m.group(3)],
                           "size": int(m.group(4)) * _UNIT[m.group(5)]}
    return out


def _sections(path: Path) -> dict[str, int]:
    out = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                out[parts[0]] = int(parts[1])
    return out


def build_project(project: Path, *, jobs: int = 2, timeout: float = 600.0) -> BuildResult:
    """Run ``make`` in ``project``; a region overflow becomes a TfcError naming it."""
    require_toolchain()
    proc = subprocess.run(
        ["make", "-C", str(project), f"-j{jobs}", "--no-print-directory"],
        capture_output=True, text=True, timeout=timeout,
    )
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        over = _OVERFLOW.findall(log)
        if over:
            detail = ", ".join(f"region {r} overflowed by {n} bytes" for r, n in over)
            raise TfcError(f"firmware does not fit: {detail}",
                           "compress the model further or choose a board with more memory")
        tail = "\n".join(log.strip().splitlines()[-15:])
        raise TfcError(f"firmware build failed in {project}:\n{tail}", "see the compiler output above")
    return BuildResult(
        elf=project / "firmware.elf",
        regions=parse_memory_usage(log),
        sections=_sections(project / "firmware.sections"),
        log=log,
    )
