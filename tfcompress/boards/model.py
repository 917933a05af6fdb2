"""Typed view of a board TOML file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MemoryRegion:
    """One MEMORY region of the linker script."""

    name: str
    origin: int
    length: int
    kind: str  # "flash" | "ram"
    note: str = ""


@dataclass(frozen=True)
class RegisterBit:
    """A single bit set (read-modify-write) during board init, e.g. a clock gate."""

    register: str  # "PERIPH.REG" as named in the vendor SVD
    address: int
    field: str
    bit: int


@dataclass(frozen=True)
class PinSpec:
    """A GPIO pin switched to an alternate function."""

    name: str
    role: str
    port: str
    port_base: int
    number: int
    af: int


@dataclass(frozen=True)
class UartSpec:
    """The serial port the harness talks over."""

    driver: str  # a firmware/board/uart_<driver>.c file
    peripheral: str
    base: int
    baud: int
    kernel_clock_hz: int
    divisor: int  # value written to the baud-rate register
    pins: tuple[PinSpec, ...] = ()
    note: str = ""
    #: the receive interrupt's NVIC number, where the driver can sleep (WFI) until a byte arrives
    #: instead of polling (an emulator then leaves the host's core to other work); None: poll
    rx_irq: int | None = None


@dataclass(frozen=True)
class CounterSpec:
    """How latency is measured: a cycle counter (hardware) or an instruction proxy (QEMU)."""

    kind: str  # a firmware/board/counter_<kind>.c file
    unit: str  # "cycles" | "instructions"
    ticks_per_unit: float
    peripheral: str = ""
    base: int = 0


@dataclass(frozen=True)
class Board:
    """A board definition."""

    name: str
    description: str
    mcu: str
    core: str
    #: the core has the DSP extension (SXTB16, SMLAD, SMMULR, ...) the optimised kernels use
    dsp: bool
    fpu: str
    float_abi: str
    clock_hz: int
    clock_setup: str
    caches: bool
    emulated: bool
    regions: tuple[MemoryRegion, ...]
    text_region: str
    data_region: str
    stack_region: str
    stack_bytes: int
    uart: UartSpec
    counter: CounterSpec
    init: tuple[RegisterBit, ...] = ()
    svd: str | None = None
    flasher: dict[str, Any] = field(default_factory=dict)
    emulator: dict[str, Any] = field(default_factory=dict)
    renode: dict[str, Any] = field(default_factory=dict)
    #: speed/size preference of the engine's layouts (engine/optimize.py): speed, balanced, size
    optimize: str = "balanced"

    def region(self, name: str) -> MemoryRegion:
        """The memory region called ``name``."""
        for r in self.regions:
            if r.name == name:
                return r
        raise KeyError(name)

    @property
    def flash_bytes(self) -> int:
        """Size of the region code and constants go to."""
        return self.region(self.text_region).length

    @property
    def ram_bytes(self) -> int:
        """Total size of the RAM regions."""
        return sum(r.length for r in self.regions if r.kind == "ram")

    @property
    def latency_unit(self) -> str:
        """How latency is reported: 'cycles' or 'instructions (emulated)'."""
        return "instructions (emulated)" if self.counter.unit == "instructions" else "cycles"

    def summary(self) -> dict[str, Any]:
        """One row for ``tfcompress boards``."""
        return {
            "name": self.name,
            "mcu": self.mcu,
            "core": self.core,
            "dsp": self.dsp,
            "fpu": self.fpu,
            "flash_kb": self.flash_bytes // 1024,
            "ram_kb": self.ram_bytes // 1024,
            "clock_mhz": self.clock_hz / 1e6,
            "emulated": self.emulated,
            "latency_unit": self.latency_unit,
        }
