"""Shared pytest fixtures and skips."""

from __future__ import annotations

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


def require_tool(name: str, package: str) -> str:
    """Return the path of an executable or skip the test naming the Debian package."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed (apt-get install {package})")
    return path


def instructions_benchmark() -> Any:
    """benchmarks/instructions.py as a module (its QEMU measure() runs the DSP build), or skip
    when the ARM toolchain or QEMU is missing."""
    import importlib.util

    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")
    spec = importlib.util.spec_from_file_location(
        "bench_instructions", Path(__file__).resolve().parents[1] / "benchmarks" / "instructions.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench
