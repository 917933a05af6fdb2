"""From a .tflite (or compiled model) to a built firmware image for a board, reusing earlier builds."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfcompress.boards import Board
from tfcompress.errors import TfcError
from tfcompress.project.build import BuildResult, build_project, require_toolchain
from tfcompress.project.generate import ProjectInfo, engine_key, generate_project


def firmware_cache_dir() -> Path:
    """Where firmware built for `evaluate`/`validate` without --out is kept (content addressed)."""
    base = os.environ.get("TFC_CACHE_DIR")
    root = Path(base) if base else Path.home() / ".cache" / "tfcompress"
    return root / "firmware"


@dataclass
class Firmware:
    """A generated and built project."""

    project: ProjectInfo
    build: BuildResult

    @property
    def elf(self) -> Path:
        return self.build.elf

    def to_dict(self) -> dict[str, Any]:
        return {**self.project.to_dict(), **self.build.to_dict()}


def _same_project(out: Path, board: Board, model_hash: str, engine: str | None = None) -> bool:
    """Whether ``out`` holds the project of this model for this board (and, given ``engine``, the
    same kernel set and weight storage: see generate.engine_key)."""
    try:
        meta = json.loads((out / "tfcompress.json").read_text())
    except (OSError, ValueError):
        return False
    return (meta.get("board") == board.name and meta.get("model_hash") == model_hash
            and (engine is None or meta.get("engine") == engine))


def compile_model(model_path: Path | str | bytes, kernels: str = "optimized", board: Board | None = None,
                  compress_weights: bool = False) -> Any:
    """Compile a .tflite with the engine; for a ``board``, a kernel set that needs the DSP extension
    only where its core has it (the board's ``dsp`` field); ``compress_weights``: 4-bit / sparse weight
    storage where smaller (clustered / pruned layers)."""
    from tfcompress.engine.compiler import compile_tflite
    from tfcompress.engine.kernelsets import for_core

    if board is not None:
        kernels = for_core(kernels, board.dsp)
    return compile_tflite(model_path, kernels=kernels, compress_weights=compress_weights)


def build_firmware(compiled: Any, board: Board, out: Path | None = None, *, force: bool = False,
                   opt: str = "-O2") -> Firmware:
    """Generate (unless ``out`` already holds this model's project for this board) and build."""
    require_toolchain()
    model_hash = compiled.graph.model_hash
    cached = out is None  # our own cache: a stale project there is simply regenerated
    if out is None:
        out = firmware_cache_dir() / board.name / f"{model_hash}-{engine_key(compiled)}{opt.replace('-', '_')}"
    out = Path(out)
    if _same_project(out, board, model_hash, engine_key(compiled)) and not force:
        meta = json.loads((out / "tfcompress.json").read_text())
        info = ProjectInfo(out, board.name, model_hash, meta.get("estimate", {}))
    else:
        info = generate_project(compiled, board, out, force=force or cached, opt=opt)
    return Firmware(info, build_project(out))


def check_not_other_project(out: Path, board: Board, model_hash: str, force: bool) -> None:
    """Refuse to reuse a non-empty directory that holds something else, unless forced."""
    if out.exists() and any(out.iterdir()) and not force and not _same_project(out, board, model_hash):
        raise TfcError(f"{out} already exists and holds something else", "choose another --out or pass --force")
