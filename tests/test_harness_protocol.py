"""Host-side protocol: COBS and frames round-trip; damaged frames are rejected."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from tfcompress.harness import protocol as p
from tfcompress.harness.client import DeviceInfo


@given(st.binary(max_size=700))
@settings(max_examples=300, deadline=None)
def test_cobs_round_trip(data):
    enc = p.cobs_encode(data)
    assert 0 not in enc
    assert p.cobs_decode(enc) == data
    assert len(enc) <= len(data) + len(data) // 254 + 1


@given(st.integers(0, 255), st.integers(0, 0xFFFF), st.binary(max_size=300))
@settings(max_examples=200, deadline=None)
def test_frame_round_trip(kind, seq, payload):
    wire = p.encode_frame(kind, seq, payload)
    assert wire.endswith(b"\x00") and wire.count(0) == 1
    f = p.decode_frame(wire[:-1])
    assert f == p.Frame(kind, seq, payload)


@given(st.binary(min_size=1, max_size=64), st.data())
@settings(max_examples=300, deadline=None)
def test_any_single_bit_flip_is_rejected(payload, data):
    wire = bytearray(p.encode_frame(p.RUN | p.REPLY, 7, payload)[:-1])
    i = data.draw(st.integers(0, len(wire) - 1))
    wire[i] ^= 1 << data.draw(st.integers(0, 7))
    if 0 in wire:  # the flip made a delimiter: the frame splits, and each part fails
        assert all(p.decode_frame(bytes(part)) is None for part in bytes(wire).split(b"\x00") if part)
    else:
        assert p.decode_frame(bytes(wire)) is None


def test_crc_matches_the_c_polynomial():
    assert p.crc32(b"123456789") == 0xCBF43926


def test_hello_parse():
    body = struct.pack("<BBBBIIIIHBB", 1, 1, 1, 1, 64, 10, 40, 25_000_000, 256, 2, 1)
    body += struct.pack("<2I1I", 1, 64, 10) + struct.pack("<fifi", 0.5, -3, 0.25, 7)
    body += b"0123456789abcdef" + bytes([4]) + b"demo"
    info = DeviceInfo.parse(body)
    assert info.input_shape == (1, 64) and info.output_shape == (10,)
    assert info.counter_unit == "instructions" and info.input_zero_point == -3 and info.board == "demo"
    assert info.model_hash == "0123456789abcdef"
