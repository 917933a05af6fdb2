"""Boards are data: every TOML loads, lists, and unknown names fail clearly."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from click.testing import CliRunner

from tfcompress.boards import list_boards, load_board
from tfcompress.boards.loader import ALLOWED_KEYS, parse_board
from tfcompress.cli import main
from tfcompress.errors import TfcError

REQUIRED = {"stm32h747i-disco", "mps2-an500", "netduinoplus2"}


def test_required_boards_and_build_only_extras():
    names = set(list_boards())
    assert REQUIRED <= names
    build_only = [n for n in names if not load_board(n).emulated and n != "stm32h747i-disco"]
    assert len(build_only) >= 2


@pytest.mark.parametrize("name", list_boards())
def test_board_is_consistent(name):
    b = load_board(name)
    assert b.core in ("cortex-m4", "cortex-m7")
    assert b.dsp is True  # every Cortex-M4/M7 has the DSP extension
    regions = {r.name for r in b.regions}
    assert {b.text_region, b.data_region, b.stack_region} <= regions
    assert b.region(b.text_region).kind == "flash"
    assert b.region(b.data_region).kind == "ram" and b.region(b.stack_region).kind == "ram"
    assert b.counter.unit in ("cycles", "instructions")
    assert b.uart.divisor > 0
    if b.emulated:
        assert b.counter.unit == "instructions" and "machine" in b.emulator
        assert isinstance(b.emulator["icount_shift"], int)
    else:
        assert b.counter.unit == "cycles" and b.flasher


def test_h747_facts():
    b = load_board("stm32h747i-disco")
    assert b.core == "cortex-m7" and b.fpu == "fpv5-d16" and b.caches
    assert b.region("FLASH").origin == 0x08000000 and b.region("FLASH").length == 2 * 1024 * 1024
    assert (b.region("DTCM").origin, b.region("DTCM").length) == (0x20000000, 128 * 1024)
    assert (b.region("AXI_SRAM").origin, b.region("AXI_SRAM").length) == (0x24000000, 512 * 1024)
    assert b.uart.peripheral == "USART1" and [p.name for p in b.uart.pins] == ["PA9", "PA10"]
    assert b.counter.kind == "dwt"
    assert {"openocd_config", "st_flash_address", "pyocd_target"} <= set(b.flasher)


def test_emulated_facts():
    m = load_board("mps2-an500")
    assert m.uart.base == 0x40004000 and m.uart.divisor >= 16
    assert m.counter.ticks_per_unit == pytest.approx(1.6) and m.emulator["icount_shift"] == 6
    n = load_board("netduinoplus2")
    assert n.uart.base == 0x40011000 and n.counter.peripheral == "TIM2"
    assert n.emulator["icount_shift"] == 0 and n.region("SRAM").length == 128 * 1024


def test_unknown_board_lists_valid_ones():
    with pytest.raises(TfcError) as e:
        load_board("arduino-uno")
    assert "arduino-uno" in e.value.what
    for name in REQUIRED:
        assert name in e.value.fix


def test_boards_command_json_and_table():
    r = CliRunner().invoke(main, ["boards", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    rows = {row["name"]: row for row in data["boards"]}
    assert rows["mps2-an500"]["emulated"] is True
    assert rows["stm32h747i-disco"]["flash_kb"] == 2048
    assert {"core", "fpu", "flash_kb", "ram_kb", "clock_mhz", "emulated"} <= set(rows["netduinoplus2"])
    r = CliRunner().invoke(main, ["boards"])
    assert r.exit_code == 0 and "netduinoplus2" in r.stdout


def _board_text(name: str = "stm32h747i-disco") -> str:
    return resources.files("tfcompress.boards").joinpath(f"{name}.toml").read_text()


@pytest.mark.parametrize("edit, dotted, table", [
    (lambda t: t.replace('core = "cortex-m7"', 'core = "cortex-m7"\ncore_mhz = 480'), "core_mhz", ""),
    (lambda t: t.replace("stack_bytes = 16384", "stack_bytes = 16384\nheap_bytes = 0"), "memory.heap_bytes", "memory"),
    (lambda t: t.replace('kind = "ram", note = "128 KB', 'kind = "ram", nate = "128 KB'), "memory.regions[1].nate",
     "memory.regions"),
    (lambda t: t.replace('number = 10, af = 7', 'number = 10, alt = 7'), "uart.pins[1].alt", "uart.pins"),
    (lambda t: t.replace('field = "USART1EN"', 'feild = "USART1EN"'), "init[1].feild", "init"),
    (lambda t: t.replace('pyocd_target =', 'pyocd_targets ='), "flasher.pyocd_targets", "flasher"),
    (lambda t: t.replace("ticks_per_unit = 1.0", "ticks_per_unit = 1.0\nscale = 2"), "counter.scale", "counter"),
])
def test_unknown_keys_are_refused_with_their_path(edit, dotted, table):
    with pytest.raises(TfcError) as e:
        parse_board(edit(_board_text()), "boards/custom.toml")
    assert e.value.what == f"unknown key '{dotted}' in board file boards/custom.toml"
    assert e.value.fix == (f"allowed keys in [{table}]: " if table else "allowed keys: ") + ", ".join(ALLOWED_KEYS[table])


def test_dsp_is_required_data():
    text = _board_text().replace("dsp = true", "")
    with pytest.raises(TfcError, match="malformed.*'dsp'"):
        parse_board(text, "x.toml")
    with pytest.raises(TfcError, match="board key 'dsp' = .* must be true or false"):
        parse_board(_board_text().replace("dsp = true", 'dsp = "yes"'), "x.toml")
    board = parse_board(_board_text().replace("dsp = true", "dsp = false"), "x.toml")
    assert board.dsp is False and load_board("stm32h747i-disco").dsp is True
