"""Flash a built ELF with whichever of openocd / st-flash / pyocd is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tfcompress.boards import Board
from tfcompress.errors import TfcError

TOOLS = ("openocd", "st-flash", "pyocd")
INSTALL_HINT = "install one: sudo apt-get install openocd (or stlink-tools), or pip install pyocd"
_NO_PROBE = re.compile(
    r"(no st-?link|couldn't find any st-?link|unable to find|no connected debug probes|open failed|"
    r"no device found|libusb_open\(\) failed|error: no probe|probe not found)",
    re.I,
)


def flash_command(board: Board, elf: Path, tool: str, probe: str | None = None) -> list[str]:
    """The command line that flashes ``elf`` with ``tool``, from the board's flasher data;
    ``probe``: the serial number of the debug probe to use (one board of several connected)."""
    f = board.flasher
    if tool == "openocd" and "openocd_config" in f:
        serial = ["-c", f"adapter serial {probe}"] if probe else []
        return ["openocd", "-f", f["openocd_config"], *serial, "-c", f"program {elf} verify reset exit"]
    if tool == "st-flash" and "st_flash_address" in f:
        serial = ["--serial", probe] if probe else []
        return ["st-flash", "--reset", *serial, "write", str(Path(elf).with_suffix(".bin")),
                hex(int(f["st_flash_address"]))]
    if tool == "pyocd" and "pyocd_target" in f:
        return ["pyocd", "flash", "-t", f["pyocd_target"], *(["-u", probe] if probe else []), str(elf)]
    raise TfcError(f"board {board.name} has no {tool} settings", f"use one of: {', '.join(available_tools(board))}")


def available_tools(board: Board) -> list[str]:
    """Flashing tools the board data supports."""
    keys = {"openocd": "openocd_config", "st-flash": "st_flash_address", "pyocd": "pyocd_target"}
    return [t for t in TOOLS if keys[t] in board.flasher]


def pick_tool(board: Board, tool: str | None = None) -> str:
    """The requested tool, or the first supported one that is installed."""
    if board.emulated:
        raise TfcError(f"{board.name} is an emulated board; there is nothing to flash",
                       f"run it with: tfcompress evaluate --board {board.name} ...")
    candidates = [tool] if tool else available_tools(board)
    for t in candidates:
        if shutil.which(t):
            return t
    wanted = tool or " / ".join(candidates)
    raise TfcError(f"no flashing tool found ({wanted} not installed)", INSTALL_HINT)


def flash(board: Board, elf: Path, tool: str | None = None, *, timeout: float = 120.0,
          probe: str | None = None) -> list[str]:
    """Flash ``elf`` (through the probe with serial number ``probe``, if given); a missing probe or
    tool becomes a TfcError. Returns the command run."""
    elf = Path(elf)
    if not elf.is_file():
        raise TfcError(f"firmware {elf} not found", f"build it first: tfcompress build --board {board.name} ...")
    t = pick_tool(board, tool)
    cmd = flash_command(board, elf, t, probe)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TfcError(f"{t} did not finish flashing in {timeout:g}s", "check the probe connection and retry") from None
    if proc.returncode != 0:
        out = (proc.stdout + proc.stderr).strip()
        if _NO_PROBE.search(out):
            raise TfcError(f"no debug probe found by {t}", f"connect the {board.name} over USB (ST-LINK) and retry")
        last = out.splitlines()[-1] if out else f"exit status {proc.returncode}"
        raise TfcError(f"{t} failed: {last}", "check the probe connection and the board's power")
    return cmd
