"""The firmware frame parser, compiled for the host under ASan/UBSan, survives random and mutated
frames, and answers a scripted protocol-v2 session as PROTOCOL.md says."""

from __future__ import annotations

import random
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from conftest import require_tool
from harness_fixture import (
    DEBUG_TENSORS,
    INPUT_BYTES,
    MODEL_HASH,
    OUTPUT_BYTES,
    FixtureModel,
    build_host_firmware,
    samples,
    v1_host_hello,
)

from tfcompress.harness import protocol as p
from tfcompress.harness.client import DeviceInfo, TensorInfo


@pytest.fixture(scope="module")
def fuzz_binary(tmp_path_factory) -> Path:
    return build_host_firmware(tmp_path_factory.mktemp("fuzz") / "fuzz_proto", require_tool("gcc", "gcc"))


def _valid_session(rng: random.Random) -> bytes:
    xs = [bytes(rng.randrange(256) for _ in range(n)) for n in INPUT_BYTES]
    out = p.encode_frame(p.HELLO, 1)
    for kind, count in ((p.KIND_INPUT, 2), (p.KIND_OUTPUT, 2)):
        for i in range(count):
            out += p.encode_frame(p.TENSOR, 2, bytes([kind, i]))
    for i, x in enumerate(xs):
        for off in range(0, len(x), 24):
            out += p.encode_frame(p.LOAD, 3, struct.pack("<BI", i, off) + x[off : off + 24])
    run = p.encode_frame(p.RUN, 4, struct.pack("<III", rng.randrange(3), 1 + rng.randrange(3), zlib.crc32(b"".join(xs))))
    out += run + run  # the second is a resend: answered without running
    i = rng.randrange(2)
    out += p.encode_frame(p.READ, 5, struct.pack("<BII", i, rng.randrange(OUTPUT_BYTES[i]), rng.randrange(OUTPUT_BYTES[i])))
    out += p.encode_frame(p.RESET, 6)
    return out


def _hostile_frame(rng: random.Random) -> bytes:
    """A frame with a valid CRC but adversarial content (indices, lengths, offsets, types)."""
    big = [0, 1, 5, 6, 7, 8, 62, 63, 64, 2**31, 2**32 - 1, 2**32 - 63]
    index = rng.choice([0, 1, 2, 3, 127, 128, 255])
    kind = rng.choice([p.HELLO, p.LOAD, p.RUN, p.READ, p.TENSOR, p.RESET, 0, 0x7F, 0x80, 0xFE, 0xFF,
                       rng.randrange(256)])
    choice = rng.randrange(7)
    if choice == 0:
        payload = struct.pack("<BI", index, rng.choice(big)) + bytes(rng.randrange(256) for _ in range(rng.randrange(300)))
    elif choice == 1:
        payload = struct.pack("<BII", index, rng.choice(big), rng.choice(big))
    elif choice == 2:
        payload = struct.pack("<III", rng.choice(big), rng.choice(big), rng.randrange(2**32))
    elif choice == 3:
        payload = bytes(rng.randrange(256) for _ in range(rng.randrange(600)))
    elif choice == 4:
        payload = bytes([rng.choice([0, 1, 2, 255]), index])
    elif choice == 5:
        payload = struct.pack("<II", rng.choice(big), rng.choice(big))
    else:
        payload = b""
    return p.encode_frame(kind, rng.randrange(65536), payload)


def _mutate(frame: bytes, rng: random.Random) -> bytes:
    b = bytearray(frame)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(4)
        i = rng.randrange(len(b))
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            del b[i : i + rng.randint(1, 16)]
        elif op == 2:
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        else:
            b[i] = rng.choice([0, 1, 0xFF, 0xFE])
        if not b:
            b = bytearray(b"\x01")
    return bytes(b)


def _stream(seed: int, n: int) -> bytes:
    rng = random.Random(seed)
    parts = []
    for _ in range(n):
        r = rng.random()
        if r < 0.2:
            parts.append(_valid_session(rng))
        elif r < 0.55:
            parts.append(_hostile_frame(rng))
        elif r < 0.85:
            parts.append(_mutate(rng.choice([_valid_session(rng), _hostile_frame(rng)]), rng))
        elif r < 0.95:
            parts.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))))
        else:  # longer than any receive buffer, no delimiter
            parts.append(bytes(rng.randrange(1, 256) for _ in range(rng.randrange(300, 2000))) + b"\x00")
    return b"".join(parts)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_parser_survives_fuzzing(fuzz_binary, seed):
    data = _stream(seed, 1500)
    proc = subprocess.run([str(fuzz_binary)], input=data, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    fed, frames, errors = map(int, proc.stdout.split())
    assert fed == len(data)
    assert frames > 500 and errors > 100  # it answered, and rejected the hostile frames


def test_valid_session_replies_match_host_protocol(fuzz_binary):
    """Sanity: the host-compiled parser answers every request of a clean session, none with an error."""
    rng = random.Random(9)
    data = _valid_session(rng)
    proc = subprocess.run([str(fuzz_binary)], input=data, capture_output=True, timeout=60)
    assert proc.returncode == 0
    fed, frames, errors = map(int, proc.stdout.split())
    loads = sum(-(-n // 24) for n in INPUT_BYTES)
    assert errors == 0 and frames == 1 + 4 + loads + 2 + 1 + 1


class _Script:
    """Requests to feed the host-compiled firmware, then its replies by sequence number."""

    def __init__(self) -> None:
        self.wire = b""
        self.seq = 0

    def __call__(self, kind: int, payload: bytes = b"", *, seq: int | None = None) -> int:
        if seq is None:
            self.seq += 1
            seq = self.seq
        self.wire += b"\x00" + p.encode_frame(kind, seq, payload)
        return seq

    def run(self, binary: Path, tmp_path: Path) -> list[p.Frame]:
        dump = tmp_path / "replies.bin"
        proc = subprocess.run([str(binary), str(dump)], input=self.wire, capture_output=True, timeout=60)
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
        frames = [p.decode_frame(f) for f in dump.read_bytes().split(b"\x00") if f]
        assert all(f is not None for f in frames)
        return frames  # type: ignore[return-value]


def test_scripted_session(fuzz_binary, tmp_path):
    """HELLO/TENSOR describe the model, outputs follow the fixture model, a resent RUN does not
    advance the state, RESET does, and every bad index/offset/length is refused."""
    s = _Script()
    model = FixtureModel()
    a, b = samples(2, seed=4)
    hello = s(p.HELLO)
    tensors = [s(p.TENSOR, bytes([k, i])) for k in (0, 1) for i in (0, 1)]

    def load(sample: list[bytes]) -> None:
        for i, x in enumerate(sample):
            s(p.LOAD, struct.pack("<BI", i, 0) + x)

    def run(sample: list[bytes], seq: int | None = None) -> int:
        return s(p.RUN, struct.pack("<III", 0, 1, zlib.crc32(b"".join(sample))), seq=seq)

    load(a)
    run_a = run(a)
    resent = run(a, seq=run_a)  # its reply was lost: same seq, same payload
    run_a2 = run(a)  # a new RUN: the state advances
    read_z = s(p.READ, struct.pack("<BII", 1, 4, 4))
    reset = s(p.RESET)
    load(b)
    run_b = run(b)
    bad = {
        "tensor_kind": s(p.TENSOR, bytes([2, 0])),
        "tensor_index": s(p.TENSOR, bytes([1, 2])),
        "load_index": s(p.LOAD, struct.pack("<BI", 2, 0) + b"x"),
        "load_range": s(p.LOAD, struct.pack("<BI", 0, 60) + b"1234"),
        "load_offset": s(p.LOAD, struct.pack("<BI", 1, 2**32 - 1) + b"1"),
        "read_range": s(p.READ, struct.pack("<BII", 1, 8, 1)),
        "read_index": s(p.READ, struct.pack("<BII", 255, 0, 1)),
        "read_length": s(p.READ, struct.pack("<BI", 0, 0)),
        "run_crc": s(p.RUN, struct.pack("<III", 0, 1, 12345)),
        "reset_length": s(p.RESET, b"\x00"),
    }
    frames = s.run(fuzz_binary, tmp_path)
    replies = {f.seq: f for f in frames}
    run_a_replies = [f for f in frames if f.seq == run_a]
    assert len(run_a_replies) == 2 and run_a_replies[0] == run_a_replies[1] and resent == run_a

    h = replies[hello].payload
    assert h[0] == p.VERSION == 2
    info = DeviceInfo.parse(h)
    assert (info.num_inputs, info.num_outputs, info.inputs_bytes, info.outputs_bytes) == (2, 2, 69, 18)
    assert info.stateful and info.state_bytes == 4 and info.model_hash == MODEL_HASH and info.board == "host-fuzz"
    assert struct.unpack_from("<BBBxII", h, 28) == (1, 8, 6, 70, 24)  # flags, align, dims; areas used
    assert v1_host_hello(h).startswith("firmware speaks harness protocol v2, host v1")

    t = [TensorInfo.parse(replies[q].payload) for q in tensors]
    assert [(x.kind, x.index, x.dtype, x.shape, x.bytes, x.offset) for x in t] == [
        ("input", 0, "int8", (1, 9, 7, 1), 63, 0), ("input", 1, "int16", (1, 3), 6, 64),
        ("output", 0, "int8", (1, 10), 10, 0), ("output", 1, "int32", (1, 2), 8, 16)]
    assert t[0].zero_point == -128 and t[2].scale == 0.0625 and t[3].scale == 0.0

    def outputs(seq: int) -> list[bytes]:
        r = replies[seq]
        assert r.kind == p.RUN | p.REPLY, r
        rep, *_, crc = struct.unpack_from("<6I", r.payload)
        inline = r.payload[24:]
        assert rep == 1 and len(inline) == 18 and zlib.crc32(inline) == crc
        return [inline[:10], inline[10:]]

    assert outputs(run_a_replies[0].seq) == model.run(a)
    assert outputs(run_a2) == (want := model.run(a))
    assert replies[read_z].payload == struct.pack("<BI", 1, 4) + want[1][4:]
    assert replies[reset].kind == p.RESET | p.REPLY and replies[reset].payload == b""
    model.reset()
    assert outputs(run_b) == model.run(b)
    codes = {name: (replies[q].kind, replies[q].payload[0]) for name, q in bad.items()}
    assert codes == {
        "tensor_kind": (p.ERROR, p.ERR_INDEX), "tensor_index": (p.ERROR, p.ERR_INDEX),
        "load_index": (p.ERROR, p.ERR_INDEX), "load_range": (p.ERROR, p.ERR_RANGE),
        "load_offset": (p.ERROR, p.ERR_RANGE), "read_range": (p.ERROR, p.ERR_RANGE),
        "read_index": (p.ERROR, p.ERR_INDEX), "read_length": (p.ERROR, p.ERR_LENGTH),
        "run_crc": (p.ERROR, p.ERR_INPUT_CRC), "reset_length": (p.ERROR, p.ERR_LENGTH)}


@pytest.fixture(scope="module")
def tflm_fuzz_binary(tmp_path_factory) -> Path:
    """The parser with the fixture model built as a TFLM project's model.cc behaves (runtime byte,
    arena hook, LOG frames)."""
    return build_host_firmware(tmp_path_factory.mktemp("fuzz-tflm") / "fuzz_proto", require_tool("gcc", "gcc"),
                               tflm=True)


def test_tflm_style_parser_survives_fuzzing(tflm_fuzz_binary):
    """Random sessions reach the LOG paths (x[0] == 1 or 2 in about 1 sample in 128) and HELLO's arena
    hook; every frame, LOG frames included, stays well formed."""
    data = _stream(4, 1500)
    proc = subprocess.run([str(tflm_fuzz_binary)], input=data, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    fed, frames, errors = map(int, proc.stdout.split())
    assert fed == len(data) and frames > 500 and errors > 100


def test_tflm_style_session_reports_runtime_arena_and_logs(tflm_fuzz_binary, tmp_path):
    """HELLO of a TFLM firmware: runtime byte 1 and the arena it reports using (a v1 host and this
    host still parse it); its log lines arrive as unsolicited LOG frames (seq 0xFFFF), cut at
    TFC_LOG_MAX; a failed run is an ERROR MODEL after the log line that explains it."""
    s = _Script()
    model = FixtureModel()
    a, = samples(1, seed=5)
    long_x = bytes([1]) + a[0][1:]
    bad_x = bytes([2]) + a[0][1:]
    hello = s(p.HELLO)

    def run(x: bytes) -> int:
        s(p.LOAD, struct.pack("<BI", 0, 0) + x)
        s(p.LOAD, struct.pack("<BI", 1, 0) + a[1])
        return s(p.RUN, struct.pack("<III", 0, 1, zlib.crc32(x + a[1])))

    run_long = run(long_x)
    run_bad = run(bad_x)
    frames = s.run(tflm_fuzz_binary, tmp_path)
    logs = [f for f in frames if f.kind == p.LOG]
    assert all(f.seq == 0xFFFF for f in logs)
    texts = [f.payload.decode() for f in logs]
    assert texts[0] == "fixture: AllocateTensors done"
    assert texts[1].startswith("fixture: a long line") and len(texts[1]) == 120  # TFC_LOG_MAX
    assert texts[2].startswith("fixture: Arena size is too small")
    order = [(f.kind, f.seq) for f in frames if f.kind in (p.LOG, p.HELLO | p.REPLY, p.RUN | p.REPLY, p.ERROR)]
    assert order == [(p.LOG, 0xFFFF), (p.HELLO | p.REPLY, hello), (p.LOG, 0xFFFF), (p.RUN | p.REPLY, run_long),
                     (p.LOG, 0xFFFF), (p.ERROR, run_bad)]
    replies = {f.seq: f for f in frames if f.seq != 0xFFFF}
    h = replies[hello].payload
    info = DeviceInfo.parse(h)
    assert (info.runtime, info.arena_bytes) == ("tflm", 22820) and h[31] == 1
    assert v1_host_hello(h).startswith("firmware speaks harness protocol v2, host v1")
    assert replies[run_long].payload[24:] == b"".join(model.run([long_x, a[1]]))
    assert tuple(replies[run_bad].payload[:2]) == (p.ERR_MODEL, p.RUN)


def test_engine_firmware_hello_says_engine(fuzz_binary, tmp_path):
    """HELLO byte 31 of an engine firmware is 0 (as in firmware that predates it) and its arena is
    TFC_ARENA_BYTES."""
    s = _Script()
    hello = s(p.HELLO)
    frames = s.run(fuzz_binary, tmp_path)
    h = next(f.payload for f in frames if f.seq == hello)
    assert h[31] == 0 and DeviceInfo.parse(h).runtime == "engine" and DeviceInfo.parse(h).arena_bytes == 40


@pytest.fixture(scope="module")
def debug_fuzz_binary(tmp_path_factory) -> Path:
    """The parser of a debug build (DEBUG_READ over the fixture's table, HELLO flag bit 2)."""
    return build_host_firmware(tmp_path_factory.mktemp("fuzz-debug") / "fuzz_proto", require_tool("gcc", "gcc"),
                               debug=True)


def _debug_frames(seed: int, n: int) -> bytes:
    """DEBUG_READ requests with adversarial tensor ids, offsets, lengths and payload sizes, mixed into
    the general fuzz stream."""
    rng = random.Random(seed)
    big = [0, 1, 3, 7, 9, 10, 11, 255, 256, 257, 299, 300, 301, 2**31, 2**32 - 1, 2**32 - 255]
    parts = [_stream(seed, n // 2)]
    for _ in range(n):
        if rng.random() < 0.8:
            payload = struct.pack("<III", rng.choice([*DEBUG_TENSORS, 0, 8, 2**32 - 1]), rng.choice(big), rng.choice(big))
        else:
            payload = bytes(rng.randrange(256) for _ in range(rng.choice([0, 4, 11, 13, 300])))
        frame = p.encode_frame(p.DEBUG_READ, rng.randrange(65536), payload)
        parts.append(_mutate(frame, rng) if rng.random() < 0.1 else frame)
    return b"".join(parts)


def test_debug_build_parser_survives_fuzzing(debug_fuzz_binary):
    data = _debug_frames(11, 1500)
    proc = subprocess.run([str(debug_fuzz_binary)], input=data, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    fed, frames, errors = map(int, proc.stdout.split())
    assert fed == len(data) and frames > 1000 and errors > 300


def test_debug_read_session(debug_fuzz_binary, fuzz_binary, tmp_path):
    """HELLO of a debug build sets flag bit 2; DEBUG_READ gives a copy's step, size and bytes in chunks
    and refuses unknown tensors, bad ranges and payload sizes; release firmware does not know it."""
    s = _Script()
    hello = s(p.HELLO)
    head = s(p.DEBUG_READ, struct.pack("<III", 7, 0, 0))
    tail = s(p.DEBUG_READ, struct.pack("<III", 7, 256, 44))
    small = s(p.DEBUG_READ, struct.pack("<III", 3, 0, 10))
    bad = {s(p.DEBUG_READ, struct.pack("<III", 4, 0, 0)): p.ERR_INDEX,
           s(p.DEBUG_READ, struct.pack("<III", 7, 0, 257)): p.ERR_RANGE,
           s(p.DEBUG_READ, struct.pack("<III", 7, 290, 11)): p.ERR_RANGE,
           s(p.DEBUG_READ, struct.pack("<III", 3, 11, 0)): p.ERR_RANGE,
           s(p.DEBUG_READ, struct.pack("<II", 7, 0)): p.ERR_LENGTH}
    replies = {f.seq: f for f in s.run(debug_fuzz_binary, tmp_path) if f.seq != 0xFFFF}
    info = DeviceInfo.parse(replies[hello].payload)
    assert info.debug and info.stateful and replies[hello].payload[28] == p.FLAG_STATEFUL | p.FLAG_DEBUG
    assert struct.unpack_from("<4I", replies[head].payload) == (7, 1, 300, 0) and len(replies[head].payload) == 16
    assert replies[tail].kind == p.DEBUG_READ | p.REPLY
    assert struct.unpack_from("<4I", replies[tail].payload) == (7, 1, 300, 256) and len(replies[tail].payload) == 60
    assert struct.unpack_from("<4I", replies[small].payload) == (3, 0, 10, 0) and len(replies[small].payload) == 26
    for seq, code in bad.items():
        assert replies[seq].kind == p.ERROR and tuple(replies[seq].payload[:2]) == (code, p.DEBUG_READ)
    s = _Script()
    hello = s(p.HELLO)
    read = s(p.DEBUG_READ, struct.pack("<III", 7, 0, 0))
    replies = {f.seq: f for f in s.run(fuzz_binary, tmp_path) if f.seq != 0xFFFF}
    assert not DeviceInfo.parse(replies[hello].payload).debug
    assert tuple(replies[read].payload[:2]) == (p.ERR_TYPE, p.DEBUG_READ)
