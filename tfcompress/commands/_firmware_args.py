"""Helpers shared by the firmware commands (generate, build, evaluate)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tfcompress.errors import TfcError

RUN_VARIANTS = "variants"


def run_variants(run_dir: Path, only: str | None = None) -> dict[str, Path]:
    """variant name -> model.tflite under RUN_DIR/variants/ (DESIGN.md §1 layout)."""
    root = Path(run_dir) / RUN_VARIANTS
    if not root.is_dir():
        raise TfcError(f"{run_dir} has no {RUN_VARIANTS}/ directory", "run the convert stage first (tfcompress convert)")
    found = {p.parent.name: p for p in sorted(root.glob("*/model.tflite"))}
    if only:
        if only not in found:
            from tfcompress.errors import unknown

            raise unknown("variant", only, found)
        return {only: found[only]}
    if not found:
        raise TfcError(f"{root} holds no variants/*/model.tflite", "run the convert stage first")
    return found


def deployable(path: Path, kernels: str = "optimized", board: Any = None,
               compress_weights: bool = False) -> tuple[object | None, str | None]:
    """(compiled model, None) when the engine can compile it for an MCU, else (None, reason)."""
    from tfcompress.project.firmware import compile_model

    try:
        return compile_model(path, kernels, board=board, compress_weights=compress_weights), None
    except TfcError as err:
        return None, err.what
