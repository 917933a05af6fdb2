"""`tfcompress flash`: the right command per tool, and clear errors without a tool or probe."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tfcompress.boards import load_board
from tfcompress.errors import TfcError
from tfcompress.project.flash import flash, flash_command, pick_tool


def _fake_tool(bin_dir: Path, name: str, output: str, code: int) -> None:
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / name
    script.write_text(f"#!/bin/sh\necho '{output}' >&2\nexit {code}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_commands_from_board_data(tmp_path):
    b = load_board("stm32h747i-disco")
    elf = tmp_path / "firmware.elf"
    assert flash_command(b, elf, "openocd")[:3] == ["openocd", "-f", "board/stm32h747i-disco.cfg"]
    assert flash_command(b, elf, "st-flash")[-2:] == [str(tmp_path / "firmware.bin"), "0x8000000"]
    assert flash_command(b, elf, "pyocd")[:4] == ["pyocd", "flash", "-t", "stm32h747xihx"]


def test_emulated_board_has_nothing_to_flash():
    with pytest.raises(TfcError) as e:
        pick_tool(load_board("mps2-an500"))
    assert "emulated" in e.value.what and "evaluate" in e.value.fix


def test_no_tool_installed(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TfcError) as e:
        pick_tool(load_board("nucleo-f446re"))
    assert "no flashing tool" in e.value.what and "openocd" in e.value.fix


def test_no_probe_found(monkeypatch, tmp_path):
    _fake_tool(tmp_path / "bin", "openocd", "Error: open failed", 1)
    monkeypatch.setenv("PATH", str(tmp_path / "bin") + os.pathsep + "/usr/bin:/bin")
    elf = tmp_path / "firmware.elf"
    elf.write_bytes(b"\x7fELF")
    with pytest.raises(TfcError) as e:
        flash(load_board("stm32h747i-disco"), elf, "openocd")
    assert "no debug probe" in e.value.what


def test_successful_flash_returns_command(monkeypatch, tmp_path):
    _fake_tool(tmp_path / "bin", "pyocd", "ok", 0)
    monkeypatch.setenv("PATH", str(tmp_path / "bin") + os.pathsep + "/usr/bin:/bin")
    elf = tmp_path / "firmware.elf"
    elf.write_bytes(b"\x7fELF")
    assert flash(load_board("nucleo-h743zi"), elf, "pyocd")[:2] == ["pyocd", "flash"]


def test_flash_cli_dry_run_and_unknown_board(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from tfcompress.cli import main

    _fake_tool(tmp_path / "bin", "st-flash", "ok", 0)
    monkeypatch.setenv("PATH", str(tmp_path / "bin") + os.pathsep + "/usr/bin:/bin")
    r = CliRunner().invoke(main, ["flash", "--board", "nucleo-f446re", "--elf", "fw.elf", "--dry-run"])
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == "st-flash --reset write fw.bin 0x8000000"
    r = CliRunner().invoke(main, ["flash", "--board", "nope", "--dry-run"])
    assert r.exit_code == 2 and "unknown board 'nope'" in r.output and "stm32h747i-disco" in r.output
