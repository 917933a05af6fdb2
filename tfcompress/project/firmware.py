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
from tfcompress.project.generate import ProjectInfo, engine_key, firmware_sources_key, generate_project


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


def _same_project(out: Path, board: Board, model_hash: str, engine: str | None = None,
                  sources: str | None = None, opt: str | None = None) -> bool:
    """Whether ``out`` holds the project of this model for this board (and, given ``engine``, the
    same kernel set and weight storage: see generate.engine_key; given ``sources``, generated from
    the same harness and board support: see generate.firmware_sources_key; given ``opt``, built at
    that optimisation level; projects from before it was recorded were -O2)."""
    try:
        meta = json.loads((out / "tfcompress.json").read_text())
    except (OSError, ValueError):
        return False
    return (meta.get("board") == board.name and meta.get("model_hash") == model_hash
            and (engine is None or meta.get("engine") == engine)
            and (sources is None or meta.get("sources") == sources)
            and (opt is None or meta.get("opt", "-O2") == opt))


def compile_model(model_path: Path | str | bytes, kernels: str = "optimized", board: Board | None = None,
                  compress_weights: bool = False) -> Any:
    """Compile a .tflite with the engine; for a ``board``, a kernel set that needs the DSP extension
    only where its core has it (the board's ``dsp`` field) and the board's speed/size preference
    (``optimize``); ``compress_weights``: 4-bit / sparse weight storage where smaller (clustered /
    pruned layers)."""
    from tfcompress.engine.compiler import compile_tflite
    from tfcompress.engine.kernelsets import for_core
    from tfcompress.engine.optimize import DEFAULT

    optimize = DEFAULT
    if board is not None:
        kernels = for_core(kernels, board.dsp)
        optimize = board.optimize
    return compile_tflite(model_path, kernels=kernels, compress_weights=compress_weights, optimize=optimize)


def prepare_model(model_path: Path | str | bytes, runtime: str = "engine", *, kernels: str = "optimized",
                  board: Board | None = None, compress_weights: bool = False,
                  tflm_dir: Path | str | None = None) -> Any:
    """What a firmware project is generated from: the engine's compiled model, or for
    ``runtime="tflm"`` the model prepared for TensorFlow Lite Micro from the tree ``tflm_dir``
    (default ``$TFLM_DIR``; see :mod:`tfcompress.project.tflm`)."""
    if runtime == "tflm":
        from tfcompress.project.tflm import prepare_tflm, resolve_tree

        return prepare_tflm(model_path, resolve_tree(tflm_dir))
    return compile_model(model_path, kernels, board=board, compress_weights=compress_weights)


def build_firmware(compiled: Any, board: Board, out: Path | None = None, *, force: bool = False,
                   opt: str | None = None, profile: bool = False, debug: dict[str, Any] | None = None) -> Firmware:
    """Generate (unless ``out`` already holds this model's project for this board) and build;
    ``opt``: the compiler optimisation level (None: the one the board's ``optimize`` preference picks,
    engine/optimize.py ``OPT_LEVELS``); ``profile``: a profiling build (per-op counter ticks, the harness's PROFILE request); ``debug``:
    the debug build (see :func:`tfcompress.engine.debug.device_debug_build`)."""
    from tfcompress.engine.optimize import opt_level

    require_toolchain()
    opt = opt_level(board.optimize, opt)
    model_hash = compiled.graph.model_hash
    cached = out is None  # our own cache: a stale project there is simply regenerated
    sources = firmware_sources_key()
    ekey = engine_key(compiled, profile, debug)
    if out is None:  # one folder per firmware sources, so tfcompress versions never share a project
        out = (firmware_cache_dir() / board.name
               / f"{model_hash}-{ekey}{opt.replace('-', '_')}-{sources[:8]}")
    out = Path(out)
    if (not cached and not force and _same_project(out, board, model_hash, ekey)
            and not _same_project(out, board, model_hash, sources=sources)):
        raise TfcError(f"{out} holds this model's firmware generated by another version of tfcompress's serial "
                       "harness or board support", "pass --force to regenerate it")
    if _same_project(out, board, model_hash, ekey, sources, opt) and not force:
        meta = json.loads((out / "tfcompress.json").read_text())
        info = ProjectInfo(out, board.name, model_hash, meta.get("estimate", {}), meta.get("runtime", "engine"),
                           bool(meta.get("profile", False)), meta.get("opt", "-O2"))
    else:
        info = generate_project(compiled, board, out, force=True if _same_project(out, board, model_hash, ekey, sources)
                                else force or cached, opt=opt, profile=profile, debug=debug)
    return Firmware(info, build_project(out))


def check_not_other_project(out: Path, board: Board, model_hash: str, force: bool) -> None:
    """Refuse to reuse a non-empty directory that holds something else, unless forced."""
    if out.exists() and any(out.iterdir()) and not force and not _same_project(out, board, model_hash):
        raise TfcError(f"{out} already exists and holds something else", "choose another --out or pass --force")
