"""Load board TOML files from this package."""

from __future__ import annotations

import functools
from dataclasses import fields
from importlib import resources
from typing import Any

from tfcompress.boards.model import Board, CounterSpec, MemoryRegion, PinSpec, RegisterBit, UartSpec
from tfcompress.errors import TfcError, unknown

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]


def _fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


#: The keys a board file may have, per table ("memory.regions" and the like are arrays of
#: tables); any other key is refused, as recipes do, so a typo is not silently ignored.
ALLOWED_KEYS: dict[str, tuple[str, ...]] = {
    "": ("name", "description", "mcu", "core", "dsp", "fpu", "float_abi", "svd", "clock_hz", "clock_setup",
         "caches", "emulated", "memory", "init", "uart", "counter", "flasher", "emulator", "renode"),
    "memory": ("text", "data", "stack", "stack_bytes", "regions"),
    "memory.regions": _fields(MemoryRegion),
    "init": _fields(RegisterBit),
    "uart": ("driver", "peripheral", "base", "baud", "kernel_clock_hz", "divisor", "divisor_scale", "note", "pins"),
    "uart.pins": _fields(PinSpec),
    "counter": _fields(CounterSpec),
    "flasher": ("openocd_config", "st_flash_address", "pyocd_target"),
    "emulator": ("machine", "icount_shift"),
    "renode": ("platform",),
}


def check_keys(data: dict[str, Any], file: str) -> None:
    """Raise a TfcError naming the first key of a parsed board file that is not in ALLOWED_KEYS."""

    def walk(table: dict[str, Any], path: str, schema: str) -> None:
        allowed = ALLOWED_KEYS[schema]
        for key, value in table.items():
            dotted = f"{path}.{key}" if path else key
            if key not in allowed:
                where = f" in [{schema}]" if schema else ""
                raise TfcError(f"unknown key '{dotted}' in board file {file}",
                               f"allowed keys{where}: {', '.join(allowed)}")
            inner = f"{schema}.{key}" if schema else key
            if inner not in ALLOWED_KEYS:
                continue
            if isinstance(value, dict):
                walk(value, dotted, inner)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, dict):
                        walk(item, f"{dotted}[{i}]", inner)

    walk(data, "", "")


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


def _bool(d: dict[str, Any], key: str) -> bool:
    if not isinstance(d[key], bool):
        raise TypeError(f"'{key}' must be true or false, got {d[key]!r}")
    return d[key]


def board_from_dict(d: dict[str, Any]) -> Board:
    """Build a :class:`Board` from parsed TOML (raises KeyError on a missing field)."""
    mem = d["memory"]
    return Board(
        name=d["name"],
        description=d["description"],
        mcu=d["mcu"],
        core=d["core"],
        dsp=_bool(d, "dsp"),
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


def parse_board(text: str, file: str) -> Board:
    """The board described by the TOML ``text`` of board file ``file`` (named in errors)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise TfcError(f"board file {file} is not valid TOML: {err}", "fix the syntax at that line") from None
    check_keys(data, file)
    try:
        return board_from_dict(data)
    except (KeyError, TypeError) as err:
        raise TfcError(f"board file {file} is malformed ({err})", "fix the TOML file") from err


@functools.cache
def load_board(name: str) -> Board:
    """Load the board called ``name``; unknown names raise a TfcError listing valid ones."""
    files = _board_files()
    if name not in files:
        raise unknown("board", name, files, hint="see `tfcompress boards`")
    board = parse_board(files[name].read_text(encoding="utf-8"), str(files[name]))
    if board.name != name:
        raise TfcError(f"board file {name}.toml declares name '{board.name}'", "make them match")
    return board
