"""The self-contained HTML report and the ``tfcompress report`` command."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tfcompress.cli import main
from tfcompress.errors import TfcError
from tfcompress.report import build_report, is_tfcompress_report, write_report

FIXTURE = Path(__file__).parent / "fixtures" / "report"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _copy_fixture(dest: Path) -> Path:
    shutil.copytree(FIXTURE, dest, ignore=shutil.ignore_patterns("*.py", "report.html", "plots"))
    return dest


def _minimal_run(dest: Path) -> Path:
    """A run with only the variants (fewest plots): for tests of file handling."""
    run = _copy_fixture(dest)
    res = json.loads((run / "results.json").read_text())
    res.update(stages=[], sweep=[])
    res.pop("samples")
    (run / "results.json").write_text(json.dumps(res))
    return run


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    run = _copy_fixture(tmp_path_factory.mktemp("report") / "run")
    rep = build_report(run)
    return run, rep, rep.path.read_text(encoding="utf-8")


def test_report_is_one_self_contained_file(built):
    run, rep, html = built
    assert rep.path == run / "report.html"
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert "url(" not in html
    srcs = re.findall(r'src="([^"]*)"', html)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    for s in srcs:  # every embedded image decodes to a PNG
        assert base64.b64decode(s.split(",", 1)[1]).startswith(PNG_MAGIC)
    assert len(srcs) == len(rep.plots) == 7
    assert is_tfcompress_report(rep.path)


def test_report_contents(built):
    run, rep, html = built
    assert "tfcompress report — eye-gaze" in html
    for word in ("synthetic-eyes", "tiny-cnn", "mps2-an500", "instructions (emulated)", "lower is better"):
        assert word in html
    for v in ("int8", "int16x8", "float16", "dynamic", "qat-int8", "pcqat-int8"):
        assert f"<td>{v}" in html
    best_row = re.search(r'<tr class="best">\s*<td>([^<]+)<', html)
    assert best_row and best_row.group(1) == "int16x8"
    assert html.count('class="undeployable"') == 2
    assert "TFLM has no float16 weight support" in html
    # per-layer tables of both stages and the timings
    assert html.count("<td>conv3</td>") == 2
    assert "<td>evaluate</td>" in html and "5 min 49 s" in html
    assert "results.csv" in html and (run / "results.csv").is_file()


def test_plots_are_written_under_the_run_dir(built):
    run, rep, _ = built
    names = sorted(p.name for p in rep.plots)
    assert names == sorted(["metric_vs_flash.png", "metric_vs_latency.png", "sizes.png", "sweep.png", "samples.png",
                            "stage_pruned.png", "stage_clustered.png"])
    for p in rep.plots:
        assert p.parent == run / "plots" and p.read_bytes().startswith(PNG_MAGIC)


def test_classification_without_optional_parts(tmp_path):
    run = _copy_fixture(tmp_path / "run")
    res = json.loads((run / "results.json").read_text())
    res.update(task="classification", metric="accuracy", higher_is_better=True, stages=[], timings={})
    for key in ("sweep", "samples"):
        res.pop(key)
    for v, acc in zip(res["variants"], (0.9, 0.91, 0.92, 0.9, 0.93, 0.89), strict=True):
        v.update(metric_host=acc, metric_device=acc if v["deployable"] else None)
    (run / "results.json").write_text(json.dumps(res))
    rep = build_report(run, tmp_path / "out" / "r.html")
    html = rep.path.read_text()
    assert sorted(p.name for p in rep.plots) == ["metric_vs_flash.png", "metric_vs_latency.png", "sizes.png"]
    assert "93.00%" in html and "higher is better" in html
    assert re.search(r'<tr class="best">\s*<td>qat-int8', html)


def test_nothing_deployable_and_missing_samples(tmp_path):
    run = _copy_fixture(tmp_path / "run")
    res = json.loads((run / "results.json").read_text())
    for v in res["variants"]:
        v.update(deployable=False, reason=v["reason"] or "arena 300 KB > 192 KB RAM", metric_device=None,
                 flash_bytes=None, latency=None)
    res.update(stages=[{"name": "empty", "method": "prune", "source": "baseline", "metric": 1.7, "layers": []}],
               sweep=[], timings={}, samples="gone.npz")
    (run / "results.json").write_text(json.dumps(res))
    rep = build_report(run)
    html = rep.path.read_text()
    assert [p.name for p in rep.plots] == ["sizes.png"]
    assert "none deployable" in html and html.count('class="undeployable"') == 6
    assert 'class="best"' not in html
    assert "arena 300 KB &gt; 192 KB RAM" in html  # escaped


def test_refuses_to_overwrite_a_foreign_file(tmp_path):
    run = _minimal_run(tmp_path / "run")
    mine = tmp_path / "notes.html"
    mine.write_text("<html>my notes</html>")
    with pytest.raises(TfcError, match="not a tfcompress report"):
        write_report(run, mine)
    assert mine.read_text() == "<html>my notes</html>"
    write_report(run, mine, force=True)
    assert is_tfcompress_report(mine)
    write_report(run, mine)  # a previous report may be replaced


def test_cli_report_prints_path_and_json(tmp_path):
    run = _minimal_run(tmp_path / "run")
    runner = CliRunner()
    res = runner.invoke(main, ["report", str(run)])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == str(run / "report.html")
    out = tmp_path / "x.html"
    res = runner.invoke(main, ["report", str(run), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["report"] == str(out) and out.is_file()
    assert len(data["plots"]) == 3 and all(Path(p).is_file() for p in data["plots"])
    assert data["csv"] == str(run / "results.csv")


def test_cli_report_errors(tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["report", str(tmp_path)])
    assert res.exit_code == 2
    assert "results.json" in res.stderr and "run `tfcompress pipeline` first" in res.stderr
    run = _minimal_run(tmp_path / "run")
    (run / "report.html").write_text("hand-written")
    res = runner.invoke(main, ["report", str(run)])
    assert res.exit_code == 2 and "--force" in res.stderr
    res = runner.invoke(main, ["report", str(run), "--force"])
    assert res.exit_code == 0, res.output


def test_a_clustered_layer_note_is_shown_beside_the_layer(tmp_path):
    from tfcompress.compress.cluster_fit import describe
    from tfcompress.report.schema import validate_results

    run = _minimal_run(tmp_path / "run")
    res = json.loads((run / "results.json").read_text())
    note = describe({"requested": 16, "clusters": 7, "weights": 6, "counted": "non-zero"})
    res["stages"] = [{"name": "clustered", "method": "cluster", "source": "pruned", "metric": 0.9, "layers": [
        {"name": "conv1", "params": 72, "sparsity": 0.92, "unique": 7, "note": note},
        {"name": "conv2", "params": 1152, "sparsity": 0.9, "unique": 16}]}]
    validate_results(res)
    (run / "results.json").write_text(json.dumps(res))
    html = build_report(run).path.read_text()
    assert "conv1 <span class=\"sub\">(6 non-zero weights: 7 clusters, zero included (16 requested))</span>" in html
    assert "conv2</td>" in html
    res["stages"][0]["layers"][0]["note"] = 7
    with pytest.raises(TfcError, match=r"layers\[0\]\.note"):
        validate_results(res)
