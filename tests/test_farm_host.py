"""A board farm of host-compiled harness firmware (the fixture model behind the real client): one
board dies midway (its link breaks), one goes silent; their variants resume from their journals on
the board left, every sample measured once and every output right."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from conftest import require_tool
from harness_fixture import MODEL_HASH, FixtureModel, ProcessTransport, build_host_firmware, samples

from tfcompress.errors import TfcError
from tfcompress.harness.client import HarnessClient
from tfcompress.harness.faults import FaultyTransport
from tfcompress.harness.pool import Device, parse_farm, run_jobs
from tfcompress.harness.protocol import HELLO
from tfcompress.harness.session import Journal, run_samples


@pytest.fixture(scope="module")
def host_firmware(tmp_path_factory) -> Path:
    return build_host_firmware(tmp_path_factory.mktemp("farmfw") / "host_fw", require_tool("gcc", "gcc"))


# A board that answers is never waited on for its timeout, so healthy links get a patient one: a
# reply delayed by load (2 cores shared by many workers) is not a lost board.
PATIENT = 30.0


def booted(binary: Path, port: str) -> tuple[ProcessTransport, float]:
    """Start one fixture board and wait (patiently, by its HELLO) until it answers; returns it and
    the slowest of a few HELLO round trips, the link's speed under the machine's current load."""
    t = ProcessTransport(binary)
    t.name = port
    client = HarnessClient(t, timeout=PATIENT, retries=0)
    client.request(HELLO, timeout=PATIENT)  # the (ASan) process has started and answers
    rtt = 0.0
    for _ in range(3):
        t0 = time.monotonic()
        assert client.hello().model_hash == MODEL_HASH
        rtt = max(rtt, time.monotonic() - t0)
    return t, rtt


def silence_timeout(rtt: float) -> float:
    """How long to wait for a silent board: 0.2 s on an idle machine, longer when the measured
    round trip says the machine is loaded (50 round trips, so a slow reply is never taken for
    silence), capped so the silent board is still found within seconds."""
    return min(max(0.2, 50 * rtt), 2.0)


class Silent:
    """A link whose board stops answering after ``after`` writes (its frames go nowhere)."""

    def __init__(self, inner, after: int) -> None:
        self.inner, self.after, self.writes, self.name = inner, after, 0, inner.name

    def write(self, data: bytes) -> None:
        self.writes += 1
        if self.writes <= self.after:
            self.inner.write(data)

    def read(self, size: int, timeout: float) -> bytes:
        return self.inner.read(size, timeout)

    def close(self) -> None:
        self.inner.close()


def test_farm_loses_two_boards_midway_and_loses_no_sample(host_firmware, tmp_path, capsys):
    farm = parse_farm(["/dev/ttyA=stm32h747i-disco", "/dev/ttyB=stm32h747i-disco", "/dev/ttyC=stm32h747i-disco"])
    started = {d.port: booted(host_firmware, d.port) for d in farm}
    procs = {port: t for port, (t, _) in started.items()}
    quick = silence_timeout(max(rtt for _, rtt in started.values()))
    links = {"/dev/ttyA": procs["/dev/ttyA"],
             "/dev/ttyB": FaultyTransport(procs["/dev/ttyB"], fail_after_writes=9),  # unplugged in sample 2
             "/dev/ttyC": Silent(procs["/dev/ttyC"], after=13)}  # hangs in sample 3
    variants = {f"v{k}": samples(5, seed=10 + k) for k in range(4)}
    measured: dict[str, list[tuple[str, int]]] = {v: [] for v in variants}
    header = {"model_hash": MODEL_HASH, "board": "stm32h747i-disco", "n": 5}
    # Every board holds a variant of its own before any starts on it: a job takes ~1 ms, so
    # without this a board whose thread the scheduler starts late may find the work done (it is
    # never lost) or get the variant another board just lost (two losses: the variant is failed).
    all_started, first = threading.Barrier(len(farm)), set[str]()

    def work(name: str, dev: Device) -> list[list[bytes]]:
        if dev.port not in first:
            first.add(dev.port)
            all_started.wait(timeout=PATIENT)
        # only the board that goes silent is waited on for its timeout (3 attempts)
        wait = quick if dev.port == "/dev/ttyC" else PATIENT
        client = HarnessClient(links[dev.port], timeout=wait, run_timeout=max(1.0, wait), retries=2)
        assert client.hello().model_hash == MODEL_HASH
        journal = Journal(tmp_path / f"{name}.jsonl", header)
        measured[name].append((dev.port, len(journal.done)))
        return [r.outputs for r in run_samples(client, variants[name], journal=journal)]

    try:
        out = run_jobs(list(variants), farm, work)
    finally:
        for p in procs.values():
            p.proc.kill()
    err = capsys.readouterr().err
    assert "/dev/ttyB: taken out of the farm — ConnectionError: injected link failure" in err
    assert "/dev/ttyC: taken out of the farm — no valid reply from /dev/ttyC" in err
    for k, (name, xs) in enumerate(variants.items()):
        model = FixtureModel()
        want = [model.run(x) for x in xs]
        assert [o[0] for o in out[k]] == [w[0] for w in want], name  # in variant order, every output right
        # a resumed stateful model restarts its state on the new board (evaluate starts such a model over)
    resumed = {n: m for n, m in measured.items() if len(m) > 1}
    assert len(resumed) == 2, measured  # the two lost boards' variants went elsewhere ...
    for attempts in resumed.values():
        assert attempts[-1][0] == "/dev/ttyA" and attempts[-1][1] > 0  # ... and resumed from their journals
    for name in variants:
        lines = (tmp_path / f"{name}.jsonl").read_text().splitlines()[1:]
        assert len(lines) == 5  # each sample measured (and journalled) exactly once


def test_one_board_farm_that_dies_is_a_clear_error(host_firmware, tmp_path):
    t, _ = booted(host_firmware, "/dev/ttyA")
    link = FaultyTransport(t, fail_after_writes=6)

    def work(name: str, dev: Device) -> int:
        client = HarnessClient(link, timeout=PATIENT, retries=1)  # the link breaks: no timeout is waited
        return len(run_samples(client, samples(4, seed=1)))

    try:
        with pytest.raises(TfcError) as e:
            run_jobs(["int8", "int16x8"], parse_farm(["/dev/ttyA=stm32h747i-disco"]), work)
    finally:
        t.proc.kill()
    assert "every board stopped answering: /dev/ttyA (ConnectionError" in e.value.what
    assert "unfinished: int8, int16x8" in e.value.what
