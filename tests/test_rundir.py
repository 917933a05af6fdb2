"""Run directories: stage fingerprints, skipping, resuming, overwrite protection."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tfcompress import rundir
from tfcompress.errors import TfcError
from tfcompress.importgraph import ImportGraph
from tfcompress.rundir import RunDir


def test_stage_skips_when_unchanged_and_redoes_when_params_change(tmp_path) -> None:
    run = RunDir.open(tmp_path / "r", "demo", "name='demo'")
    st = run.stage("train", "baseline", {"epochs": 3})
    assert not st.done
    st.begin()
    (st.dir / "model.bin").write_bytes(b"abc")
    st.complete({"metric": 1.0}, ["model.bin"])
    assert run.stage("train", "baseline", {"epochs": 3}).done
    changed = run.stage("train", "baseline", {"epochs": 4})
    assert not changed.done
    changed.begin()
    assert not (changed.dir / "model.bin").exists()  # stale output removed


def test_interrupted_stage_keeps_its_files(tmp_path) -> None:
    run = RunDir.open(tmp_path / "r", "demo", "")
    st = run.stage("train", "baseline", {"epochs": 3})
    st.begin()
    (st.dir / "ckpt").write_text("epoch 2")
    again = run.stage("train", "baseline", {"epochs": 3})
    assert not again.done
    again.begin()
    assert (again.dir / "ckpt").read_text() == "epoch 2"


def test_downstream_fingerprint_follows_upstream_content(tmp_path) -> None:
    run = RunDir.open(tmp_path / "r", "demo", "")
    up = run.stage("a", "a", {})
    up.begin()
    (up.dir / "x").write_text("1")
    up.complete(outputs=["x"])
    h1 = up.output_hash()
    (up.dir / "x").write_text("2")
    up.complete(outputs=["x"])
    assert up.output_hash() != h1
    assert run.stage("b", "b", {}, {"a": h1}).fingerprint != run.stage("b", "b", {}, {"a": up.output_hash()}).fingerprint


def test_foreign_directory_needs_force(tmp_path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("precious")
    with pytest.raises(TfcError, match="--force"):
        RunDir.open(target, "demo", "")
    assert (target / "notes.txt").read_text() == "precious"
    RunDir.open(tmp_path / "r", "demo", "")
    with pytest.raises(TfcError, match="run of recipe 'demo'"):
        RunDir.open(tmp_path / "r", "other", "")
    RunDir.open(target, "demo", "", force=True)
    assert not (target / "notes.txt").exists()


# --------------------------------------------------------------- code hashes of the pipeline steps

STEPS = [f"tfcompress.pipeline.{s}_steps" for s in ("data", "train", "compress", "convert", "device")]


def _edited(monkeypatch, module: str) -> None:
    """Make the hasher see ``module`` with one more line, without touching the file."""
    graph = ImportGraph.build()
    real = graph.source
    monkeypatch.setattr(graph, "source", lambda name: real(name) + (b"\n# edited\n" if name == module else b""))
    monkeypatch.setattr(rundir, "package_graph", lambda: graph)


@pytest.mark.parametrize("step", STEPS)
def test_code_hash_is_stable(step) -> None:
    assert rundir.code_hash.__wrapped__(step) == rundir.code_hash(step)


def test_code_hash_is_stable_across_processes() -> None:
    code = "import sys; from tfcompress.rundir import code_hash; print(code_hash(*sys.argv[1:]))"
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    outs = {subprocess.run([sys.executable, "-c", code, *STEPS[1:3]], env=env, capture_output=True, text=True,
                           check=True).stdout for _ in range(2)}
    assert outs == {rundir.code_hash(*STEPS[1:3]) + "\n"}


def test_code_hash_covers_what_the_stage_reaches(monkeypatch) -> None:
    before = {step: rundir.code_hash(step) for step in STEPS}
    _edited(monkeypatch, "tfcompress.metrics")  # reached through the evaluations, never listed by hand
    after = {step: rundir.code_hash.__wrapped__(step) for step in STEPS}
    assert after["tfcompress.pipeline.compress_steps"] != before["tfcompress.pipeline.compress_steps"]
    assert after["tfcompress.pipeline.train_steps"] != before["tfcompress.pipeline.train_steps"]
    assert after["tfcompress.pipeline.data_steps"] == before["tfcompress.pipeline.data_steps"]


@pytest.mark.parametrize("module, reached_by, not_by", [
    ("tfcompress.compress.prune", "compress", "train"),
    ("tfcompress.train.loop", "train", "compress"),
    ("tfcompress.convert.evaluate", "convert", "device"),
    ("tfcompress.engine.planner", "device", "convert"),
    ("tfcompress.models.resnet8", "train", "device"),  # named by the zoo table, loaded by importlib
    ("tfcompress.data.digits", "data", "train"),  # a dataset source, loaded by importlib
])
def test_code_hash_follows_only_what_a_stage_runs(monkeypatch, module, reached_by, not_by) -> None:
    yes, no = (f"tfcompress.pipeline.{s}_steps" for s in (reached_by, not_by))
    before = rundir.code_hash(yes), rundir.code_hash(no)
    _edited(monkeypatch, module)
    assert rundir.code_hash.__wrapped__(yes) != before[0]
    assert rundir.code_hash.__wrapped__(no) == before[1]
