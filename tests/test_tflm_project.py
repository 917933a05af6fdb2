"""The TensorFlow Lite Micro runtime without building it: finding and checking the tree, the op
resolver read from the tree, the generated project (files, resolver, arena, README), and the
library cache of tflm_lib.mk exercised with a tiny fake tree and the host compiler."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SHARED, require_tool

from tfcompress.boards import load_board
from tfcompress.cli import main
from tfcompress.errors import TfcError
from tfcompress.project import generate_project
from tfcompress.project.tflm import (
    ARENA_MARGIN_TEXT,
    CREATE_TREE,
    TREE_FILES,
    TreeError,
    arena_with_margin,
    library_cache_dir,
    prepare_tflm,
    resolve_tree,
)
from tfcompress.resources import firmware_root

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
MULTI_OP = CORPUS / "arch_inverted_residual_se_int8.tflite"  # ADD CONV_2D DEPTHWISE HARD_SWISH LOGISTIC MEAN MUL ...

#: a resolver header in the form of TFLM's micro_mutable_op_resolver.h (the methods the test models use)
_RESOLVER = """
template <unsigned int tOpCount>
class MicroMutableOpResolver : public MicroOpResolver {
 public:
  TfLiteStatus AddCustom(const char* name, TFLMRegistration* registration) { return kTfLiteOk; }
%s
};
"""
_METHOD = """  TfLiteStatus Add%s(
      const TFLMRegistration& registration = Register_%s()) {
    return AddBuiltin(BuiltinOperator_%s, registration, Parse%s);
  }
"""
_OPS = {"Add": "ADD", "Conv2D": "CONV_2D", "DepthwiseConv2D": "DEPTHWISE_CONV_2D", "FullyConnected": "FULLY_CONNECTED",
        "HardSwish": "HARD_SWISH", "Logistic": "LOGISTIC", "Mean": "MEAN", "Mul": "MUL", "Reshape": "RESHAPE"}


def fake_tree(root: Path, ops: dict[str, str] = _OPS, cmsis: bool = False) -> Path:
    """A directory with the files resolve_tree checks and a resolver header registering ``ops``."""
    for rel in TREE_FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("// fake\n")
    methods = "".join(_METHOD % (m, b, b, m) for m, b in ops.items())
    (root / TREE_FILES[1]).write_text(_RESOLVER % methods)
    if cmsis:
        p = root / "tensorflow/lite/micro/kernels/cmsis_nn/conv.cc"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("// fake\n")
    return root


def test_tree_errors_name_the_path_and_what_was_expected(tmp_path, monkeypatch):
    monkeypatch.delenv("TFLM_DIR", raising=False)
    with pytest.raises(TreeError) as e:
        resolve_tree(None)
    assert "needs a TFLM source tree" in e.value.what and "create_tflm_tree.py" in e.value.fix
    with pytest.raises(TreeError) as e:
        resolve_tree(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in e.value.what and "not found" in e.value.what
    (tmp_path / "empty").mkdir()
    with pytest.raises(TreeError) as e:
        resolve_tree(tmp_path / "empty")
    assert str(tmp_path / "empty") in e.value.what
    assert "tensorflow/lite/micro/micro_interpreter.h is missing" in e.value.what
    checkout = tmp_path / "tflite-micro"
    (checkout / CREATE_TREE).parent.mkdir(parents=True)
    (checkout / CREATE_TREE).write_text("# the generator\n")
    with pytest.raises(TreeError) as e:
        resolve_tree(checkout)
    assert "tflite-micro checkout" in e.value.what and "create_tflm_tree.py" in e.value.fix
    for err in (e.value,):
        assert "\n" not in err.line()
    monkeypatch.setenv("TFLM_DIR", str(fake_tree(tmp_path / "t", cmsis=True)))
    tree = resolve_tree(None)
    assert tree.path == (tmp_path / "t").resolve() and tree.kernels == "cmsis-nn"
    assert resolve_tree(fake_tree(tmp_path / "r")).kernels == "reference"


def test_cli_wrong_tree_is_one_line(tmp_path):
    res = CliRunner().invoke(main, ["validate", str(MULTI_OP), "--board", "mps2-an500", "--runtime", "tflm",
                                    "--tflm-dir", str(tmp_path / "missing")])
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: TFLM tree") and str(tmp_path / "missing") in lines[0]
    res = CliRunner().invoke(main, ["validate", str(MULTI_OP), "--board", "host", "--runtime", "tflm",
                                    "--tflm-dir", str(fake_tree(tmp_path / "t"))])
    assert res.exit_code == 2 and "no TensorFlow Lite Micro runner for board 'host'" in res.output


def test_resolver_registers_exactly_the_models_ops(tmp_path):
    tree = resolve_tree(fake_tree(tmp_path / "t"))
    prog = prepare_tflm(MULTI_OP, tree)
    names = [op for op, _ in prog.ops]
    assert sorted(names) == sorted({"ADD", "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "HARD_SWISH",
                                    "LOGISTIC", "MEAN", "MUL", "RESHAPE"})
    assert dict(prog.ops)["DEPTHWISE_CONV_2D"] == "AddDepthwiseConv2D"
    assert prog.arena_bytes == arena_with_margin(prog.arena_host_bytes) > prog.arena_host_bytes
    assert prog.arena_bytes % 16 == 0 and not prog.stateful
    lacking = resolve_tree(fake_tree(tmp_path / "u", {k: v for k, v in _OPS.items() if k != "HardSwish"}))
    with pytest.raises(TfcError) as e:
        prepare_tflm(MULTI_OP, lacking)
    assert "no kernel for op HARD_SWISH" in e.value.what and str(lacking.path) in e.value.what


@pytest.mark.shared
def test_real_tree_resolver_knows_every_builtin_it_registers():
    tree_dir = SHARED / "tflm" / "cmsis-nn"
    if not tree_dir.is_dir():
        pytest.skip(f"no TFLM tree at {tree_dir} (a fresh clone has no ../shared)")
    methods = resolve_tree(tree_dir).op_methods
    assert methods["CONV_2D"] == "AddConv2D" and methods["UNIDIRECTIONAL_SEQUENCE_LSTM"].startswith("AddUnidirectional")
    assert methods["AVERAGE_POOL_2D"] == "AddAveragePool2D" and methods["MAX_POOL_2D"] == "AddMaxPool2D"
    assert len(methods) > 90
    assert methods["CUSTOM:TFLite_Detection_PostProcess"] == "AddDetectionPostprocess"  # a custom op, by name


def test_generated_project_runs_tflm_behind_the_engine_api(tmp_path):
    tree = resolve_tree(fake_tree(tmp_path / "tree", cmsis=True))
    prog = prepare_tflm(MULTI_OP, tree)
    board = load_board("stm32h747i-disco")  # a real board with a Renode platform
    out = tmp_path / "fw"
    info = generate_project(prog, board, out)
    assert info.runtime == "tflm"
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert "model.cc" in files and "model_data.cc" in files and "model.h" in files and "tflm_lib.mk" in files
    assert "tflm/micro_time.cc" in files and "tflm/debug_log.cc" in files and "main.c" in files
    assert not any(f.startswith(("tensorflow", "third_party", "engine")) for f in files)  # no TFLM sources
    model_cc = (out / "model.cc").read_text()
    adds = re.findall(r"resolver->(Add\w+)\(\)", model_cc)
    assert sorted(adds) == sorted(m for _, m in prog.ops)
    assert f"tflite::MicroMutableOpResolver<{len(prog.ops)}>" in model_cc
    header = (out / "model.h").read_text()
    assert f"#define TFC_ARENA_BYTES {prog.arena_bytes}" in header and "#define TFC_RUNTIME 1" in header
    assert "int tfc_model_run(const void *const inputs[], void *const outputs[]);" in header
    data = (out / "model_data.cc").read_text()
    assert "alignas(16) const unsigned char tfc_model_data[" in data and f"{MULTI_OP.stat().st_size}u" in data
    make = (out / "Makefile").read_text()
    assert f"TFLM_DIR ?= {tree.path}" in make and "include tflm_lib.mk" in make
    readme = (out / "README.md").read_text()
    assert f"needs\n{prog.arena_host_bytes} B" in readme or f"{prog.arena_host_bytes} B" in readme
    assert ARENA_MARGIN_TEXT in readme and "arena_used_bytes()" in readme and "64-bit" in readme
    assert readme.count("create_tflm_tree.py") >= 3 and "OPTIMIZED_KERNEL_DIR=cmsis_nn" in readme
    assert "cortex-m4+fp" in readme and "TARGET=cortex_m_generic TARGET_ARCH=cortex-m7+fp" in readme
    assert "**untested**" in readme and "never been run" in readme
    assert "UNTESTED" in (out / f"{board.name}.resc").read_text()


# -- the library cache (tflm_lib.mk) with a two-file fake tree and the host compiler ---------------

_TEST_MAKEFILE = """.DEFAULT_GOAL := lib
include tflm_lib.mk
lib: $(TFLM_LIB)
\t@echo "LIB $(TFLM_LIB)"
"""


def _lib_project(tmp_path: Path) -> tuple[Path, Path]:
    tree = tmp_path / "tree"
    (tree / "tensorflow/lite/micro").mkdir(parents=True)
    (tree / "tensorflow/lite/micro/micro_interpreter.h").write_text("int tfc_fake(void);\n")
    (tree / "tensorflow/lite/micro/a.cc").write_text(
        '#include "tensorflow/lite/micro/micro_interpreter.h"\nint tfc_fake(void) { return 1; }\n')
    (tree / "third_party/x").mkdir(parents=True)
    (tree / "third_party/x/b.c").write_text("int tfc_fake_c(void) { return 2; }\n")
    (tree / "tensorflow/lite/micro/cortex_m_generic").mkdir()
    (tree / "tensorflow/lite/micro/cortex_m_generic/micro_time.cc").write_text("#error the firmware brings its own\n")
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "tflm_lib.mk").write_text((firmware_root() / "tflm" / "tflm_lib.mk").read_text())
    (proj / "Makefile").write_text(_TEST_MAKEFILE)
    return tree, proj


def _make(proj: Path, tree: Path, cache: Path, opt: str = "-O0") -> tuple[str, Path]:
    proc = subprocess.run(["make", "-C", str(proj), "--no-print-directory", "-j2", f"TFLM_DIR={tree}", "CC=gcc",
                           "CXX=g++", "AR=ar", "ARCH=", f"OPT={opt}", f"TFC_CACHE_DIR={cache}"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lib = Path(re.search(r"^LIB (\S+)$", proc.stdout, re.M).group(1))
    return proc.stdout, lib


def test_library_is_built_once_per_tree_and_flags_and_a_bad_entry_is_rebuilt(tmp_path):
    require_tool("gcc", "gcc")
    require_tool("g++", "g++")
    tree, proj = _lib_project(tmp_path)
    cache = tmp_path / "cache"
    log, lib = _make(proj, tree, cache)
    assert "TFLM library: building 2 sources" in log and lib.parent.parent == cache / "tflm"
    members = subprocess.run(["ar", "t", str(lib)], capture_output=True, text=True, check=True).stdout.split()
    assert sorted(members) == ["a.cc.o", "b.c.o"]  # cortex_m_generic/ is left to the firmware
    assert (lib.parent / "libtflm.a.sha256").is_file()
    assert not list((cache / "tflm").glob("*.tmp-*"))  # built aside, renamed into place
    log2, lib2 = _make(proj, tree, cache)
    assert lib2 == lib and "building" not in log2  # cached: nothing compiled

    log3, lib3 = _make(proj, tree, cache, opt="-O1")  # other flags: another entry
    assert lib3 != lib and "building" in log3
    moved = tmp_path / "moved-tree"
    tree.rename(moved)
    log4, lib4 = _make(proj, moved, cache)  # the same content elsewhere: the same entry
    assert lib4 == lib and "building" not in log4
    (moved / "third_party/x/b.c").write_text("int tfc_fake_c(void) { return 3; }\n")
    log5, lib5 = _make(proj, moved, cache)  # other content: another entry
    assert lib5 not in (lib, lib3) and "building" in log5

    good = lib5.read_bytes()
    lib5.write_bytes(good[: len(good) // 2])  # cut short
    log6, lib6 = _make(proj, moved, cache)
    assert lib6 == lib5 and "building" in log6 and lib6.read_bytes() == good
    (lib6.parent / "libtflm.a.sha256").unlink()  # no stamp: a partial entry
    log7, _ = _make(proj, moved, cache)
    assert "building" in log7 and (lib6.parent / "libtflm.a.sha256").is_file()
    stale = cache / "tflm" / (lib6.parent.name + ".tmp-1")  # an interrupted build's leftovers
    stale.mkdir()
    (stale / "libtflm.a").write_bytes(b"garbage")
    log8, lib8 = _make(proj, moved, cache)
    assert "building" not in log8 and lib8.read_bytes() == good


def test_library_cache_lives_in_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("TFC_CACHE_DIR", str(tmp_path))
    assert library_cache_dir() == tmp_path / "tflm"
    monkeypatch.delenv("TFC_CACHE_DIR")
    assert library_cache_dir() == Path.home() / ".cache" / "tfcompress" / "tflm"
