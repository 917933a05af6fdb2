"""The firmware frame parser, compiled for the host under ASan/UBSan, survives random and mutated frames."""

from __future__ import annotations

import random
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from conftest import require_tool

from tfcompress.harness import protocol as p
from tfcompress.resources import firmware_root

FIXTURES = Path(__file__).parent / "fixtures" / "firmware"
INPUT_BYTES, OUTPUT_BYTES = 64, 10


@pytest.fixture(scope="module")
def fuzz_binary(tmp_path_factory) -> Path:
    cc = require_tool("gcc", "gcc")
    out = tmp_path_factory.mktemp("fuzz") / "fuzz_proto"
    model = FIXTURES / "model"
    cmd = [cc, "-std=gnu11", "-O1", "-g", "-Wall", "-Wextra", "-Werror",
           "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer",
           f"-I{firmware_root() / 'harness'}", f"-I{model}", f"-I{model / 'engine'}",
           str(FIXTURES / "fuzz_proto.c"), str(firmware_root() / "harness" / "tfc_proto.c"),
           str(model / "model.c"), str(model / "engine" / "fixture_kernel.c"), "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 and "sanitize" in proc.stderr and "cannot find" in proc.stderr:
        pytest.skip("the host compiler has no ASan runtime")
    assert proc.returncode == 0, proc.stderr
    return out


def _valid_session(rng: random.Random) -> bytes:
    x = bytes(rng.randrange(256) for _ in range(INPUT_BYTES))
    out = p.encode_frame(p.HELLO, 1)
    for off in range(0, INPUT_BYTES, 24):
        out += p.encode_frame(p.LOAD, 2, struct.pack("<I", off) + x[off : off + 24])
    out += p.encode_frame(p.RUN, 3, struct.pack("<III", rng.randrange(3), 1 + rng.randrange(3), zlib.crc32(x)))
    out += p.encode_frame(p.READ, 4, struct.pack("<II", rng.randrange(OUTPUT_BYTES), rng.randrange(OUTPUT_BYTES)))
    return out


def _hostile_frame(rng: random.Random) -> bytes:
    """A frame with a valid CRC but adversarial content (lengths, offsets, types)."""
    big = [0, 1, INPUT_BYTES - 1, INPUT_BYTES, INPUT_BYTES + 1, 2**31, 2**32 - 1, 2**32 - INPUT_BYTES]
    kind = rng.choice([p.HELLO, p.LOAD, p.RUN, p.READ, 0, 0x7F, 0x80, 0xFE, 0xFF, rng.randrange(256)])
    choice = rng.randrange(5)
    if choice == 0:
        payload = struct.pack("<I", rng.choice(big)) + bytes(rng.randrange(256) for _ in range(rng.randrange(300)))
    elif choice == 1:
        payload = struct.pack("<II", rng.choice(big), rng.choice(big))
    elif choice == 2:
        payload = struct.pack("<III", rng.choice(big), rng.choice(big), rng.randrange(2**32))
    elif choice == 3:
        payload = bytes(rng.randrange(256) for _ in range(rng.randrange(600)))
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
    """Sanity: the host-compiled parser answers a clean session with the expected output."""
    rng = random.Random(9)
    data = _valid_session(rng)
    proc = subprocess.run([str(fuzz_binary)], input=data, capture_output=True, timeout=60)
    assert proc.returncode == 0
    fed, frames, errors = map(int, proc.stdout.split())
    assert errors == 0 and frames == 1 + 3 + 1 + 1
