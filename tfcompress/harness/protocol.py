"""Wire format shared with firmware/harness/tfc_proto.c.

Frame = COBS(type u8, flags u8, seq u16le, payload, crc32le(type..payload)) + b"\\x00".
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

VERSION = 2
CHUNK_MAX = 256
#: inputs and outputs sit in the device's buffers at offsets rounded up to this
TENSOR_ALIGN = 8

HELLO, LOAD, RUN, READ, TENSOR, RESET = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06
#: per-op counter ticks of the last timed run (profiling builds), stack high-water marks
PROFILE, STATS = 0x07, 0x08
#: debug build only: an op's output as the last RUN left it, by tensor id
DEBUG_READ = 0x09
REPLY = 0x80
LOG, FAULT, ERROR = 0xFD, 0xFE, 0xFF
KIND_INPUT, KIND_OUTPUT = 0, 1
FLAG_STATEFUL = 1
#: HELLO byte 28 bit 1: a profiling build (answers PROFILE)
FLAG_PROFILE = 2
#: HELLO byte 28 bit 2: a debug build (every op's output kept for DEBUG_READ)
FLAG_DEBUG = 4
#: HELLO byte 31 (zero in firmware that predates it: the engine)
RUNTIMES = {0: "engine", 1: "tflm"}

ERR_CRC, ERR_TYPE, ERR_LENGTH, ERR_RANGE, ERR_INPUT_CRC, ERR_MODEL, ERR_OVERFLOW, ERR_INDEX = range(1, 9)
ERROR_NAMES = {
    ERR_CRC: "frame CRC mismatch",
    ERR_TYPE: "unknown request",
    ERR_LENGTH: "bad payload length",
    ERR_RANGE: "offset/length out of range",
    ERR_INPUT_CRC: "loaded inputs do not match",
    ERR_MODEL: "model run failed",
    ERR_OVERFLOW: "frame too long",
    ERR_INDEX: "no such input/output",
}
#: TFC_DTYPE_* codes of the generated model.h (the same table as tfcompress.engine.ir.DTYPE_CODES,
#: kept here so the harness does not import the engine)
DTYPES = {1: "int8", 2: "int16", 3: "float32", 4: "uint8", 5: "int32", 6: "int64", 7: "bool"}

#: HELLO reply: the fixed part (the board name follows as length u8 + characters). Bytes 22..23
#: are zero: protocol v1 had its shape ranks there, so a v1 host parses a v2 HELLO as far as its
#: version check (and reports the mismatch) instead of failing on the layout. Byte 31 names the
#: runtime (RUNTIMES); byte 12's arena is what the runtime uses (TFLM: ``arena_used_bytes()``).
HELLO_FORMAT = "<BBBBIIIIHHIBBBBII16s"
HELLO_FIXED = 56


def crc32(data: bytes) -> int:
    """CRC-32 (IEEE), same as the firmware's tfc_crc32."""
    return zlib.crc32(data) & 0xFFFFFFFF


def cobs_encode(data: bytes) -> bytes:
    """COBS-encode ``data`` (no trailing delimiter)."""
    out = bytearray([0])
    code_at, code = 0, 1
    for b in data:
        if b == 0:
            out[code_at] = code
            code_at, code = len(out), 1
            out.append(0)
        else:
            out.append(b)
            code += 1
            if code == 0xFF:
                out[code_at] = code
                code_at, code = len(out), 1
                out.append(0)
    out[code_at] = code
    return bytes(out)


def cobs_decode(data: bytes) -> bytes | None:
    """Inverse of :func:`cobs_encode`; None when malformed."""
    out = bytearray()
    i = 0
    while i < len(data):
        code = data[i]
        i += 1
        if code == 0 or i + code - 1 > len(data):
            return None
        block = data[i : i + code - 1]
        if 0 in block:
            return None
        out += block
        i += code - 1
        if code != 0xFF and i < len(data):
            out.append(0)
    return bytes(out)


def encode_frame(kind: int, seq: int, payload: bytes = b"") -> bytes:
    """A complete frame on the wire, delimiter included."""
    body = struct.pack("<BBH", kind, 0, seq & 0xFFFF) + payload
    return cobs_encode(body + struct.pack("<I", crc32(body))) + b"\x00"


@dataclass(frozen=True)
class Frame:
    """A decoded, CRC-checked frame."""

    kind: int
    seq: int
    payload: bytes


def decode_frame(encoded: bytes) -> Frame | None:
    """Decode one frame (without its delimiter); None when malformed or the CRC fails."""
    raw = cobs_decode(encoded)
    if raw is None or len(raw) < 8:
        return None
    body, (crc,) = raw[:-4], struct.unpack("<I", raw[-4:])
    if crc32(body) != crc:
        return None
    kind, _flags, seq = struct.unpack("<BBH", body[:4])
    return Frame(kind, seq, body[4:])
