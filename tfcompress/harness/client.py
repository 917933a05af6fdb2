"""Host side of the serial harness (protocol v2): HELLO, TENSOR, chunked LOAD, RUN, READ, RESET.

Requests are safe to resend: LOAD writes at an offset of one input, READ re-reads, RESET resets
again, and the firmware answers a resent RUN (same sequence number and payload) from the result
it kept instead of running again, so a stateful model advances exactly once per RUN. Replies are
matched by sequence number and CRC-checked; RUN carries the CRC of the inputs the host meant to
load, so a lost chunk can never produce a result for the wrong inputs, and its reply carries the
CRC of all outputs, which the host checks after reading them.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from tfcompress.errors import TfcError
from tfcompress.harness import protocol as p
from tfcompress.harness.transport import LinkError, Transport


class DeviceError(TfcError):
    """The firmware answered with an error or reported a fault (``code``: the ERROR code, if any)."""

    code: int | None = None


class DeviceFault(DeviceError):
    """The firmware's fault handler reported (``fault``: the decoded FAULT frame)."""

    def __init__(self, what: str, fix: str, fault) -> None:
        super().__init__(what, fix)
        self.fault = fault
        self.where: dict = {}  # function / caller / ops, once located in the firmware's ELF


class VersionMismatch(TfcError):
    """The firmware speaks another version of the harness protocol."""


class InputMismatch(Exception):
    """RUN refused: the device's input buffers differ from what the host sent."""


def check_version(hello: bytes, port: str) -> None:
    """Raise :class:`VersionMismatch` unless a HELLO reply is from a protocol-v2 firmware.

    The version is the first byte of HELLO's reply in every protocol version."""
    if not hello:
        raise DeviceError(f"empty HELLO reply from {port}", "reset the board and retry")
    version = hello[0]
    if version == p.VERSION:
        return
    if version < p.VERSION:
        raise VersionMismatch(
            f"the firmware on {port} speaks harness protocol v{version}, this tfcompress speaks v{p.VERSION}",
            "regenerate and reflash the firmware with this tfcompress (tfcompress build / flash)")
    raise VersionMismatch(
        f"the firmware on {port} speaks harness protocol v{version}, newer than this tfcompress (v{p.VERSION})",
        "upgrade tfcompress, or regenerate and reflash the firmware with this one (tfcompress build / flash)")


@dataclass(frozen=True)
class TensorInfo:
    """One input or output as the firmware describes it (TENSOR reply)."""

    kind: str  # "input" | "output"
    index: int
    dtype: str
    bytes: int
    elements: int
    shape: tuple[int, ...]
    scale: float
    zero_point: int
    offset: int  # where the firmware keeps it in its input or output area

    @classmethod
    def parse(cls, b: bytes) -> TensorInfo:
        kind, index, dtype, ndim, nbytes, elements, scale, zp, offset = struct.unpack_from("<BBBBIIfiI", b)
        shape = struct.unpack_from(f"<{ndim}i", b, 24)
        return cls("output" if kind == p.KIND_OUTPUT else "input", index, p.DTYPES.get(dtype, f"?{dtype}"),
                   nbytes, elements, tuple(shape), scale, zp, offset)


@dataclass(frozen=True)
class DeviceInfo:
    """What HELLO reports, with every input's and output's description (TENSOR replies)."""

    version: int
    counter_unit: str  # "cycles" | "instructions"
    num_inputs: int
    num_outputs: int
    inputs_bytes: int  # all inputs together
    outputs_bytes: int  # all outputs together
    arena_bytes: int
    state_bytes: int
    stateful: bool
    clock_hz: int
    chunk_max: int
    model_hash: str
    board: str
    inputs: tuple[TensorInfo, ...] = ()
    outputs: tuple[TensorInfo, ...] = ()
    runtime: str = "engine"  # "engine" | "tflm" (HELLO byte 31)
    profiling: bool = False  # a profiling build (--profile; HELLO byte 28 bit 1)
    debug: bool = False  # a debug build: DEBUG_READ serves every op's output (HELLO flag bit 2)

    @classmethod
    def parse(cls, b: bytes) -> DeviceInfo:
        """A v2 HELLO reply (check the version first: :func:`check_version`)."""
        if len(b) < p.HELLO_FIXED + 1:
            raise DeviceError(f"HELLO reply is {len(b)} bytes, protocol v{p.VERSION} sends at least "
                              f"{p.HELLO_FIXED + 1}", "regenerate and reflash the firmware with this tfcompress")
        (version, unit, nin, nout, ib, ob, arena, clock, chunk, _zero, state, flags, _align, _dims, runtime,
         _in_area, _out_area, model_hash) = struct.unpack_from(p.HELLO_FORMAT, b)
        blen = b[p.HELLO_FIXED]
        board = b[p.HELLO_FIXED + 1 : p.HELLO_FIXED + 1 + blen].decode("ascii", "replace")
        return cls(version, "instructions" if unit else "cycles", nin, nout, ib, ob, arena, state,
                   bool(flags & p.FLAG_STATEFUL), clock, chunk,
                   model_hash.rstrip(b"\x00").decode("ascii", "replace"), board,
                   runtime=p.RUNTIMES.get(runtime, f"?{runtime}"), profiling=bool(flags & p.FLAG_PROFILE),
                   debug=bool(flags & p.FLAG_DEBUG))


@dataclass
class RunResult:
    """One inference's outputs and its counter readings over the timed repeats."""

    outputs: list[bytes]
    repeat: int
    count_min: int
    count_max: int
    count_total: int

    @property
    def output(self) -> bytes:
        """Output 0 (single-output models)."""
        return self.outputs[0]


@dataclass
class LinkStats:
    """Retries the link needed (for reports and tests)."""

    requests: int = 0
    retries: int = 0
    bad_frames: int = 0
    events: list[str] = field(default_factory=list)
    #: LOG lines the firmware sent (TFLM's DebugLog), the latest LOG_KEEP
    logs: list[str] = field(default_factory=list)


#: LOG lines kept (LinkStats.logs)
LOG_KEEP = 50


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
                if reply.kind == p.LOG:
                    self.stats.logs.append(reply.payload.decode("ascii", "replace"))
                    del self.stats.logs[:-LOG_KEEP]
                    continue
                if reply.kind == p.FAULT:
                    from tfcompress.harness.fault_decode import Fault

                    fault = Fault.parse(reply.payload)
                    raise DeviceFault(
                        f"firmware hard fault on {self.t.name}: {fault.describe()}",
                        "the model or its kernels crashed on the device; validate the model on the host "
                        "(tfcompress validate) and report the fault registers", fault)
                if reply.kind == p.ERROR and len(reply.payload) >= 1:
                    code = reply.payload[0]
                    if code in (p.ERR_CRC, p.ERR_OVERFLOW):
                        self.stats.events.append(f"device saw a damaged frame (seq {self.seq})")
                        break  # resend now
                    if reply.seq != self.seq:
                        continue
                    if code == p.ERR_INPUT_CRC:
                        raise InputMismatch()
                    said = f" (the firmware said: {' / '.join(self.stats.logs[-3:])})" if self.stats.logs else ""
                    fix = "the firmware and host disagree about the model; regenerate and reflash"
                    if said:
                        fix = "act on the firmware's message; " + fix
                    err = DeviceError(f"device rejected request 0x{kind:02x}: {p.ERROR_NAMES.get(code, code)}{said}",
                                      fix)
                    err.code = code
                    raise err
                if reply.seq == self.seq and reply.kind == kind | p.REPLY:
                    return reply.payload
        raise LinkError(
            f"no valid reply from {self.t.name} after {self.retries + 1} attempts (timeout {wait:g}s each)",
            "check the port, that the board runs tfcompress firmware (flash it again) and reset it",
        )

    # -- commands ----------------------------------------------------------------
    def hello(self) -> DeviceInfo:
        """Ask the firmware what model and board it has, and describe every input and output."""
        # Short first timeouts: bytes sent while the firmware is still booting are dropped.
        reply = self.request(p.HELLO, timeout=min(self.timeout, 0.5))
        check_version(reply, self.t.name)
        info = DeviceInfo.parse(reply)
        ins = tuple(self.tensor(p.KIND_INPUT, i) for i in range(info.num_inputs))
        outs = tuple(self.tensor(p.KIND_OUTPUT, i) for i in range(info.num_outputs))
        if sum(t.bytes for t in ins) != info.inputs_bytes or sum(t.bytes for t in outs) != info.outputs_bytes:
            raise DeviceError(f"the firmware on {self.t.name} describes its tensors inconsistently",
                              "regenerate and reflash the firmware with this tfcompress")
        self.info = replace(info, inputs=ins, outputs=outs)
        return self.info

    def tensor(self, kind: int, index: int) -> TensorInfo:
        """One input's (``kind`` 0) or output's (1) description."""
        return TensorInfo.parse(self.request(p.TENSOR, struct.pack("<BB", kind, index)))

    def reset(self) -> None:
        """Put the model's state back to its start (``tfc_model_reset``; no-op for stateless models)."""
        self.info or self.hello()
        self.request(p.RESET)

    def load(self, inputs: Sequence[bytes]) -> None:
        """Send every input, in chunks."""
        info = self.info or self.hello()
        if len(inputs) != info.num_inputs:
            raise TfcError(f"{len(inputs)} inputs given, the firmware's model takes {info.num_inputs}",
                           "check the model matches the firmware")
        step = min(info.chunk_max, p.CHUNK_MAX)
        for i, (data, t) in enumerate(zip(inputs, info.inputs, strict=True)):
            if len(data) != t.bytes:
                raise TfcError(f"input {i} is {len(data)} bytes, the firmware's model takes {t.bytes}",
                               "check the model matches the firmware")
            for off in range(0, len(data), step):
                chunk = data[off : off + step]
                ack = self.request(p.LOAD, struct.pack("<BI", i, off) + chunk)
                if len(ack) < 9 or struct.unpack_from("<BII", ack) != (i, off, len(chunk)):
                    raise LinkError("device acknowledged the wrong input chunk", "rerun; the link is unreliable")

    def _read(self, index: int, have: bytes, total: int) -> bytes:
        out = bytearray(have)
        while len(out) < total:
            n = min(p.CHUNK_MAX, total - len(out))
            reply = self.request(p.READ, struct.pack("<BII", index, len(out), n))
            if len(reply) - 5 != n or struct.unpack_from("<BI", reply) != (index, len(out)):
                continue
            out += reply[5:]
        return bytes(out)

    def _read_outputs(self, inline: bytes) -> list[bytes]:
        """Every output: the part the RUN reply carried, the rest by READ."""
        assert self.info is not None
        outs, at = [], 0
        for t in self.info.outputs:
            have = inline[at : at + t.bytes]
            at += len(have)
            outs.append(self._read(t.index, have, t.bytes))
        return outs

    def debug_read(self, tensor: int) -> tuple[int, bytes]:
        """(step, bytes) of tensor ``tensor``'s copy in a debug build: the output of op ``step`` as the
        last RUN left it (DEBUG_READ, in chunks)."""
        info = self.info or self.hello()
        if not info.debug:
            raise TfcError(f"the firmware on {self.t.name} is not a debug build",
                           "build the firmware with the debug build (validate --localize does)")
        head = self.request(p.DEBUG_READ, struct.pack("<III", tensor, 0, 0))  # its step and size
        t, step, total, _ = struct.unpack_from("<4I", head)
        if t != tensor:
            raise DeviceError(f"DEBUG_READ of tensor {tensor} answered for tensor {t}", "rerun; the link is unreliable")
        out = bytearray()
        while len(out) < total:
            n = min(p.CHUNK_MAX, total - len(out))
            reply = self.request(p.DEBUG_READ, struct.pack("<III", tensor, len(out), n))
            if len(reply) - 16 != n or struct.unpack_from("<I8xI", reply) != (tensor, len(out)):
                continue
            out += reply[16:]
        return step, bytes(out[:total])

    def infer(self, inputs: Sequence[bytes] | bytes, *, warmup: int = 0, repeat: int = 1) -> RunResult:
        """Load the inputs (one ``bytes`` per model input, or one ``bytes`` for a single-input
        model), run the model and return every output and the counter readings.

        On a stateful model every warm-up and timed run advances the state."""
        if isinstance(inputs, (bytes, bytearray, memoryview)):
            inputs = [bytes(inputs)]
        self.info or self.hello()
        want = p.crc32(b"".join(inputs))
        for _ in range(self.retries + 1):
            self.load(inputs)
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
            for attempt in range(3):  # READ is safe to repeat; running again would advance a stateful model
                if attempt:
                    self.stats.events.append("output CRC mismatch; reading again")
                outputs = self._read_outputs(b"" if attempt else reply[24:])
                if p.crc32(b"".join(outputs)) == out_crc:
                    return RunResult(outputs, rep, cmin, cmax, lo | (hi << 32))
            break
        raise LinkError(f"could not get a consistent result from {self.t.name}", "check the serial link")
