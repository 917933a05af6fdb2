"""Load board TOML files from this package."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import fields
from importlib import resources
from typing import Any

from tfcompress import textsafe
from tfcompress.boards.model import Board, CounterSpec, MemoryRegion, PinSpec, RegisterBit, UartSpec
from tfcompress.engine.optimize import DEFAULT as DEFAULT_OPTIMIZE
from tfcompress.engine.optimize import check as check_optimize
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
         "caches", "emulated", "memory", "init", "uart", "counter", "flasher", "emulator", "renode",
         "optimize"),
    "memory": ("text", "data", "stack", "stack_bytes", "regions"),
    "memory.regions": _fields(MemoryRegion),
    "init": _fields(RegisterBit),
    "uart": ("driver", "peripheral", "base", "baud", "kernel_clock_hz", "divisor", "divisor_scale", "note", "pins", "rx_irq"),
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


def _bad(key: str, value: Any, what: str) -> TfcError:
    return TfcError(f"board key '{key}' = {textsafe.show(value)} {what}", "fix the board file")


def _int(d: dict[str, Any], key: str, where: str = "", default: Any = ...) -> int:
    """``d[key]``, which must be an integer (TfcError naming the key otherwise)."""
    value = d[key] if default is ... else d.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad(where + key, value, "must be int")
    return value


def _uart(d: dict[str, Any]) -> UartSpec:
    if "divisor" in d:
        divisor = _int(d, "divisor", "uart.")
    else:  # STM32 BRR with 16x oversampling; LPUART uses a 256 scale
        divisor = round(_int(d, "divisor_scale", "uart.", 1) * _int(d, "kernel_clock_hz", "uart.")
                        / max(_int(d, "baud", "uart."), 1))
    return UartSpec(
        driver=d["driver"],
        peripheral=d["peripheral"],
        base=_int(d, "base", "uart."),
        baud=_int(d, "baud", "uart."),
        kernel_clock_hz=_int(d, "kernel_clock_hz", "uart."),
        divisor=divisor,
        pins=tuple(PinSpec(**p) for p in d.get("pins", [])),
        note=d.get("note", ""),
        rx_irq=_int(d, "rx_irq", "uart.") if "rx_irq" in d else None,
    )


def _bool(d: dict[str, Any], key: str) -> bool:
    """``d[key]``, which must be true or false (TfcError naming the key otherwise)."""
    if not isinstance(d[key], bool):
        raise _bad(key, d[key], "must be true or false")
    return d[key]


def board_from_dict(d: dict[str, Any]) -> Board:
    """Build a :class:`Board` from parsed TOML (raises KeyError on a missing field, TfcError on a
    number that is not an integer); :func:`check_board` checks the rest."""
    mem = d["memory"]
    return Board(
        name=d["name"],
        description=d["description"],
        mcu=d["mcu"],
        core=d["core"],
        dsp=_bool(d, "dsp"),
        fpu=d["fpu"],
        float_abi=d["float_abi"],
        clock_hz=_int(d, "clock_hz"),
        clock_setup=d["clock_setup"],
        caches=d["caches"],
        emulated=d["emulated"],
        regions=tuple(MemoryRegion(**r) for r in mem["regions"]),
        text_region=mem["text"],
        data_region=mem["data"],
        stack_region=mem["stack"],
        stack_bytes=_int(mem, "stack_bytes", "memory."),
        uart=_uart(d["uart"]),
        counter=CounterSpec(**d["counter"]),
        init=tuple(RegisterBit(**i) for i in d.get("init", [])),
        svd=d.get("svd"),
        flasher=d.get("flasher", {}),
        emulator=d.get("emulator", {}),
        renode=d.get("renode", {}),
        optimize=check_optimize(d.get("optimize", DEFAULT_OPTIMIZE), "board key 'optimize'"),
    )


#: TOML keys of the Board fields that the loader renames
_TOML_KEYS = {"regions": "memory.regions", "text_region": "memory.text", "data_region": "memory.data",
              "stack_region": "memory.stack", "stack_bytes": "memory.stack_bytes"}
_TYPES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,)}
_IDENT = "letters, digits and '_'"


def _check_types(obj: Any, prefix: str = "") -> None:
    """Every str/int/float/bool field holds that type (a board file can come from a user; its values
    are written into C, linker scripts and Makefiles)."""
    for f in dataclasses.fields(obj):
        value, key = getattr(obj, f.name), prefix + (f.name if prefix else _TOML_KEYS.get(f.name, f.name))
        if dataclasses.is_dataclass(value):
            _check_types(value, key + ".")
        elif isinstance(value, tuple):
            for i, item in enumerate(value):
                _check_types(item, f"{key}[{i}].")
        elif str(f.type).removesuffix(" | None") in _TYPES:
            types = _TYPES[str(f.type).removesuffix(" | None")]
            if value is None and str(f.type).endswith(" | None"):
                continue
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                raise _bad(key, value, f"must be {' or '.join(t.__name__ for t in types)}")


def _check_token(key: str, value: Any, check: Any) -> None:
    try:
        check(value)
    except TfcError as err:
        raise TfcError(f"board key '{key}': {err.what}", err.fix) from None


def check_board(board: Board) -> Board:
    """Raise a TfcError naming the key when a value has the wrong type, or cannot be used where the
    generated project writes it as a token (file name, compiler flag, linker region name)."""
    from tfcompress.resources import firmware_root

    _check_types(board)
    if not textsafe.is_path_component(board.name):
        raise _bad("name", board.name, f"cannot be a file name: use {textsafe.PATH_COMPONENT_RULE}")
    for key in ("core", "fpu", "float_abi"):
        _check_token(key, getattr(board, key), textsafe.make_word)
    names = [r.name for r in board.regions]
    for i, r in enumerate(board.regions):
        _check_token(f"memory.regions[{i}].name", r.name, textsafe.ld_name)
        if r.kind not in ("flash", "ram"):
            raise _bad(f"memory.regions[{i}].kind", r.kind, "must be 'flash' or 'ram'")
    for key in ("text", "data", "stack"):
        if getattr(board, f"{key}_region") not in names:
            raise _bad(f"memory.{key}", getattr(board, f"{key}_region"), f"is not a region: {', '.join(names)}")
    for key, prefix, value in (("uart.driver", "uart", board.uart.driver), ("counter.kind", "counter", board.counter.kind)):
        if not value.isidentifier() or not value.isascii():
            raise _bad(key, value, f"must use only {_IDENT}")
        if not (firmware_root() / "board" / f"{prefix}_{value}.c").is_file():
            raise _bad(key, value, f"has no firmware/board/{prefix}_{value}.c")
    if board.svd is not None and not textsafe.is_path_component(board.svd):
        raise _bad("svd", board.svd, f"must be a file name: use {textsafe.PATH_COMPONENT_RULE}")
    if board.counter.unit not in ("cycles", "instructions"):
        raise _bad("counter.unit", board.counter.unit, "must be 'cycles' or 'instructions'")
    if board.emulator:
        _check_token("emulator.machine", board.emulator.get("machine"), textsafe.make_word)
        _check_token("emulator.icount_shift", board.emulator.get("icount_shift"), textsafe.integer)
    if board.renode:
        _check_token("renode.platform", board.renode.get("platform"), textsafe.script_word)
        _check_token("uart.peripheral", board.uart.peripheral, textsafe.script_word)
    return board


def parse_board(text: str, file: str) -> Board:
    """The board described by the TOML ``text`` of board file ``file`` (named in errors)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise TfcError(f"board file {file} is not valid TOML: {err}", "fix the syntax at that line") from None
    check_keys(data, file)
    try:
        board = board_from_dict(data)
    except (KeyError, TypeError, ValueError) as err:
        raise TfcError(f"board file {file} is malformed ({err})", "fix the TOML file") from err
    try:
        return check_board(board)
    except TfcError as err:
        raise TfcError(f"board file {file}: {err.what}", err.fix) from None


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


def with_optimize(board: Board, optimize: str | None) -> Board:
    """``board`` with its speed/size preference overridden (a recipe's ``[board] optimize``, the
    firmware commands' ``--optimize``); None keeps the board file's."""
    if optimize is None:
        return board
    return dataclasses.replace(board, optimize=check_optimize(optimize, "optimize"))
