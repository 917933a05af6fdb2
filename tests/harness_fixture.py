"""The hand-written fixture model of tests/fixtures/firmware/model in Python (see its model.h)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

FIXTURE = Path(__file__).parent / "fixtures" / "firmware" / "model"
MODEL_HASH = "f1f2f3f4a5a6a7a8"
#: (dtype, shape) of each input and output, as model.h declares them
INPUTS = [("int8", (1, 9, 7, 1)), ("int16", (1, 3))]
OUTPUTS = [("int8", (1, 10)), ("int32", (1, 2))]
INPUT_BYTES = [63, 6]
OUTPUT_BYTES = [10, 8]


class FixtureModel:
    """y[j] = clamp((((j + 1) * sum_{k % 10 == j} x[k]) >> 3) + (w[j % 3] >> 8), -128, 127);
    z = [sum(x) + sum(w), state += sum(x) + 1]."""

    def __init__(self) -> None:
        self.state = 0

    def reset(self) -> None:
        self.state = 0

    def run(self, sample: list[bytes]) -> list[bytes]:
        x = np.frombuffer(sample[0], np.int8).astype(np.int64)
        w = np.frombuffer(sample[1], np.int16).astype(np.int64)
        acc = np.zeros(10, np.int64)
        for k, v in enumerate(x):
            acc[k % 10] += v
        j = np.arange(10)
        y = np.clip((((j + 1) * acc) >> 3) + (w[j % 3] >> 8), -128, 127).astype(np.int8)
        self.state = int(np.int32(self.state + int(x.sum()) + 1))
        z = np.array([x.sum() + w.sum(), self.state], np.int32)
        return [y.tobytes(), z.tobytes()]


def samples(n: int, seed: int = 0) -> list[list[bytes]]:
    """``n`` random samples: [x int8 bytes, w int16 bytes] (never the fault-triggering pattern)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        x = rng.integers(-128, 128, INPUT_BYTES[0], dtype=np.int8)
        x[0] = 0
        out.append([x.tobytes(), rng.integers(-32768, 32768, 3, dtype=np.int16).tobytes()])
    return out


def v1_host_hello(payload: bytes) -> str:
    """What a protocol-v1 host (tfcompress before protocol v2) did with a HELLO reply: parse the
    v1 layout in full, then compare the version. Returns its error line, or "ok"; any other
    exception (a reply it could not even parse) propagates. Frozen copy of the v1 code."""
    import struct

    version, unit, idt, odt, ib, ob, arena, clock, chunk, nin, nout = struct.unpack_from("<BBBBIIIIHBB", payload)
    off = 24
    struct.unpack_from(f"<{nin}I", payload, off)
    off += 4 * nin
    struct.unpack_from(f"<{nout}I", payload, off)
    off += 4 * nout
    struct.unpack_from("<fifi", payload, off)
    off += 16
    payload[off : off + 16].decode("ascii", "replace")
    off += 16
    blen = payload[off]
    payload[off + 1 : off + 1 + blen].decode("ascii", "replace")
    if version != 1:
        return (f"firmware speaks harness protocol v{version}, host v1 — "
                "regenerate and reflash the firmware with this tfcompress")
    return "ok"


#: the debug build's table for the fixture (tensor id -> bytes): one copy smaller than a chunk, one
#: larger, at dump offsets rounded up to 8 as tfcompress.engine.debug.device_debug_build lays them out
DEBUG_TENSORS = {3: 10, 7: 300}


def debug_dump_source(out: Path) -> Path:
    """tfc_debug_dump.c rendered from the project template for :data:`DEBUG_TENSORS` (the fixture
    model has no per-op hook: the copies stay zero; the QEMU tests check what the hook copies)."""
    from tfcompress.resources import template_env

    entries, at = [], 0
    for step, (tensor, nbytes) in enumerate(DEBUG_TENSORS.items()):
        entries.append(dict(tensor=tensor, step=step, arena_offset=0, bytes=nbytes, dump_offset=at))
        at += (nbytes + 7) // 8 * 8
    text = template_env().get_template("project/tfc_debug_dump.c.j2").render(
        model_hash=MODEL_HASH, entries=entries, inject=None, dump_alloc=at, table_alloc=len(entries))
    out.write_text(text, encoding="utf-8")
    return out


def build_host_firmware(out: Path, cc: str, *, tflm: bool = False, profile_ops: int | None = None,
                        debug: bool = False) -> Path:
    """tfc_proto.c + the fixture model + tests/fixtures/firmware/fuzz_proto.c compiled for the host
    under ASan/UBSan (skips when the compiler has no sanitizer runtime); ``tflm``: the fixture as a
    TFLM project's model (runtime byte, arena hook, LOG frames; see its model.h); ``profile_ops``: a
    profiling build (-DTFC_PROFILE) that reports that many ops (the fixture model times none);
    ``debug``: the debug build (DEBUG_READ over :data:`DEBUG_TENSORS`, HELLO flag bit 2)."""
    import subprocess

    import pytest

    from tfcompress.resources import firmware_root

    fixtures = FIXTURE.parent
    debug_src = [str(debug_dump_source(out.parent / "tfc_debug_dump.c")), "-DTFC_DEBUG_BUILD=1"] if debug else []
    cmd = [cc, "-std=gnu11", "-O1", "-g", "-Wall", "-Wextra", "-Werror",
           "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer",
           *(["-DFIXTURE_TFLM"] if tflm else []), *debug_src, f"-I{firmware_root()}",
           *(["-DTFC_PROFILE=1", f"-DTFC_NUM_LAYERS={profile_ops}"] if profile_ops is not None else []),
           f"-I{firmware_root() / 'harness'}", f"-I{FIXTURE}", f"-I{FIXTURE / 'engine'}",
           str(fixtures / "fuzz_proto.c"), str(firmware_root() / "harness" / "tfc_proto.c"),
           str(FIXTURE / "model.c"), str(FIXTURE / "engine" / "fixture_kernel.c"), "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 and "sanitize" in proc.stderr and "cannot find" in proc.stderr:
        pytest.skip("the host compiler has no ASan runtime")
    assert proc.returncode == 0, proc.stderr
    return out


class ProcessTransport:
    """A :class:`~tfcompress.harness.transport.Transport` to the host-compiled firmware
    (``build_host_firmware``) running as a child process: its stdin/stdout are the serial link."""

    def __init__(self, binary: Path) -> None:
        import subprocess

        self.name = "host-firmware"
        self.proc = subprocess.Popen([str(binary), "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)

    def write(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def read(self, size: int, timeout: float) -> bytes:
        import os
        import select

        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return os.read(self.proc.stdout.fileno(), size) if ready else b""

    def close(self) -> str:
        """Stop the firmware; returns its stderr (sanitizer reports) and asserts it exited cleanly."""
        _, err = self.proc.communicate(timeout=30)  # closes stdin: the firmware sees EOF and exits
        text = err.decode(errors="replace")
        assert self.proc.returncode == 0, text[-3000:]
        return text
