"""The harness firmware under QEMU on both emulated boards: HELLO, LOAD, RUN, faults, flaky links, resume."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import require_tool

from tfcompress.boards import load_board
from tfcompress.errors import TfcError
from tfcompress.harness.client import DeviceError, HarnessClient
from tfcompress.harness.faults import FaultyTransport
from tfcompress.harness.qemu import EXIT_HARDFAULT, QemuSession
from tfcompress.harness.session import Journal, run_samples
from tfcompress.harness.transport import SerialTransport
from tfcompress.project import build_project, generate_project

FIXTURE = Path(__file__).parent / "fixtures" / "firmware" / "model"
EMULATED = ["mps2-an500", "netduinoplus2"]
pytestmark = pytest.mark.emulated


def expected_output(x: np.ndarray) -> np.ndarray:
    """The fixture model in Python (see tests/fixtures/firmware/model/model.h)."""
    acc = np.zeros(10, np.int64)
    for k, v in enumerate(x.astype(np.int64)):
        acc[k % 10] += v
    return np.clip(((np.arange(10) + 1) * acc) >> 3, -128, 127).astype(np.int8)


def inputs(n: int, seed: int = 0) -> list[bytes]:
    rng = np.random.default_rng(seed)
    return [rng.integers(-128, 128, 64, dtype=np.int8).tobytes() for _ in range(n)]


@pytest.fixture(scope="module")
def firmware(tmp_path_factory) -> dict[str, Path]:
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")
    root = tmp_path_factory.mktemp("qemu-fw")
    elfs = {}
    for name in EMULATED:
        info = generate_project(FIXTURE, load_board(name), root / name)
        elfs[name] = build_project(info.path).elf
    return elfs


@pytest.mark.parametrize("name", EMULATED)
def test_hello_load_run_and_deterministic_counts(firmware, name):
    board = load_board(name)
    xs = inputs(3, seed=1)
    counts = []
    for _launch in range(2):
        with QemuSession(board, firmware[name]) as q:
            client = HarnessClient(q.transport)
            info = client.hello()
            assert (info.board, info.model_hash, info.counter_unit) == (name, "f1f2f3f4a5a6a7a8", "instructions")
            assert (info.input_bytes, info.output_bytes, info.input_shape, info.output_shape) == \
                (64, 10, (1, 8, 8, 1), (1, 10))
            assert info.input_zero_point == -128 and info.output_scale == 0.0625
            launch = []
            for x in xs:
                r = client.infer(x, warmup=1, repeat=2)
                assert np.array_equal(np.frombuffer(r.output, np.int8), expected_output(np.frombuffer(x, np.int8)))
                assert r.repeat == 2 and 0 < r.count_min <= r.count_max
                launch.append(r.count_min)
            counts.append(launch)
    assert counts[0] == counts[1]  # -icount makes the instruction count exactly repeatable


@pytest.mark.parametrize("name", EMULATED)
def test_hard_fault_is_reported_not_hung(firmware, name):
    with QemuSession(load_board(name), firmware[name]) as q:
        client = HarnessClient(q.transport, timeout=5)
        client.hello()
        bad = bytes([127, 128, 127, 128]) + bytes(60)  # the fixture model executes UDF on this input
        with pytest.raises(DeviceError) as e:
            client.infer(bad)
        assert "hard fault" in e.value.what and "pc=0x" in e.value.what
        assert q.proc.wait(timeout=10) == EXIT_HARDFAULT


def _run(elf: Path, board_name: str, xs: list[bytes], **faults) -> tuple[list, dict]:
    with QemuSession(load_board(board_name), elf) as q:
        t = FaultyTransport(q.transport, **faults) if faults else q.transport
        client = HarnessClient(t, timeout=0.5, run_timeout=2.0, retries=30)
        res = run_samples(client, xs)
        return [(r.output, r.count) for r in res], getattr(t, "injected", {})


def test_faulty_link_gives_identical_results(firmware):
    xs = inputs(6, seed=2)
    clean, _ = _run(firmware["netduinoplus2"], "netduinoplus2", xs)
    noisy, injected = _run(firmware["netduinoplus2"], "netduinoplus2", xs, seed=5, drop=0.08,
                           duplicate=0.08, corrupt=0.08, delay=0.1, max_delay=0.02)
    assert noisy == clean
    assert sum(injected.values()) >= 4, injected


def test_interrupted_run_resumes(firmware, tmp_path):
    elf, name = firmware["mps2-an500"], "mps2-an500"
    xs = inputs(6, seed=3)
    clean, _ = _run(elf, name, xs)
    header = {"model_hash": "f1f2f3f4a5a6a7a8", "board": name, "n": len(xs)}
    journal = Journal(tmp_path / "j.jsonl", header)
    with QemuSession(load_board(name), elf) as q:
        client = HarnessClient(FaultyTransport(q.transport, fail_after_writes=9), timeout=0.5)
        with pytest.raises(ConnectionError):
            run_samples(client, xs, journal=journal)
    done_before = len(Journal(tmp_path / "j.jsonl", header).done)
    assert 0 < done_before < len(xs)
    resumed = Journal(tmp_path / "j.jsonl", header)
    calls = []
    with QemuSession(load_board(name), elf) as q:
        client = HarnessClient(q.transport)
        original = client.infer
        client.infer = lambda data, **kw: calls.append(1) or original(data, **kw)  # type: ignore[method-assign]
        res = run_samples(client, xs, journal=resumed)
    assert len(calls) == len(xs) - done_before
    assert [(r.output, r.count) for r in res] == clean
    with pytest.raises(TfcError):
        Journal(tmp_path / "j.jsonl", {**header, "model_hash": "0000000000000000"})


def test_silent_port_times_out_naming_it():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    url = f"socket://127.0.0.1:{port}"
    t = SerialTransport(url)
    try:
        with pytest.raises(TfcError) as e:
            HarnessClient(t, timeout=0.2, retries=1).hello()
        assert url in e.value.what and "timeout" in e.value.what
    finally:
        t.close()
        server.close()


def test_absent_port_is_a_clear_error():
    with pytest.raises(TfcError) as e:
        SerialTransport("/dev/ttyTFC_NOT_THERE")
    assert "/dev/ttyTFC_NOT_THERE" in e.value.what
