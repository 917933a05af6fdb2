"""``tfcompress generate``: write a self-contained firmware project for a board."""

from __future__ import annotations

from pathlib import Path

import click

from tfcompress.commands.options import (
    compress_weights_option,
    force_option,
    json_option,
    kernels_option,
    opt_option,
    optimize_option,
    runtime_option,
    tflm_dir_option,
)
from tfcompress.console import emit_json, log


@click.command("generate")
@click.argument("model", type=click.Path(exists=True, path_type=Path))
@click.option("--board", required=True, help="Board name (see `tfcompress boards`).")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Project directory to create.")
@opt_option
@kernels_option
@compress_weights_option
@optimize_option
@runtime_option
@tflm_dir_option
@force_option
@json_option
def generate_cmd(model: Path, board: str, out: Path, opt: str | None, kernels: str, compress_weights: bool, optimize: str | None, runtime: str,
                 tflm_dir: Path | None, force: bool, as_json: bool) -> None:
    """Generate the firmware project for MODEL (.tflite, or a directory with model.c/model.h/engine/).

    With --runtime tflm the project runs MODEL (a .tflite) with TensorFlow Lite Micro built from
    the tree --tflm-dir, behind the same serial harness as the engine."""
    from tfcompress.boards import load_board, with_optimize
    from tfcompress.errors import TfcError
    from tfcompress.project import generate_project

    b = with_optimize(load_board(board), optimize)
    src = model
    if runtime == "tflm" and not model.is_file():
        raise TfcError(f"{model} is not a .tflite file", "--runtime tflm generates a project from a .tflite model")
    if model.is_file():
        from tfcompress.project.firmware import prepare_model

        src = prepare_model(model, runtime, kernels=kernels, board=b, compress_weights=compress_weights,
                            tflm_dir=tflm_dir)
    info = generate_project(src, b, out, force=force, opt=opt)
    if as_json:
        emit_json(info.to_dict())
        return
    log(f"generated {b.name} project ({info.runtime}, {info.opt}) for model {info.model_hash} in {out}")
    click.echo(f"{out}  (build: make -C {out})")
