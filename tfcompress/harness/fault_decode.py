"""The firmware's FAULT frame in words: which fault status bits are set and what they usually mean,
whether the fault address registers hold an address, and where the PC was (function from the ELF's
symbol table; the op that was running, from a profiling build's frame or from the kernel's name).

Register layout: ARMv7-M Architecture Reference Manual, B3.2.15 (CFSR = MMFSR | BFSR << 8 |
UFSR << 16) and B3.2.16 (HFSR).
"""

from __future__ import annotations

import bisect
import shutil
import struct
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: CFSR bit -> (name, what it usually means)
CFSR_BITS: dict[int, tuple[str, str]] = {
    0: ("IACCVIOL", "instruction fetch from a region the MPU forbids or an execute-never address "
                    "(often a corrupted function pointer or return address)"),
    1: ("DACCVIOL", "data access to a region the MPU forbids"),
    3: ("MUNSTKERR", "MPU fault while unstacking on exception return (corrupted stack)"),
    4: ("MSTKERR", "MPU fault while stacking for an exception (stack overflow)"),
    5: ("MLSPERR", "MPU fault while saving the FPU context lazily"),
    7: ("MMARVALID", "MMFAR holds the faulting address"),
    8: ("IBUSERR", "bus error on an instruction fetch (jump to an address with no memory: "
                   "corrupted function pointer or return address)"),
    9: ("PRECISERR", "precise data bus error: a load or store to an address with no memory "
                     "(an out-of-range pointer or index)"),
    10: ("IMPRECISERR", "imprecise data bus error: a buffered store to an address with no memory; "
                        "the PC is past the faulting store"),
    11: ("UNSTKERR", "bus error while unstacking on exception return (corrupted stack)"),
    12: ("STKERR", "bus error while stacking for an exception (the stack overflowed its region)"),
    13: ("LSPERR", "bus error while saving the FPU context lazily"),
    15: ("BFARVALID", "BFAR holds the faulting address"),
    16: ("UNDEFINSTR", "undefined instruction (code built for another core, or a jump into data)"),
    17: ("INVSTATE", "invalid state: a branch to an address without the Thumb bit (bad function pointer)"),
    18: ("INVPC", "invalid PC on exception return (corrupted EXC_RETURN or stack)"),
    19: ("NOCP", "coprocessor instruction with the coprocessor disabled (FPU code before the FPU is on, "
                 "or an FPU the core does not have)"),
    24: ("UNALIGNED", "unaligned access where the core requires alignment (LDRD/STRD/LDM, or UNALIGN_TRP set)"),
    25: ("DIVBYZERO", "integer division by zero (DIV_0_TRP set)"),
}
#: HFSR bit -> (name, what it means)
HFSR_BITS: dict[int, tuple[str, str]] = {
    1: ("VECTTBL", "bus error reading the vector table"),
    30: ("FORCED", "a configurable fault (see CFSR) escalated to HardFault"),
    31: ("DEBUGEVT", "debug event"),
}
MMARVALID, BFARVALID = 1 << 7, 1 << 15
NO_LAYER = 0xFFFFFFFF


@dataclass(frozen=True)
class Fault:
    """One FAULT frame: pc, lr, cfsr, hfsr, mmfar, bfar; ``layer``: the op running (profiling builds)."""

    pc: int
    lr: int
    cfsr: int
    hfsr: int
    mmfar: int
    bfar: int
    layer: int | None = None

    @classmethod
    def parse(cls, payload: bytes) -> Fault:
        pc, lr, cfsr, hfsr, mmfar, bfar = struct.unpack_from("<6I", payload)
        layer = None
        if len(payload) >= 28:
            (raw,) = struct.unpack_from("<I", payload, 24)
            layer = None if raw == NO_LAYER else raw
        return cls(pc, lr, cfsr, hfsr, mmfar, bfar, layer)

    def bits(self) -> list[tuple[str, str, str]]:
        """(register, bit name, meaning) of every known bit set in CFSR and HFSR."""
        out = [("CFSR", n, m) for b, (n, m) in CFSR_BITS.items() if self.cfsr >> b & 1]
        out += [("HFSR", n, m) for b, (n, m) in HFSR_BITS.items() if self.hfsr >> b & 1]
        return out

    @property
    def mmfar_valid(self) -> bool:
        return bool(self.cfsr & MMARVALID)

    @property
    def bfar_valid(self) -> bool:
        return bool(self.cfsr & BFARVALID)

    def describe(self, where: str | None = None) -> str:
        """One line: the registers, the bits set in words, the fault address, and ``where``."""
        regs = (f"pc=0x{self.pc:08x} lr=0x{self.lr:08x} cfsr=0x{self.cfsr:08x} hfsr=0x{self.hfsr:08x}")
        bits = [f"{name} ({meaning})" for _reg, name, meaning in self.bits() if name not in ("MMARVALID", "BFARVALID")]
        addr = []
        addr.append(f"MMFAR 0x{self.mmfar:08x} is the faulting address" if self.mmfar_valid else "MMFAR not valid")
        addr.append(f"BFAR 0x{self.bfar:08x} is the faulting address" if self.bfar_valid else "BFAR not valid")
        text = f"{regs}: " + ("; ".join(bits) if bits else "no fault status bit set")
        text += "; " + ", ".join(addr)
        if self.layer is not None:
            text += f"; op #{self.layer} was running"
        return text + (f"; {where}" if where else "")

    def as_dict(self, where: dict[str, Any] | None = None) -> dict[str, Any]:
        return dict(pc=self.pc, lr=self.lr, cfsr=self.cfsr, hfsr=self.hfsr, mmfar=self.mmfar, bfar=self.bfar,
                    mmfar_valid=self.mmfar_valid, bfar_valid=self.bfar_valid, layer=self.layer,
                    bits=[dict(register=r, name=n, meaning=m) for r, n, m in self.bits()], **(where or {}))


@dataclass
class SymbolTable:
    """Function symbols of an ELF (address, size, name), sorted by address; ``sizes``: every sized
    symbol's size by name (data too)."""

    symbols: list[tuple[int, int, str]] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)

    @classmethod
    def parse_nm(cls, text: str) -> SymbolTable:
        """``nm -S -n --defined-only`` output; functions are the code symbols (t/T/w/W)."""
        syms, sizes = [], {}
        for line in text.splitlines():
            parts = line.split()
            if len(parts) != 4:
                continue
            try:
                addr, size = int(parts[0], 16), int(parts[1], 16)
            except ValueError:
                continue
            sizes[parts[3]] = size
            if parts[2] in "tTwW":
                syms.append((addr & ~1, size, parts[3]))
        return cls(sorted(syms), sizes)

    @classmethod
    def from_elf(cls, elf: Path | str, nm: str = "arm-none-eabi-nm") -> SymbolTable | None:
        """None when ``nm`` is missing or fails."""
        tool = shutil.which(nm)
        if tool is None:
            return None
        proc = subprocess.run([tool, "-S", "-n", "--defined-only", str(elf)], capture_output=True, text=True)
        return cls.parse_nm(proc.stdout) if proc.returncode == 0 else None

    def function_at(self, address: int) -> tuple[str, int] | None:
        """(function, offset into it) holding ``address`` (the Thumb bit ignored)."""
        address &= ~1
        starts = [s[0] for s in self.symbols]
        k = bisect.bisect_right(starts, address) - 1
        while k >= 0:
            start, size, name = self.symbols[k]
            if start <= address < start + max(size, 1):
                return name, address - start
            if size:  # a sized symbol that ends before: the address is in no function
                return None
            k -= 1
        return None


def locate(fault: Fault, symbols: SymbolTable | None, ops: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """Where the fault happened: ``function`` (+offset) of the PC and of the LR, and ``ops``: the ops
    (``(label, kernel function)`` per op, in order) it points to — the running op when the frame
    names it, else every op whose kernel holds the PC (or the LR, when the PC is in a helper)."""
    out: dict[str, Any] = {}
    pc_fn = symbols.function_at(fault.pc) if symbols else None
    lr_fn = symbols.function_at(fault.lr) if symbols else None
    if pc_fn:
        out["function"] = f"{pc_fn[0]}+0x{pc_fn[1]:x}"
    if lr_fn:
        out["caller"] = f"{lr_fn[0]}+0x{lr_fn[1]:x}"
    if fault.layer is not None and fault.layer < len(ops):
        out["ops"] = [f"#{fault.layer} {ops[fault.layer][0]}"]
        return out
    for fn in (pc_fn, lr_fn):
        hits = [f"#{i} {label}" for i, (label, kernel) in enumerate(ops) if fn and kernel and fn[0] == kernel]
        if hits:
            out["ops"] = hits
            break
    return out


def where_text(where: dict[str, Any]) -> str:
    """The location part of a fault message."""
    parts = []
    if "function" in where:
        parts.append(f"pc in {where['function']}" + (f" called from {where['caller']}" if "caller" in where else ""))
    if where.get("ops"):
        ops = where["ops"]
        parts.append(("in op " if len(ops) == 1 else "in one of the ops ") + ", ".join(ops[:6])
                     + (f" (+{len(ops) - 6} more)" if len(ops) > 6 else ""))
    return "; ".join(parts)

