"""Board definitions: one TOML file per board in this package, loaded as data.

No code branches on a board's name; everything board-specific (core, FPU, memory
regions, UART, cycle counter, clock gates, flasher, emulator) is read from the file.
"""

from __future__ import annotations

from tfcompress.boards.loader import list_boards, load_board, with_optimize
from tfcompress.boards.model import Board, CounterSpec, MemoryRegion, PinSpec, RegisterBit, UartSpec

__all__ = [
    "Board",
    "CounterSpec",
    "MemoryRegion",
    "PinSpec",
    "RegisterBit",
    "UartSpec",
    "list_boards",
    "load_board",
    "with_optimize",
]
