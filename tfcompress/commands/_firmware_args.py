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
               compress_weights: bool = False, *, runtime: str = "engine",
               tflm_dir: Path | None = None) -> tuple[object | None, str | None]:
    """(compiled model, None) when the engine (or, ``runtime="tflm"``, TensorFlow Lite Micro) can
    run it on an MCU, else (None, reason)."""
    from tfcompress.project.firmware import prepare_model
    from tfcompress.project.tflm import TreeError

    try:
        return prepare_model(path, runtime, kernels=kernels, board=board, compress_weights=compress_weights,
                             tflm_dir=tflm_dir), None
    except TreeError:
        raise  # a missing or wrong TFLM tree is the user's to fix, whatever the variant
    except TfcError as err:
        return None, err.what


def firmware_folder(variant: str, runtime: str = "engine") -> str:
    """The folder of a variant's firmware under RUN_DIR/firmware/<board>/ (TFLM: ``<variant>-tflm``)."""
    return f"{variant}-tflm" if runtime == "tflm" else variant
