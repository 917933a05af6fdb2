"""Every register address, offset and bit the STM32 board support uses, checked against ST's SVD."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest

from tfcompress.boards import list_boards, load_board
from tfcompress.resources import firmware_root

pytestmark = pytest.mark.shared

STM32_BOARDS = [n for n in list_boards() if load_board(n).svd]
EXPECTED_SVD = {
    "netduinoplus2": "STM32F405.svd",
    "stm32h747i-disco": "STM32H743x.svd",
    "nucleo-h743zi": "STM32H743x.svd",
    "nucleo-l4r5zi": "STM32L4R5.svd",
    "nucleo-f446re": "STM32F446.svd",
}


class Svd:
    """Just enough of CMSIS-SVD: peripheral base, register offset, field bit offset."""

    def __init__(self, path: Path) -> None:
        root = ET.parse(path).getroot()
        self.periph = {p.findtext("name"): p for p in root.iter("peripheral")}
        #: interrupt name -> NVIC number (SVD files list an interrupt under any one peripheral)
        self.interrupts = {i.findtext("name"): int(i.findtext("value"), 0) for i in root.iter("interrupt")}

    def _regs(self, name: str) -> ET.Element:
        p = self.periph[name]
        while p.find("registers") is None:
            p = self.periph[p.get("derivedFrom")]
        return p

    def base(self, name: str) -> int:
        return int(self.periph[name].findtext("baseAddress"), 0)

    def register(self, periph: str, reg: str) -> ET.Element:
        for r in self._regs(periph).iter("register"):
            if r.findtext("name") == reg:
                return r
        raise KeyError(f"{periph}.{reg}")

    def offset(self, periph: str, reg: str) -> int:
        return int(self.register(periph, reg).findtext("addressOffset"), 0)

    def bit(self, periph: str, reg: str, field: str) -> int:
        for f in self.register(periph, reg).iter("field"):
            if f.findtext("name") == field:
                return int(f.findtext("bitOffset"))
        raise KeyError(f"{periph}.{reg}.{field}")


@cache
def _svd(path: str) -> Svd:
    return Svd(Path(path))


def _annotations(tag: str) -> list[tuple[str, int, str]]:
    """(macro, value, "ROLE.REG[.FIELD]") for every '/* <tag>: ... */' line in stm32_regs.h."""
    text = (firmware_root() / "board" / "stm32_regs.h").read_text()
    pat = re.compile(r"#define\s+(\w+)\s+(0x[0-9A-Fa-f]+|\d+)u\s+/\*\s*" + re.escape(tag) + r":\s*([\w.]+)\s*\*/")
    return [(m.group(1), int(m.group(2), 0), m.group(3)) for m in pat.finditer(text)]


def _check(svd: Svd, periph: str, value: int, spec: str) -> None:
    parts = spec.split(".")[1:]
    if len(parts) == 1:
        assert svd.offset(periph, parts[0]) == value, f"{periph}.{parts[0]} offset"
    else:
        assert svd.bit(periph, parts[0], parts[1]) == value, f"{periph}.{parts[0]}.{parts[1]} bit"


def test_every_stm32_board_names_the_right_svd():
    assert {n: load_board(n).svd for n in STM32_BOARDS} == EXPECTED_SVD


@pytest.mark.parametrize("name", STM32_BOARDS)
def test_board_data_matches_svd(name, svd_dir):
    b = load_board(name)
    svd = _svd(str(svd_dir / b.svd))
    assert svd.base(b.uart.peripheral) == b.uart.base
    for bit in b.init:
        periph, reg = bit.register.split(".")
        assert svd.base(periph) + svd.offset(periph, reg) == bit.address, bit.register
        assert svd.bit(periph, reg, bit.field) == bit.bit, f"{bit.register}.{bit.field}"
    for pin in b.uart.pins:
        assert svd.base(pin.port) == pin.port_base, pin.port
        afr = "AFRL" if pin.number < 8 else "AFRH"
        fields = {f.findtext("name"): int(f.findtext("bitOffset")) for f in svd.register(pin.port, afr).iter("field")}
        named = [v for k, v in fields.items() if re.fullmatch(rf"(AFR[LH]|AFSEL){pin.number}", k)]
        assert named == [4 * (pin.number % 8)], f"{pin.name} AF field"
        for reg, prefixes in (("MODER", ("MODER", "MODE")), ("OSPEEDR", ("OSPEEDR", "OSPEED"))):
            fields = {f.findtext("name"): int(f.findtext("bitOffset")) for f in svd.register(pin.port, reg).iter("field")}
            named = [v for k, v in fields.items() if k in {f"{pre}{pin.number}" for pre in prefixes}]
            assert named == [2 * pin.number], f"{pin.name} {reg} field"
    # each enable bit the UART and counter need is among the init bits
    fields = {i.field for i in b.init}
    assert f"{b.uart.peripheral}EN" in fields
    if b.counter.peripheral:
        assert svd.base(b.counter.peripheral) == b.counter.base
        assert f"{b.counter.peripheral}EN" in fields


@pytest.mark.parametrize("name", STM32_BOARDS)
def test_uart_rx_irq_is_the_uarts_interrupt_in_the_svd(name, svd_dir):
    """The NVIC number the UART driver enables to wake from WFI is the board UART's own interrupt."""
    b = load_board(name)
    svd = _svd(str(svd_dir / b.svd))
    assert b.uart.rx_irq is not None, f"{name}: uart.rx_irq (its {b.uart.peripheral} interrupt) missing"
    assert svd.interrupts[b.uart.peripheral] == b.uart.rx_irq, f"{name}: {b.uart.peripheral} interrupt"


@pytest.mark.parametrize("name", STM32_BOARDS)
def test_driver_register_offsets_match_svd(name, svd_dir):
    b = load_board(name)
    svd = _svd(str(svd_dir / b.svd))
    port = b.uart.pins[0].port
    checked = 0
    for _macro, value, spec in _annotations("svd"):
        _check(svd, port, value, spec)
        checked += 1
    tag = {"stm32_usart_v1": "svd-v1", "stm32_usart_v2": "svd-v2"}[b.uart.driver]
    for _macro, value, spec in _annotations(tag):
        _check(svd, b.uart.peripheral, value, spec)
        checked += 1
    if b.counter.kind == "stm32_tim":
        for _macro, value, spec in _annotations("svd-tim"):
            _check(svd, b.counter.peripheral, value, spec)
            checked += 1
    assert checked >= 10
