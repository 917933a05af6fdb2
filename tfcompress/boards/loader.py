"""Load board TOML files from this package."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from tfcompress.boards.model import Board, CounterSpec, MemoryRegion, PinSpec, RegisterBit, UartSpec
from tfcompress.errors import TfcError, unknown

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]


def _board_files() -> dict[str, Any]:
    root = resources.files("tfcompress.boards")
    return {p.name[:-5]: p for p in root.iterdir() if p.name.endswith(".toml")}


def list_boards() -> list[str]:
    """Names of all boards, sorted."""
    return sorted(_board_files())


def _uart(d: dict[str, Any]) -> UartSpec:
    if "divisor" in d:
        divisor = int(d["divisor"])
    else:  # STM32 BRR with 16x oversampling; LPUART uses a 256 scale
        divisor = round(int(d.get("divisor_scale", 1)) * d["kernel_clock_hz"] / d["baud"])
    return UartSpec(
        driver=d["driver"],
        peripheral=d["peripheral"],
        base=int(d["base"]),
        baud=int(d["baud"]),
        kernel_clock_hz=int(d["kernel_clock_hz"]),
        divisor=divisor,
        pins=tuple(PinSpec(**p) for p in d.get("pins", [])),
        note=d.get("note", ""),
    )


def board_from_dict(d: dict[str, Any]) -> Board:
    """Build a :class:`Board` from parsed TOML (raises KeyError on a missing field)."""
    mem = d["memory"]
    return Board(
        name=d["name"],
        description=d["description"],
        mcu=d["mcu"],
        core=d["core"],
        fpu=d["fpu"],
        float_abi=d["float_abi"],
        clock_hz=int(d["clock_hz"]),
        clock_setup=d["clock_setup"],
        caches=bool(d["caches"]),
        emulated=bool(d["emulated"]),
        regions=tuple(MemoryRegion(**r) for r in mem["regions"]),
        text_region=mem["text"],
        data_region=mem["data"],
        stack_region=mem["stack"],
        stack_bytes=int(mem["stack_bytes"]),
        uart=_uart(d["uart"]),
        counter=CounterSpec(**d["counter"]),
        init=tuple(RegisterBit(**i) for i in d.get("init", [])),
        svd=d.get("svd"),
        flasher=d.get("flasher", {}),
        emulator=d.get("emulator", {}),
        renode=d.get("renode", {}),
    )


@functools.cache
def load_board(name: str) -> Board:
    """Load the board called ``name``; unknown names raise a TfcError listing valid ones."""
    files = _board_files()
    if name not in files:
        raise unknown("board", name, files, hint="see `tfcompress boards`")
    data = tomllib.loads(files[name].read_text(encoding="utf-8"))
    try:
        board = board_from_dict(data)
    except (KeyError, TypeError) as err:
        raise TfcError(f"board file {name}.toml is malformed ({err})", "fix the TOML file") from err
    if board.name != name:
        raise TfcError(f"board file {name}.toml declares name '{board.name}'", "make them match")
    return board
