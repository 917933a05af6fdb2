"""The speed/size preference picks the firmware's compiler optimisation level (engine/optimize.py
OPT_LEVELS) unless one is given, and the project records the level it was built at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import require_tool

from tfcompress.boards import load_board, with_optimize
from tfcompress.cli import main
from tfcompress.engine import optimize as optimize_pref
from tfcompress.errors import TfcError
from tfcompress.project import build_project, generate_project
from tfcompress.project.firmware import _same_project

FIXTURE = Path(__file__).parent / "fixtures" / "firmware" / "model"


def test_preference_picks_level() -> None:
    assert {p: optimize_pref.opt_level(p) for p in optimize_pref.CHOICES} == {
        "speed": "-O2", "balanced": "-O2", "size": "-Os"}
    assert optimize_pref.opt_level("size", "-O2") == "-O2"  # the user's level wins
    assert optimize_pref.opt_level("speed", "-Os") == "-Os"
    with pytest.raises(TfcError, match="optimize must be one of"):
        optimize_pref.opt_level("smallest")


def _makefile_opt(project: Path) -> str:
    line = next(ln for ln in (project / "Makefile").read_text().splitlines() if ln.startswith("OPT"))
    return line.split("?=")[1].strip()


def test_generated_project_takes_and_records_level(tmp_path: Path) -> None:
    board = load_board("mps2-an500")
    size = with_optimize(board, "size")
    cases = {"bal": (board, None, "-O2"), "size": (size, None, "-Os"), "size_o2": (size, "-O2", "-O2"),
             "bal_os": (board, "-Os", "-Os")}
    for name, (b, opt, want) in cases.items():
        info = generate_project(FIXTURE, b, tmp_path / name, opt=opt)
        meta = json.loads((info.path / "tfcompress.json").read_text())
        assert (_makefile_opt(info.path), info.opt, meta["opt"], info.to_dict()["opt"]) == (want,) * 4, name
    # a project built at another level is not reused as this one
    assert _same_project(tmp_path / "size", size, meta["model_hash"], opt="-Os")
    assert not _same_project(tmp_path / "size", size, meta["model_hash"], opt="-O2")


def test_cli_generate_level(tmp_path: Path) -> None:
    runner = CliRunner()
    for args, want in ((["--optimize", "size"], "-Os"), (["--optimize", "size", "--opt", "-O2"], "-O2"),
                       ([], "-O2")):
        out = tmp_path / "-".join(["fw", *args])
        res = runner.invoke(main, ["generate", str(FIXTURE), "--board", "mps2-an500", "--out", str(out), "--json",
                                   *args])
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["opt"] == want and _makefile_opt(out) == want, args


@pytest.mark.toolchain
def test_size_preference_builds_at_os(tmp_path: Path) -> None:
    """One build of a "size" board's project: every compiler call is at -Os."""
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    info = generate_project(FIXTURE, with_optimize(load_board("mps2-an500"), "size"), tmp_path / "fw")
    result = build_project(info.path)
    compiles = [ln for ln in result.log.splitlines() if " -c " in ln]
    assert compiles and all(" -Os " in ln and " -O2 " not in ln for ln in compiles)


def test_instructions_benchmark_levels() -> None:
    """benchmarks/instructions.py takes ``--opt -Os`` (space form), ``--opt=-Os`` and ``--opt Os``."""
    from conftest import instructions_benchmark

    bench = instructions_benchmark()
    assert bench.join_level_args(["--opt", "-Os", "--models", "ad", "--size-opt", ""]) == [
        "--opt=-Os", "--models", "ad", "--size-opt="]
    assert [bench.opt_level(v) for v in ("-Os", "Os", "O2", "")] == ["-Os", "-Os", "-O2", ""]
    with pytest.raises(Exception, match="not an optimisation level"):
        bench.opt_level("fast")


def test_instructions_benchmark_line_without_size_build(capsys: pytest.CaptureFixture[str]) -> None:
    """A row measured with ``--size-opt ''`` prints only the build it has, not a placeholder size build."""
    from conftest import instructions_benchmark

    bench = instructions_benchmark()
    row = dict(model="ad", kernels="optimized", board="mps2-an500", opt="-O2", instructions=277_000,
               instr_per_mac=1.05, mismatches=0, ram_measured=900, static=100, stack=32, ram=768,
               code=4_000, weights=270_000)
    bench._print_row(row)
    without = capsys.readouterr().out
    assert "code 4000 B (-O2)  weights" in without and "- B" not in without
    bench._print_row({**row, "size_opt": dict(opt="-Os", code=3_900)})
    assert "code 4000 B (-O2), 3900 B (-Os)  weights" in capsys.readouterr().out
