"""Host-side protocol: COBS and frames round-trip; damaged frames are rejected; HELLO/TENSOR parse;
version mismatches in both directions are one clear line."""

from __future__ import annotations

import struct

import pytest
from harness_fixture import v1_host_hello
from hypothesis import given, settings
from hypothesis import strategies as st

from tfcompress.harness import protocol as p
from tfcompress.harness.client import DeviceInfo, HarnessClient, TensorInfo, VersionMismatch


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


def test_dtype_codes_are_the_engines():
    from tfcompress.engine.ir import DTYPE_CODES

    assert p.DTYPES == DTYPE_CODES


def v2_hello(version: int = 2, board: bytes = b"demo") -> bytes:
    body = struct.pack(p.HELLO_FORMAT, version, 1, 2, 1, 70, 10, 40, 25_000_000, 256, 0, 4, p.FLAG_STATEFUL,
                       8, 6, 0, 72, 10, b"0123456789abcdef")
    return body + bytes([len(board)]) + board


def v1_hello() -> bytes:
    """A HELLO reply of protocol-v1 firmware (one input, one output)."""
    body = struct.pack("<BBBBIIIIHBB", 1, 1, 1, 1, 64, 10, 40, 25_000_000, 256, 2, 1)
    body += struct.pack("<2I1I", 1, 64, 10) + struct.pack("<fifi", 0.5, -3, 0.25, 7)
    return body + b"0123456789abcdef" + bytes([4]) + b"demo"


def test_hello_and_tensor_parse():
    info = DeviceInfo.parse(v2_hello())
    assert (info.version, info.num_inputs, info.num_outputs, info.inputs_bytes, info.outputs_bytes) == (2, 2, 1, 70, 10)
    assert info.counter_unit == "instructions" and info.stateful and info.state_bytes == 4
    assert info.model_hash == "0123456789abcdef" and info.board == "demo" and info.chunk_max == 256
    t = TensorInfo.parse(struct.pack("<BBBBIIfiI3i", 1, 0, 5, 3, 24, 6, 0.5, -3, 16, 1, 2, 3))
    assert (t.kind, t.index, t.dtype, t.shape, t.bytes, t.elements, t.scale, t.zero_point, t.offset) == \
        ("output", 0, "int32", (1, 2, 3), 24, 6, 0.5, -3, 16)
    with pytest.raises(Exception) as e:
        DeviceInfo.parse(v2_hello()[:40])
    assert "HELLO reply is 40 bytes" in str(e.value)


def test_v1_host_reaches_its_version_check_on_every_v2_hello():
    """Board names of any length (even empty): the v1 parser never fails before comparing versions."""
    for board in (b"", b"f4", b"mps2-an500", b"x" * 32):
        assert v1_host_hello(v2_hello(board=board)) == (
            "firmware speaks harness protocol v2, host v1 — regenerate and reflash the firmware with this tfcompress")
    assert v1_host_hello(v1_hello()) == "ok"


class FakeFirmware:
    """A transport whose far end answers HELLO with a fixed reply (and nothing else)."""

    name = "fake-port"

    def __init__(self, hello: bytes) -> None:
        self.hello, self.out, self.kinds = hello, b"", []

    def write(self, data: bytes) -> None:
        for chunk in data.split(b"\x00"):
            f = p.decode_frame(chunk) if chunk else None
            if f is not None:
                self.kinds.append(f.kind)
                if f.kind == p.HELLO:
                    self.out += p.encode_frame(p.HELLO | p.REPLY, f.seq, self.hello)

    def read(self, size: int, timeout: float) -> bytes:
        out, self.out = self.out, b""
        return out

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("hello", "words", "fix"), [
    (v1_hello(), "speaks harness protocol v1, this tfcompress speaks v2", "regenerate and reflash"),
    (v2_hello(version=3), "speaks harness protocol v3, newer than this tfcompress (v2)", "upgrade tfcompress"),
])
def test_v2_host_names_both_versions(hello, words, fix):
    dev = FakeFirmware(hello)
    client = HarnessClient(dev, timeout=0.2, retries=1)
    for call in (client.hello, lambda: client.infer(b"\x00" * 64), client.reset):
        with pytest.raises(VersionMismatch) as e:
            call()
        assert words in e.value.what and "fake-port" in e.value.what and fix in e.value.fix
        assert "\n" not in e.value.line()
    assert set(dev.kinds) == {p.HELLO}  # nothing else is sent to firmware of another version
