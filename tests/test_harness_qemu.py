"""The harness firmware under QEMU on both emulated boards: HELLO/TENSOR, LOAD/RUN/READ by tensor
index with the two-input, two-output stateful fixture model, RESET, faults, flaky links, resume."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from conftest import require_tool
from harness_fixture import FIXTURE, MODEL_HASH, FixtureModel, samples, v1_host_hello

from tfcompress.boards import load_board
from tfcompress.errors import TfcError
from tfcompress.harness import protocol as p
from tfcompress.harness.client import DeviceError, HarnessClient
from tfcompress.harness.faults import FaultyTransport
from tfcompress.harness.qemu import EXIT_HARDFAULT, QemuSession
from tfcompress.harness.session import Journal, run_samples
from tfcompress.harness.transport import SerialTransport
from tfcompress.project import build_project, generate_project

EMULATED = ["mps2-an500", "netduinoplus2"]
pytestmark = pytest.mark.emulated


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
def test_hello_load_run_read_reset_and_deterministic_counts(firmware, name):
    """Two inputs (int8, and int16 at a padded offset), two outputs (int8, int32), state."""
    board = load_board(name)
    xs = samples(3, seed=1)
    counts = []
    for _launch in range(2):
        model = FixtureModel()
        with QemuSession(board, firmware[name]) as q:
            client = HarnessClient(q.transport)
            info = client.hello()
            assert (info.board, info.model_hash, info.counter_unit, info.stateful) == \
                (name, MODEL_HASH, "instructions", True)
            assert [(t.dtype, t.shape, t.offset) for t in info.inputs] == \
                [("int8", (1, 9, 7, 1), 0), ("int16", (1, 3), 64)]
            assert [(t.dtype, t.shape, t.offset) for t in info.outputs] == [("int8", (1, 10), 0), ("int32", (1, 2), 16)]
            assert info.inputs[0].zero_point == -128 and info.outputs[0].scale == 0.0625
            launch = []
            for x in xs:
                r = client.infer(x, warmup=1, repeat=2)  # three runs: the state advances three times
                want = [model.run(x) for _ in range(3)][-1]
                assert r.outputs == want
                assert r.repeat == 2 and 0 < r.count_min <= r.count_max
                launch.append(r.count_min)
            assert client._read(1, b"", 8) == want[1]  # READ by output index
            client.reset()
            model.reset()
            assert client.infer(xs[0]).outputs == model.run(xs[0])
            # a protocol-v1 host parses this firmware's HELLO as far as its version check
            assert v1_host_hello(client.request(p.HELLO)).startswith("firmware speaks harness protocol v2, host v1")
            counts.append(launch)
    assert counts[0] == counts[1]  # -icount makes the instruction count exactly repeatable


@pytest.mark.parametrize("name", EMULATED)
def test_hard_fault_is_reported_not_hung(firmware, name):
    with QemuSession(load_board(name), firmware[name]) as q:
        client = HarnessClient(q.transport, timeout=5)
        client.hello()
        bad = [bytes([127, 128, 127, 128]) + bytes(59), bytes(6)]  # the fixture model executes UDF on this input
        with pytest.raises(DeviceError) as e:
            client.infer(bad)
        assert "hard fault" in e.value.what and "pc=0x" in e.value.what
        assert q.proc.wait(timeout=10) == EXIT_HARDFAULT


def _run(elf: Path, board_name: str, xs: list[list[bytes]], **faults) -> tuple[list, dict]:
    with QemuSession(load_board(board_name), elf) as q:
        t = FaultyTransport(q.transport, **faults) if faults else q.transport
        client = HarnessClient(t, timeout=0.5, run_timeout=2.0, retries=30)
        res = run_samples(client, xs)
        return [(r.outputs, r.count) for r in res], getattr(t, "injected", {})


def test_faulty_link_gives_identical_results(firmware):
    """Identical outputs, the stateful one included: a resent RUN never runs the model twice."""
    xs = samples(6, seed=2)
    clean, _ = _run(firmware["netduinoplus2"], "netduinoplus2", xs)
    noisy, injected = _run(firmware["netduinoplus2"], "netduinoplus2", xs, seed=5, drop=0.08,
                           duplicate=0.08, corrupt=0.08, delay=0.1, max_delay=0.02)
    assert noisy == clean
    model = FixtureModel()
    assert [o for o, _ in clean] == [model.run(x) for x in xs]
    assert sum(injected.values()) >= 4, injected


def test_interrupted_run_resumes(firmware, tmp_path):
    elf, name = firmware["mps2-an500"], "mps2-an500"
    xs = samples(6, seed=3)
    clean, _ = _run(elf, name, xs)
    header = {"model_hash": MODEL_HASH, "board": name, "n": len(xs)}
    journal = Journal(tmp_path / "j.jsonl", header)
    with QemuSession(load_board(name), elf) as q:
        client = HarnessClient(FaultyTransport(q.transport, fail_after_writes=12), timeout=0.5)
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
    # output 1 carries the model's state, which the fresh firmware restarted (evaluate starts a
    # stateful model over instead of resuming it); output 0 and the counts are the clean run's
    assert [(r.outputs[0], r.count) for r in res] == [(o[0], c) for o, c in clean]
    assert [r.outputs for r in res[:done_before]] == [o for o, _ in clean[:done_before]]
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


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.parametrize("name", EMULATED)
def test_waiting_firmware_leaves_the_host_cpu_idle(firmware, name):
    """Between requests the harness sleeps in WFI until the UART's RX interrupt pends (board data
    uart.rx_irq) instead of polling: a QEMU waiting for input uses little host CPU (a polling one
    uses a whole core), so parallel device jobs (--jobs) share the cores; it still answers."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc to read QEMU's CPU time")
    assert load_board(name).uart.rx_irq is not None
    with QemuSession(load_board(name), firmware[name]) as q:
        client = HarnessClient(q.transport)
        assert client.hello().model_hash == MODEL_HASH
        assert q.proc is not None
        cpu0, t0 = _cpu_seconds(q.proc.pid), time.monotonic()
        time.sleep(1.0)
        used = (_cpu_seconds(q.proc.pid) - cpu0) / (time.monotonic() - t0)
        assert used < 0.1, f"{name}: QEMU used {100 * used:.0f}% of a core waiting for input"
        x = samples(1, seed=3)[0]
        assert client.infer(x).outputs == FixtureModel().run(x)  # woken by the next bytes
