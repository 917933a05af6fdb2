"""Build a generated project with make + arm-none-eabi-gcc and read back the memory usage."""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfcompress.errors import TfcError

TOOLCHAIN_APT = "gcc-arm-none-eabi libnewlib-arm-none-eabi"

_USAGE = re.compile(r"^\s*(\w+):\s+(\d+)\s*(B|KB|MB|GB)\s+(\d+)\s*(B|KB|MB|GB)\s+([\d.]+)%", re.M)
_OVERFLOW = re.compile(r"region `(\w+)' overflowed by (\d+) bytes")
_UNIT = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}
#: TFLM projects build one at a time in this process: the first may compile the TFLM library into
#: the cache, the ones waiting for it then link the cached archive instead of compiling it again
_TFLM_BUILDS = threading.Lock()
#: output sections stored in flash (code, constants, C++ constructor tables, .data initialisers)
FLASH_SECTIONS = (".text", ".ARM.extab", ".ARM.exidx", ".preinit_array", ".init_array", ".fini_array", ".data")


@dataclass
class BuildResult:
    """A built firmware image and its memory use per linker region."""

    elf: Path
    regions: dict[str, dict[str, int]]  # name -> {"used": bytes, "size": bytes}
    sections: dict[str, int] = field(default_factory=dict)
    log: str = ""
    seconds: float = 0.0
    #: TFLM projects: {"path": the libtflm.a linked, "kernels", "built": whether this build made it}
    tflm_library: dict[str, Any] | None = None

    @property
    def flash_bytes(self) -> int:
        """Bytes stored in flash: code, constants and the .data initialisers."""
        return sum(v for k, v in self.sections.items() if k in FLASH_SECTIONS)

    @property
    def ram_bytes(self) -> int:
        """Bytes of RAM: .data, .bss and the stack."""
        return sum(v for k, v in self.sections.items() if k in (".data", ".bss", ".stack"))

    def to_dict(self) -> dict[str, Any]:
        out = {"elf": str(self.elf), "flash_bytes": self.flash_bytes, "ram_bytes": self.ram_bytes,
               "regions": self.regions, "sections": self.sections, "seconds": round(self.seconds, 2)}
        if self.tflm_library is not None:
            out["tflm_library"] = self.tflm_library
        return out


def require_toolchain(prefix: str = "arm-none-eabi-", compiler: str = "gcc") -> str:
    """Path of the cross compiler (``g++``: the C++ one a TFLM firmware needs), or a TfcError
    naming the apt packages."""
    path = shutil.which(prefix + compiler)
    if path is None:
        apt = TOOLCHAIN_APT + (" libstdc++-arm-none-eabi-newlib" if compiler == "g++" else "")
        raise TfcError(f"{prefix}{compiler} not found", f"install it: sudo apt-get install {apt}")
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


_TFLM_LIB = re.compile(r"^TFLM library: (\S+) \((\S+) kernels\)$", re.M)
#: a TFLM project's first build compiles the TFLM library (minutes on 2 cores)
TFLM_BUILD_TIMEOUT = 3600.0


def build_project(project: Path, *, jobs: int = 2, timeout: float | None = None) -> BuildResult:
    """Run ``make`` in ``project``; a region overflow becomes a TfcError naming it."""
    require_toolchain()
    tflm = (Path(project) / "tflm_lib.mk").is_file()
    if tflm:
        require_toolchain("arm-none-eabi-", "g++")
    t0 = time.monotonic()
    try:
        with _TFLM_BUILDS if tflm else contextlib.nullcontext():
            proc = subprocess.run(
                ["make", "-C", str(project), f"-j{jobs}", "--no-print-directory"],
                capture_output=True, text=True, timeout=timeout or (TFLM_BUILD_TIMEOUT if tflm else 600.0),
            )
    except subprocess.TimeoutExpired:
        raise TfcError(f"firmware build in {project} did not finish in time",
                       "retry on a less loaded machine (a TFLM project's first build compiles TFLM)") from None
    seconds = time.monotonic() - t0
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        over = _OVERFLOW.findall(log)
        if over:
            detail = ", ".join(f"region {r} overflowed by {n} bytes" for r, n in over)
            raise TfcError(f"firmware does not fit: {detail}",
                           "compress the model further or choose a board with more memory")
        tail = "\n".join(log.strip().splitlines()[-15:])
        raise TfcError(f"firmware build failed in {project}:\n{tail}", "see the compiler output above")
    lib = None
    if tflm:
        m = _TFLM_LIB.search(log)
        lib = {"path": m.group(1) if m else None, "kernels": m.group(2) if m else None,
               "built": "TFLM library: building" in log}
    return BuildResult(
        elf=project / "firmware.elf",
        regions=parse_memory_usage(log),
        sections=_sections(project / "firmware.sections"),
        log=log,
        seconds=seconds,
        tflm_library=lib,
    )
