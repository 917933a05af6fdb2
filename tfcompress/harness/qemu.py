"""Run firmware under qemu-system-arm with its UART on a local TCP socket."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from tfcompress.boards import Board
from tfcompress.errors import TfcError
from tfcompress.harness.transport import SerialTransport

QEMU_APT = "qemu-system-arm"
EXIT_HARDFAULT = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def qemu_command(board: Board, elf: Path, port: int) -> list[str]:
    """The QEMU command line for an emulated board (fixed -icount shift, semihosting on)."""
    emu = board.emulator
    return [
        "qemu-system-arm", "-M", emu["machine"], "-nographic", "-monitor", "none",
        "-semihosting-config", "enable=on,target=native",
        "-icount", f"shift={int(emu['icount_shift'])}",
        "-serial", f"tcp:127.0.0.1:{port},server=on,wait=on,nodelay=on",
        "-kernel", str(elf),
    ]


class QemuSession:
    """Context manager: start QEMU, connect a transport to its UART, stop it on exit."""

    def __init__(self, board: Board, elf: Path, *, start_timeout: float = 15.0) -> None:
        if not board.emulated:
            raise TfcError(f"board {board.name} is not emulated", "pass --port with the board's serial port")
        if shutil.which("qemu-system-arm") is None:
            raise TfcError("qemu-system-arm not found", f"install it: sudo apt-get install {QEMU_APT}")
        if not Path(elf).is_file():
            raise TfcError(f"firmware {elf} not found", "build it first (tfcompress build)")
        self.board, self.elf, self.start_timeout = board, Path(elf), start_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.transport: SerialTransport | None = None

    def __enter__(self) -> QemuSession:
        port = _free_port()
        self.proc = subprocess.Popen(qemu_command(self.board, self.elf, port), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + self.start_timeout
        while self.transport is None:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace").strip() if self.proc.stderr else ""
                raise TfcError(f"qemu-system-arm exited at start ({err or self.proc.returncode})",
                               "check the ELF was built for this board")
            try:
                self.transport = SerialTransport(f"socket://127.0.0.1:{port}")
            except TfcError:
                if time.monotonic() > deadline:
                    self.close()
                    raise TfcError("qemu-system-arm did not open its serial socket", "retry") from None
                time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def exit_code(self) -> int | None:
        """QEMU's exit status once it has stopped (the firmware's semihosting exit code)."""
        return None if self.proc is None else self.proc.poll()

    def close(self) -> None:
        """Close the link and stop QEMU."""
        if self.transport is not None:
            self.transport.close(pause=False)
            self.transport = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

