"""Byte transports: a pyserial URL (real port or socket://host:port) and helpers."""

from __future__ import annotations

import contextlib
import socket
from typing import Protocol

from tfcompress.errors import TfcError


class LinkError(TfcError):
    """The board cannot be reached: its port is gone or failed, it gave no (valid) answer after the
    client's retries, or flashing it failed. A board farm takes such a board out of its pool."""


class Transport(Protocol):
    """What the client needs from a link: write bytes, read with a timeout."""

    name: str

    def write(self, data: bytes) -> None: ...

    def read(self, size: int, timeout: float) -> bytes: ...

    def close(self) -> None: ...


class SerialTransport:
    """A pyserial link opened with ``serial_for_url`` (``/dev/ttyACM0``, ``socket://127.0.0.1:P``)."""

    def __init__(self, url: str, baud: int = 115200) -> None:
        import serial

        self.name = url
        try:
            self._port = serial.serial_for_url(url, baudrate=baud, timeout=0.05, write_timeout=10)
        except (serial.SerialException, OSError, ValueError) as err:
            raise LinkError(f"cannot open serial port {url} ({err})",
                           "check the board is connected and --port names it") from err

    def write(self, data: bytes) -> None:
        import serial

        try:
            self._port.write(data)
            self._port.flush()
        except (serial.SerialException, OSError) as err:
            raise LinkError(f"serial port {self.name} failed while writing ({err})",
                           "check the connection and rerun to resume") from err

    def read(self, size: int, timeout: float) -> bytes:
        """Up to ``size`` bytes: wait ``timeout`` for the first, then take what is already there.

        Reading in two steps keeps bytes that arrived just before the other end closed
        (a firmware reporting a fault, then QEMU exiting) instead of losing them.
        """
        import serial

        try:
            self._port.timeout = timeout
            first = self._port.read(1)
        except (serial.SerialException, OSError) as err:
            raise LinkError(f"serial port {self.name} failed while reading ({err})",
                           "check the connection and rerun to resume") from err
        if not first or size <= 1:
            return first
        try:
            self._port.timeout = 0
            return first + self._port.read(size - 1)
        except (serial.SerialException, OSError):
            return first  # the error repeats on the next read

    def close(self, *, pause: bool = True) -> None:
        """Close the port. pyserial waits 0.3 s after closing a socket:// port so that the server can
        take a quick reconnect; ``pause=False`` skips that wait (QemuSession: nobody reconnects, the
        emulator stops next)."""
        sock = getattr(self._port, "_socket", None)
        if not pause and sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
            self._port._socket = None
            self._port.is_open = False
        self._port.close()
