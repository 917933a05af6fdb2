"""Sweeps end to end: trials on the local process pool and on a local Ray instance give the same
numbers; a sweep killed midway (SIGKILL) finishes only the missing trials when rerun; a failing
trial is recorded and does not stop the sweep; the Ray options without Ray name the extra."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tfcompress.errors import TfcError
from tfcompress.sweep.report import pareto_fronts
from tfcompress.sweep.run import STATE_FILE, SweepOptions, run_sweep

TINY = """
name = "sweep-digits"
seed = 1

[dataset]
source = "digits"

[model]
name = "tiny-cnn"
width = 0.5

[train]
epochs = 2
batch_size = 32
learning_rate = 0.003

[[compress]]
name = "pruned"
method = "prune"
target_sparsity = 0.5
epochs = 1

[[compress]]
name = "clustered"
method = "cluster"
from = "pruned"
clusters = 8
preserve_sparsity = true
epochs = 1

[convert]
modes = ["int8"]
representative_samples = 20

[board]
name = "mps2-an500"
"""

GRID = """
[sweep.params]
"compress.pruned.target_sparsity" = [0.3, 0.6]
"compress.clustered.clusters" = [4, 8]
"""


def _files(tmp: Path, grid: str = GRID) -> tuple[Path, Path]:
    (tmp / "r.toml").write_text(TINY)
    (tmp / "grid.toml").write_text(grid)
    return tmp / "r.toml", tmp / "grid.toml"


def _state(root: Path) -> dict:
    try:
        return json.loads((root / STATE_FILE).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {"trials": []}


def _metrics(state: dict) -> dict[str, list]:
    """Per finished trial: every variant's metric and sizes. (Not the gzip'd size: fine-tuning on
    TensorFlow's multi-threaded CPU kernels is not bit-exact across processes, and a last-bit weight
    difference that moves no prediction can move the compressed size by a byte.)"""
    keep = ("variant", "metric", "tflite_bytes", "flash_bytes", "ram_bytes", "latency", "deployable")
    return {t["id"]: [{k: v[k] for k in keep} for v in t["summary"]["variants"]]
            for t in state["trials"] if t["status"] == "done"}


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory) -> Path:
    """The 4-trial sweep on the local pool (1 worker), SIGKILLed after two trials, then rerun."""
    tmp = tmp_path_factory.mktemp("sweep")
    recipe, grid = _files(tmp)
    root = tmp / "sw"
    cmd = [sys.executable, "-m", "tfcompress.cli", "sweep", "--recipe", str(recipe), "--grid", str(grid),
           "--out", str(root), "--executor", "local", "--workers", "1", "--until", "convert"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    deadline = time.time() + 600
    while sum(t["status"] == "done" for t in _state(root)["trials"]) < 2 and proc.poll() is None:
        assert time.time() < deadline, "the sweep made no progress"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and its pool worker, mid-sweep
    proc.wait()
    before = _state(root)
    done = {t["id"]: t for t in before["trials"] if t["status"] == "done"}
    assert 2 <= len(done) < 4, "kill the sweep while trials are missing"
    (tmp / "done_before.json").write_text(json.dumps(done))
    state = run_sweep(str(recipe), grid, root, SweepOptions(executor="local", workers=1, until="convert"))
    assert state["dir"] == str(root.resolve())
    return root


@pytest.mark.slow
def test_killed_sweep_reruns_only_the_missing_trials(local_sweep: Path) -> None:
    state = _state(local_sweep)
    assert [t["status"] for t in state["trials"]] == ["done"] * 4
    before = json.loads((local_sweep.parent / "done_before.json").read_text())
    for t in state["trials"]:
        if t["id"] in before:  # finished before the kill: kept, not rerun (same worker record)
            assert (t["pid"], t["seconds"]) == (before[t["id"]]["pid"], before[t["id"]]["seconds"])
        else:
            assert t["pid"] not in {b["pid"] for b in before.values()}
        trial = local_sweep / t["dir"]
        assert (trial / "run.json").is_file() and (trial / "results.json").is_file()
    params = [t["params"] for t in state["trials"]]
    assert params[0] == {"compress.pruned.target_sparsity": 0.3, "compress.clustered.clusters": 4}
    assert params[3] == {"compress.pruned.target_sparsity": 0.6, "compress.clustered.clusters": 8}
    # the baseline was trained once and shared; sparsity 0.3 and 0.6 give different pruned models
    logs = [(local_sweep / t["dir"] / "trial.log").read_text() for t in state["trials"]]
    assert sum("baseline: from the shared stage cache" in log for log in logs) == 3
    results = [json.loads((local_sweep / t["dir"] / "results.json").read_text()) for t in state["trials"]]
    sparsity = [next(v for v in r["variants"] if v["variant"] == "pruned-int8")["sparsity"] for r in results]
    assert sparsity[0] == pytest.approx(0.3, abs=0.05) and sparsity[3] == pytest.approx(0.6, abs=0.05)
    html = (local_sweep / "sweep.html").read_text()
    assert "Pareto" in html and "trials/000/" in html and "tflite_bytes" in pareto_fronts(state)


@pytest.mark.slow
def test_ray_gives_the_same_per_trial_results(local_sweep: Path, tmp_path: Path) -> None:
    """Trials run in other processes with other histories (and other stages cached) than on the pool:
    the numbers must not depend on that (clustering's random centroids once did)."""
    pytest.importorskip("ray")
    recipe, grid = _files(tmp_path)
    state = run_sweep(str(recipe), grid, tmp_path / "sw", SweepOptions(executor="ray", workers=2, until="convert"))
    assert [t["status"] for t in state["trials"]] == ["done"] * 4
    assert _metrics(state) == _metrics(_state(local_sweep))
    assert len({t["pid"] for t in state["trials"]}) == 2  # two Ray workers shared the trials


def test_failed_trials_are_recorded_and_the_sweep_goes_on(tmp_path: Path) -> None:
    recipe, grid = _files(tmp_path, '[sweep.params]\n"model.name" = ["no-such-model", "nor-this"]\n')
    state = run_sweep(str(recipe), grid, tmp_path / "sw", SweepOptions(executor="local", workers=1, until="convert"))
    assert [t["status"] for t in state["trials"]] == ["failed", "failed"]
    assert "unknown model 'no-such-model'" in state["trials"][0]["error"]
    assert (tmp_path / "sw" / "trials" / "001" / "error.txt").is_file()
    assert "nor-this" in (tmp_path / "sw" / "sweep.html").read_text()
    # the same command again keeps the failed trials; --force is needed for a different grid
    again = run_sweep(str(recipe), grid, tmp_path / "sw", SweepOptions(executor="local", workers=1, until="convert"))
    assert [t["seconds"] for t in again["trials"]] == [t["seconds"] for t in state["trials"]]
    grid.write_text('[sweep.params]\n"model.name" = ["other"]\n')
    with pytest.raises(TfcError, match="different sweep"):
        run_sweep(str(recipe), grid, tmp_path / "sw", SweepOptions(executor="local", until="convert"))


def test_ray_options_without_ray_name_the_extra(monkeypatch, tmp_path: Path) -> None:
    from tfcompress.sweep import executors

    monkeypatch.setattr(executors, "ray_available", lambda: False)
    for kind, address in (("ray", None), ("auto", "ray://head:10001")):
        with pytest.raises(TfcError, match=r"pip install 'tfcompress\[ray\]'"):
            executors.make_executor(kind, 2, address)
    with pytest.raises(TfcError, match="--address needs the Ray executor"):
        executors.make_executor("local", 2, "auto")


def test_ray_executor_runs_trials_and_records_failures(tmp_path: Path) -> None:
    """The Ray plumbing in the default suite: a local instance with 2 workers, trials as tasks."""
    pytest.importorskip("ray")
    recipe, grid = _files(tmp_path, '[sweep.params]\n"model.name" = ["no-such-model", "nor-this", "neither"]\n')
    state = run_sweep(str(recipe), grid, tmp_path / "sw", SweepOptions(executor="ray", workers=2, until="convert"))
    assert [t["status"] for t in state["trials"]] == ["failed"] * 3
    assert "unknown model 'neither'" in state["trials"][2]["error"]
    assert all(t["pid"] != os.getpid() for t in state["trials"])
