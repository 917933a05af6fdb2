"""The host client against the firmware's protocol code compiled for the host (ASan/UBSan) with the
two-input, two-output, stateful fixture model: outputs, reset, retries on a damaged link."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import require_tool
from harness_fixture import MODEL_HASH, FixtureModel, ProcessTransport, build_host_firmware, samples

from tfcompress.errors import TfcError
from tfcompress.harness.client import HarnessClient
from tfcompress.harness.faults import FaultyTransport
from tfcompress.harness.session import run_samples


@pytest.fixture(scope="module")
def host_firmware(tmp_path_factory) -> Path:
    return build_host_firmware(tmp_path_factory.mktemp("hostfw") / "host_fw", require_tool("gcc", "gcc"))


def test_hello_describes_every_tensor(host_firmware):
    t = ProcessTransport(host_firmware)
    try:
        info = HarnessClient(t).hello()
    finally:
        t.close()
    assert (info.version, info.model_hash, info.board, info.stateful) == (2, MODEL_HASH, "host-fuzz", True)
    assert [(x.dtype, x.shape, x.offset) for x in info.inputs] == [("int8", (1, 9, 7, 1), 0), ("int16", (1, 3), 64)]
    assert [(x.dtype, x.shape, x.offset) for x in info.outputs] == [("int8", (1, 10), 0), ("int32", (1, 2), 16)]
    assert info.inputs[0].zero_point == -128 and info.inputs[1].scale == 2.0 ** -12


def test_infer_every_output_and_reset(host_firmware):
    model = FixtureModel()
    xs = samples(3, seed=1)
    t = ProcessTransport(host_firmware)
    try:
        client = HarnessClient(t)
        for x in xs:
            r = client.infer(x)
            assert r.outputs == model.run(x) and r.output == r.outputs[0]
        r = client.infer(xs[0], warmup=2, repeat=3)  # every run advances the state
        for _ in range(5):
            want = model.run(xs[0])
        assert r.outputs == want and r.repeat == 3
        client.reset()
        model.reset()
        assert client.infer(xs[1]).outputs == model.run(xs[1])
        assert np.frombuffer(model.run(xs[1])[1], np.int32)[1] == 2 * (np.frombuffer(xs[1][0], np.int8).sum() + 1)
        with pytest.raises(TfcError) as e:
            client.infer(xs[0][0])  # one input for a two-input model
        assert "1 inputs given, the firmware's model takes 2" in e.value.what
        with pytest.raises(TfcError) as e:
            client.infer([xs[0][0], xs[0][1] + b"\x00"])
        assert "input 1 is 7 bytes" in e.value.what
    finally:
        t.close()


def _run(binary: Path, xs, **faults):
    t = ProcessTransport(binary)
    link = FaultyTransport(t, **faults) if faults else t
    try:
        client = HarnessClient(link, timeout=0.3, run_timeout=1.0, retries=30)
        res = run_samples(client, xs)
        return [r.outputs for r in res], getattr(link, "injected", {}), client.stats
    finally:
        t.close()


def test_damaged_link_never_runs_a_stateful_model_twice(host_firmware):
    """Lost, duplicated and corrupted frames in both directions: the accumulator output shows
    every sample ran exactly once (a resent RUN is answered from the kept result)."""
    xs = samples(12, seed=2)
    model = FixtureModel()
    want = [model.run(x) for x in xs]
    clean, _, _ = _run(host_firmware, xs)
    assert clean == want
    noisy, injected, stats = _run(host_firmware, xs, seed=3, drop=0.1, duplicate=0.1, corrupt=0.1)
    assert noisy == want
    assert sum(injected.values()) >= 10 and stats.retries > 0, (injected, stats)


def test_journal_records_every_output_and_refuses_old_journals(tmp_path):
    from tfcompress.harness.session import Journal, SampleResult

    header = {"model_hash": MODEL_HASH, "board": "b", "n": 2}
    j = Journal(tmp_path / "j.jsonl", header)
    j.add(SampleResult(0, [b"\x01\x02", b"\x00" * 8], 7))
    with (tmp_path / "j.jsonl").open("a") as f:
        f.write('{"i": 1, "out": ["ab')  # cut short by an interruption
    again = Journal(tmp_path / "j.jsonl", header)
    assert list(again.done) == [0] and again.done[0].outputs == [b"\x01\x02", b"\x00" * 8]
    old = tmp_path / "old.jsonl"  # protocol-v1 era: one output per line, no format in the header
    old.write_text('{"model_hash": "f1f2f3f4a5a6a7a8", "board": "b", "n": 2}\n{"i": 0, "out": "0102", "count": 7}\n')
    with pytest.raises(TfcError) as e:
        Journal(old, header)
    assert "older tfcompress (format 1" in e.value.what and "--force" in e.value.fix


def test_evaluate_refuses_repeats_on_a_stateful_model(monkeypatch, tmp_path):
    """Warm-up and timed repeats would advance the state between samples: refused before any build."""
    from types import SimpleNamespace

    import tfcompress.project.firmware as fw
    from tfcompress.boards import load_board
    from tfcompress.harness.evaluate import EvalData, evaluate_on_board

    t = SimpleNamespace(name="y", dtype="int8", shape=(1, 4), elements=4, scale=0.1, zero_point=0)
    fake = SimpleNamespace(inputs=[t], outputs=[t], stateful=True)
    monkeypatch.setattr(fw, "compile_model", lambda *a, **k: fake)
    monkeypatch.setattr(fw, "build_firmware", lambda *a, **k: pytest.fail("built"))
    with pytest.raises(TfcError) as e:
        evaluate_on_board(load_board("mps2-an500"), tmp_path / "m.tflite", EvalData(np.zeros((2, 4))), repeat=3)
    assert "stateful" in e.value.what and "--warmup 0 --repeat 1" in e.value.fix


def test_client_keeps_firmware_logs_and_shows_them_with_a_failed_run(tmp_path):
    """Against the TFLM-style fixture: HELLO says tflm and its arena; LOG frames never disturb a
    request, and the lines that explain a failed run are part of the error."""
    from tfcompress.harness.client import DeviceError

    binary = build_host_firmware(tmp_path / "tflm_fw", require_tool("gcc", "gcc"), tflm=True)
    model = FixtureModel()
    x, = samples(1, seed=6)
    t = ProcessTransport(binary)
    try:
        client = HarnessClient(t)
        info = client.hello()
        assert (info.runtime, info.arena_bytes) == ("tflm", 22820)
        assert client.stats.logs == ["fixture: AllocateTensors done"]
        noisy = [bytes([1]) + x[0][1:], x[1]]
        assert client.infer(noisy).outputs == model.run(noisy)
        assert client.stats.logs[-1].startswith("fixture: a long line") and client.stats.retries == 0
        with pytest.raises(DeviceError) as e:
            client.infer([bytes([2]) + x[0][1:], x[1]])
        assert "model run failed" in e.value.what and "Arena size is too small" in e.value.what
    finally:
        t.close()
