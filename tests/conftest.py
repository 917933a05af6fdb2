"""Shared pytest fixtures and skips."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path
from typing import Any

import pytest

import tfcompress  # noqa: F401  (sets TF_USE_LEGACY_KERAS before anything imports TensorFlow)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
MLPERF_DIR = SHARED / "models" / "mlperf-tiny"
SVD_DIR = SHARED / "svd"


@pytest.fixture(scope="session")
def mlperf_models() -> Path:
    """Directory of the MLPerf Tiny int8 models; skips when ../shared is absent."""
    if not MLPERF_DIR.is_dir():
        pytest.skip(f"MLPerf Tiny models not found at {MLPERF_DIR} (a fresh clone has no ../shared)")
    return MLPERF_DIR


@pytest.fixture(scope="session")
def svd_dir() -> Path:
    """Directory of ST's SVD register descriptions; skips when ../shared is absent."""
    if not SVD_DIR.is_dir():
        pytest.skip(f"SVD files not found at {SVD_DIR} (a fresh clone has no ../shared)")
    return SVD_DIR


@pytest.fixture
def smallest_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every compressible layer in its smallest storage under "balanced": without the speed rule that
    returns slow layers to int8 (weight_policy.py speed_elasticity; tested in test_storage_cost.py),
    so kernel tests keep running the compressed kernels they are about."""
    import dataclasses

    from tfcompress.engine import weight_policy

    bal = weight_policy.PREFERENCES["balanced"]
    monkeypatch.setitem(weight_policy.PREFERENCES, "balanced", dataclasses.replace(bal, speed_elasticity=None))


def require_tool(name: str, package: str) -> str:
    """Return the path of an executable or skip the test naming the Debian package."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed (apt-get install {package})")
    return path


def instructions_benchmark() -> Any:
    """benchmarks/instructions.py as a module (its QEMU measure() runs the DSP build), or skip
    when the ARM toolchain or QEMU is missing."""
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")
    return _load_instructions()


@functools.cache
def _load_instructions() -> Any:
    """One module for the session, so its builds share the objects it keeps (build_firmware)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_instructions", Path(__file__).resolve().parents[1] / "benchmarks" / "instructions.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


@pytest.fixture
def qemu_bench() -> Any:
    """benchmarks/instructions.py for a test that measures on QEMU (skips without the ARM toolchain
    or QEMU): ``qemu_bench.measure(...)``."""
    return instructions_benchmark()


# ---- TensorFlow Lite Micro's library, built in the background ---------------------------------
# The TFLM tests link one library (the CMSIS-NN tree, mps2-an500's Cortex-M7, -O2), which takes
# minutes to compile the first time on 2 cores. When the session will run any of them, a
# separate process starts that build as soon as collection ends (a frozen copy of the environment:
# tests that change TFC_CACHE_DIR do not move it), so it overlaps the tests before them; the
# first TFLM test waits for it and then finds the library cached.
TFLM_CMSIS_TREE = SHARED / "tflm" / "cmsis-nn"
_TFLM_TEST_FILES = {"test_profile_emulated.py", "test_tflm_emulated.py", "test_tflm_pipeline.py"}
_BUILD_TFLM_LIBRARY = """
from pathlib import Path
from tfcompress.boards import load_board
from tfcompress.project.firmware import build_firmware
from tfcompress.project.tflm import prepare_tflm, resolve_tree
model = Path({model!r})
build_firmware(prepare_tflm(model, resolve_tree({tree!r})), load_board("mps2-an500"))
"""
_tflm_build: Any = None


def pytest_collection_finish(session: pytest.Session) -> None:
    import os
    import subprocess
    import sys

    global _tflm_build
    if not any(item.path.name in _TFLM_TEST_FILES for item in session.items):
        return
    if not (TFLM_CMSIS_TREE / "tensorflow" / "lite" / "micro" / "micro_interpreter.h").is_file():
        return
    if not (shutil.which("arm-none-eabi-g++") and shutil.which("make")):
        return
    model = REPO / "tests" / "fixtures" / "corpus" / "op_add_int8.tflite"
    code = _BUILD_TFLM_LIBRARY.format(model=str(model), tree=str(TFLM_CMSIS_TREE))
    _tflm_build = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=dict(os.environ),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for_tflm_library() -> None:
    """Wait for the background build of TFLM's library, if one runs (its failure is not reported
    here: the test then builds the library itself and reports the real error)."""
    if _tflm_build is not None:
        _tflm_build.wait()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _tflm_build is not None and _tflm_build.poll() is None:
        _tflm_build.kill()
