"""Host side of the serial harness: HELLO, chunked LOAD, RUN, READ with retries.

Every request is idempotent (LOAD writes at an offset, RUN re-runs on the same input,
READ re-reads), so a lost or garbled frame is simply resent; replies are matched by
sequence number and CRC-checked, and RUN carries the CRC of the input the host meant
to load, so a lost chunk can never produce a result for the wrong input.
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass, field

from tfcompress.errors import TfcError
from tfcompress.harness import protocol as p
from tfcompress.harness.transport import Transport


class DeviceError(TfcError):
    """The firmware answered with an error or reported a fault."""


class InputMismatch(Exception):
    """RUN refused: the device's input buffer differs from what the host sent."""


@dataclass(frozen=True)
class DeviceInfo:
    """What HELLO reports."""

    version: int
    counter_unit: str  # "cycles" | "instructions"
    input_dtype: str
    output_dtype: str
    input_bytes: int
    output_bytes: int
    arena_bytes: int
    clock_hz: int
    chunk_max: int
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    input_scale: float
    input_zero_point: int
    output_scale: float
    output_zero_point: int
    model_hash: str
    board: str

    @classmethod
    def parse(cls, b: bytes) -> DeviceInfo:
        version, unit, idt, odt, ib, ob, arena, clock, chunk, nin, nout = struct.unpack_from("<BBBBIIIIHBB", b)
        off = 24
        ishape = struct.unpack_from(f"<{nin}I", b, off)
        off += 4 * nin
        oshape = struct.unpack_from(f"<{nout}I", b, off)
        off += 4 * nout
        isc, izp, osc, ozp = struct.unpack_from("<fifi", b, off)
        off += 16
        model_hash = b[off : off + 16].decode("ascii", "replace")
        off += 16
        blen = b[off]
        board = b[off + 1 : off + 1 + blen].decode("ascii", "replace")
        return cls(version, "instructions" if unit else "cycles", p.DTYPES.get(idt, "?"), p.DTYPES.get(odt, "?"),
                   ib, ob, arena, clock, chunk, tuple(ishape), tuple(oshape), isc, izp, osc, ozp,
                   model_hash, board)


@dataclass
class RunResult:
    """One input's output and its counter readings over the timed repeats."""

    output: bytes
    repeat: int
    count_min: int
    count_max: int
    count_total: int


@dataclass
class LinkStats:
    """Retries the link needed (for reports and tests)."""

    requests: int = 0
    retries: int = 0
    bad_frames: int = 0
    events: list[str] = field(default_factory=list)


class HarnessClient:
    """Talks to the harness firmware over a :class:`Transport`."""

    def __init__(self, transport: Transport, *, timeout: float = 2.0, run_timeout: float = 60.0,
                 retries: int = 8) -> None:
        self.t = transport
        self.timeout = timeout
        self.run_timeout = run_timeout
        self.retries = retries
        self.seq = 0
        self._buf = bytearray()
        self.stats = LinkStats()
        self.info: DeviceInfo | None = None
        self._run_wait: float | None = None  # learnt from the first RUN: lost replies cost little

    # -- framing -----------------------------------------------------------------
    def _next_frame(self, deadline: float) -> p.Frame | None:
        while True:
            cut = self._buf.find(b"\x00")
            if cut >= 0:
                chunk = bytes(self._buf[:cut])
                del self._buf[: cut + 1]
                if not chunk:
                    continue
                frame = p.decode_frame(chunk)
                if frame is None:
                    self.stats.bad_frames += 1
                    continue
                return frame
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self._buf += self.t.read(4096, min(left, 0.2))

    def request(self, kind: int, payload: bytes = b"", *, timeout: float | None = None) -> bytes:
        """Send a request and return the payload of its reply, retrying on loss or corruption."""
        self.stats.requests += 1
        self.seq = (self.seq + 1) % 0xFFFF  # 0xFFFF is reserved for unsolicited frames
        frame = b"\x00" + p.encode_frame(kind, self.seq, payload)
        wait = timeout or self.timeout
        for attempt in range(self.retries + 1):
            if attempt:
                self.stats.retries += 1
            self.t.write(frame)
            deadline = time.monotonic() + wait
            while (reply := self._next_frame(deadline)) is not None:
                if reply.kind == p.FAULT:
                    pc, lr, cfsr, hfsr, mmfar, bfar = struct.unpack_from("<6I", reply.payload)
                    raise DeviceError(
                        f"firmware hard fault on {self.t.name}: pc=0x{pc:08x} lr=0x{lr:08x} "
                        f"cfsr=0x{cfsr:08x} hfsr=0x{hfsr:08x} bfar=0x{bfar:08x}",
                        "the model or its kernels crashed on the device; validate the model on the host "
                        "(tfcompress validate) and report the fault registers",
                    )
                if reply.kind == p.ERROR and len(reply.payload) >= 1:
                    code = reply.payload[0]
                    if code in (p.ERR_CRC, p.ERR_OVERFLOW):
                        self.stats.events.append(f"device saw a damaged frame (seq {self.seq})")
                        break  # resend now
                    if reply.seq != self.seq:
                        continue
                    if code == p.ERR_INPUT_CRC:
                        raise InputMismatch()
                    raise DeviceError(f"device rejected request 0x{kind:02x}: {p.ERROR_NAMES.get(code, code)}",
                                      "the firmware and host disagree about the model; regenerate and reflash")
                if reply.seq == self.seq and reply.kind == kind | p.REPLY:
                    return reply.payload
        raise TfcError(
            f"no valid reply from {self.t.name} after {self.retries + 1} attempts (timeout {wait:g}s each)",
            "check the port, that the board runs tfcompress firmware (flash it again) and reset it",
        )

    # -- commands ----------------------------------------------------------------
    def hello(self) -> DeviceInfo:
        """Ask the firmware what model and board it has."""
        # Short first timeouts: bytes sent while the firmware is still booting are dropped.
        self.info = DeviceInfo.parse(self.request(p.HELLO, timeout=min(self.timeout, 0.5)))
        if self.info.version != p.VERSION:
            raise TfcError(f"firmware speaks harness protocol v{self.info.version}, host v{p.VERSION}",
                           "regenerate and reflash the firmware with this tfcompress")
        return self.info

    def load(self, data: bytes) -> None:
        """Send the input tensor in chunks."""
        info = self.info or self.hello()
        if len(data) != info.input_bytes:
            raise TfcError(f"input is {len(data)} bytes, the firmware's model takes {info.input_bytes}",
                           "check the model matches the firmware")
        step = min(info.chunk_max, p.CHUNK_MAX)
        for off in range(0, len(data), step):
            chunk = data[off : off + step]
            ack = self.request(p.LOAD, struct.pack("<I", off) + chunk)
            if struct.unpack("<II", ack[:8]) != (off, len(chunk)):
                raise TfcError("device acknowledged the wrong input chunk", "rerun; the link is unreliable")

    def _read_output(self, first: bytes, total: int) -> bytes:
        out = bytearray(first)
        while len(out) < total:
            n = min(p.CHUNK_MAX, total - len(out))
            reply = self.request(p.READ, struct.pack("<II", len(out), n))
            if struct.unpack_from("<I", reply)[0] != len(out) or len(reply) - 4 != n:
                continue
            out += reply[4:]
        return bytes(out)

    def infer(self, data: bytes, *, warmup: int = 0, repeat: int = 1) -> RunResult:
        """Load ``data``, run the model and return the output and counter readings."""
        info = self.info or self.hello()
        want = p.crc32(data)
        for _ in range(self.retries + 1):
            self.load(data)
            t0 = time.monotonic()
            wait = self.run_timeout if self._run_wait is None else self._run_wait * (warmup + repeat)
            try:
                reply = self.request(p.RUN, struct.pack("<III", warmup, repeat, want),
                                     timeout=min(wait, self.run_timeout))
            except InputMismatch:
                self.stats.events.append("input CRC mismatch; reloading")
                continue
            if self._run_wait is None:
                per_run = (time.monotonic() - t0) / (warmup + repeat)
                self._run_wait = max(self.timeout, 4 * per_run)
            rep, cmin, cmax, lo, hi, out_crc = struct.unpack_from("<6I", reply)
            output = self._read_output(reply[24:], info.output_bytes)
            if p.crc32(output) != out_crc:
                self.stats.events.append("output CRC mismatch; rerunning")
                continue
            return RunResult(output, rep, cmin, cmax, lo | (hi << 32))
        raise TfcError(f"could not get a consistent result from {self.t.name}", "check the serial link")
