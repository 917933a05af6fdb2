"""Wire format shared with firmware/harness/tfc_proto.c.

Frame = COBS(type u8, flags u8, seq u16le, payload, crc32le(type..payload)) + b"\\x00".
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

VERSION = 1
CHUNK_MAX = 256

HELLO, LOAD, RUN, READ = 0x01, 0x02, 0x03, 0x04
REPLY = 0x80
FAULT, ERROR = 0xFE, 0xFF

ERR_CRC, ERR_TYPE, ERR_LENGTH, ERR_RANGE, ERR_INPUT_CRC, ERR_MODEL, ERR_OVERFLOW = range(1, 8)
ERROR_NAMES = {
    ERR_CRC: "frame CRC mismatch",
    ERR_TYPE: "unknown request",
    ERR_LENGTH: "bad payload length",
    ERR_RANGE: "offset/length out of range",
    ERR_INPUT_CRC: "loaded input does not match",
    ERR_MODEL: "model run failed",
    ERR_OVERFLOW: "frame too long",
}
DTYPES = {1: "int8", 2: "int16", 3: "float32"}


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
