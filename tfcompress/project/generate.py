"""Generate a self-contained firmware project for a board from a compiled model."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tfcompress.boards import Board
from tfcompress.errors import TfcError
from tfcompress.project.sizecheck import check_fits, parse_model_header
from tfcompress.resources import firmware_root, template_env
from tfcompress.textsafe import PATH_COMPONENT_RULE, is_path_component, show

HARNESS_FILES = ("tfc_proto.c", "tfc_proto.h", "harness_main.c")
COMMON_BOARD_FILES = ("startup.c", "board_init.c", "tfc_board.h", "cortexm.h", "stm32_regs.h", "cmsdk_regs.h")


class WritableModel(Protocol):
    """What the engine's CompiledModel offers."""

    def write(self, out_dir: Path) -> Any: ...


@dataclass
class ProjectInfo:
    """A generated project."""

    path: Path
    board: str
    model_hash: str
    estimate: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "board": self.board, "model_hash": self.model_hash,
                "estimate": self.estimate}


def board_sources(board: Board) -> list[str]:
    """The board-support files a board needs, chosen by its data."""
    exit_impl = "exit_semihosting.c" if board.emulated else "exit_park.c"
    return [
        *COMMON_BOARD_FILES,
        f"uart_{board.uart.driver}.c",
        f"counter_{board.counter.kind}.c",
        exit_impl,
    ]


def _prepare_out(out: Path, force: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not force:
            raise TfcError(f"{out} already exists and is not empty", "choose another --out or pass --force")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def _copy_model(model: WritableModel | Path, out: Path) -> int | None:
    """Put model.c, model.h and engine/ into ``out``; return the engine's weight bytes if known."""
    if isinstance(model, (str, Path)):
        src = Path(model)
        for name in ("model.c", "model.h"):
            if not (src / name).is_file():
                raise TfcError(f"{src} has no {name}", "pass a directory written by CompiledModel.write()")
            shutil.copy2(src / name, out / name)
        if (src / "engine").is_dir():
            shutil.copytree(src / "engine", out / "engine")
        return None
    model.write(out)
    return getattr(model, "weights_bytes", None)


def engine_key(model: Any) -> str:
    """How the engine compiled ``model`` (kernel set, compressed weights): part of a project's identity."""
    kernels = getattr(model, "kernels", "?")
    return f"{kernels}+compressed" if getattr(model, "compress_weights", False) else str(kernels)


def generate_project(
    model: WritableModel | Path,
    board: Board,
    out: Path,
    *,
    force: bool = False,
    opt: str = "-O2",
) -> ProjectInfo:
    """Write the project for ``board`` into ``out`` (never over an existing one without ``force``);
    a project that fails half-way is removed."""
    out = Path(out)
    for name in (board.name, *board_sources(board)):  # they become file names
        if not is_path_component(name):
            raise TfcError(f"board {show(board.name)} gives the file name {show(name)}",
                           f"board names, uart.driver and counter.kind may use {PATH_COMPONENT_RULE}")
    _prepare_out(out, force)
    try:
        return _write_project(model, board, out, opt)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise


def _write_project(model: WritableModel | Path, board: Board, out: Path, opt: str) -> ProjectInfo:
    weights = _copy_model(model, out)
    (out / "engine").mkdir(exist_ok=True)
    estimate = check_fits(board, out, weights_bytes=weights)
    fw = firmware_root()
    (out / "harness").mkdir()
    for name in HARNESS_FILES:
        shutil.copy2(fw / "harness" / name, out / "harness" / name)
    (out / "board").mkdir()
    srcs = board_sources(board)
    for name in srcs:
        shutil.copy2(fw / "board" / name, out / "board" / name)

    # a model directory given by the user may hold any model.h: the hash is escaped where it is written
    model_hash = parse_model_header(out / "model.h").get("TFC_MODEL_HASH", '"?"').strip('"')
    env = template_env()
    ctx = {
        "board": board,
        "model_hash": model_hash,
        "opt": opt,
        "harness_sources": [f"harness/{n}" for n in HARNESS_FILES if n.endswith(".c")],
        "board_sources": [f"board/{n}" for n in srcs if n.endswith(".c")],
    }
    outputs = {
        "main.c.j2": "main.c",
        "board_config.h.j2": "board_config.h",
        "linker.ld.j2": "linker.ld",
        "Makefile.j2": "Makefile",
        "README.md.j2": "README.md",
    }
    if board.renode:
        outputs["renode.resc.j2"] = f"{board.name}.resc"
    for template, name in outputs.items():
        (out / name).write_text(env.get_template(f"project/{template}").render(**ctx), encoding="utf-8")
    info = ProjectInfo(path=out, board=board.name, model_hash=model_hash, estimate=estimate)
    meta = dict(info.to_dict(), engine=engine_key(model))
    (out / "tfcompress.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return info
