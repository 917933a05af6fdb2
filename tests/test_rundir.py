"""Run directories: stage fingerprints, skipping, resuming, overwrite protection."""

from __future__ import annotations

import pytest

from tfcompress.errors import TfcError
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
