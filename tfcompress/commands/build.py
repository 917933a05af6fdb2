"""``tfcompress build``: generate and compile firmware for a board."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tfcompress.commands.options import (
    compress_weights_option,
    force_option,
    json_option,
    kernels_option,
    opt_option,
    optimize_option,
    profile_option,
    runtime_option,
    tflm_dir_option,
)
from tfcompress.console import emit_json, format_table, log
from tfcompress.errors import TfcError


def _table(result: dict[str, Any]) -> str:
    rows = [{"region": k, "used": v["used"], "size": v["size"], "used_%": round(100 * v["used"] / v["size"], 2)}
            for k, v in result["regions"].items()]
    return format_table(rows)


@click.command("build")
@click.option("--board", required=True, help="Board name (see `tfcompress boards`).")
@click.option("--model", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="A .tflite model.")
@click.option("--run", "run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A run directory: build every MCU-deployable variant.")
@click.option("--out", type=click.Path(path_type=Path), help="Project directory (with --model).")
@opt_option
@kernels_option
@compress_weights_option
@optimize_option
@runtime_option
@tflm_dir_option
@profile_option
@force_option
@json_option
def build_cmd(board: str, model: Path | None, run_dir: Path | None, out: Path | None, opt: str | None,
              kernels: str, compress_weights: bool, optimize: str | None, runtime: str, tflm_dir: Path | None, profile: bool,
              force: bool, as_json: bool) -> None:
    """Generate and compile firmware; prints flash/RAM use per memory region."""
    from tfcompress.boards import load_board, with_optimize
    from tfcompress.project.firmware import build_firmware, check_not_other_project, prepare_model

    if (model is None) == (run_dir is None):
        raise TfcError("pass exactly one of --model or --run", "e.g. tfcompress build --board mps2-an500 --model m.tflite")
    b = with_optimize(load_board(board), optimize)
    results: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    if model is not None:
        compiled = prepare_model(model, runtime, kernels=kernels, board=b, compress_weights=compress_weights,
                                 tflm_dir=tflm_dir)
        suffix = "-tflm" if runtime == "tflm" else ""
        target = out or model.with_suffix("").parent / f"{model.stem}-{b.name}{suffix}-firmware"
        check_not_other_project(target, b, compiled.graph.model_hash, force)
        results[model.stem] = build_firmware(compiled, b, target, force=force, opt=opt, profile=profile).to_dict()
    else:
        from tfcompress.commands._firmware_args import deployable, firmware_folder, run_variants

        for variant, path in run_variants(run_dir).items():
            compiled, why = deployable(path, kernels, b, compress_weights, runtime=runtime, tflm_dir=tflm_dir)
            if compiled is None:
                skipped[variant] = why or "not deployable"
                log(f"skip {variant}: {why}")
                continue
            target = run_dir / "firmware" / b.name / firmware_folder(variant, runtime)
            check_not_other_project(target, b, compiled.graph.model_hash, force)
            log(f"building {variant} for {b.name}")
            results[variant] = build_firmware(compiled, b, target, force=force, opt=opt, profile=profile).to_dict()
    if as_json:
        emit_json({"board": b.name, "builds": results, "skipped": skipped})
        return
    for name, r in results.items():
        click.echo(f"{name}: {r['elf']}  flash {r['flash_bytes']} B, RAM {r['ram_bytes']} B ({r['opt']})")
        click.echo(_table(r))
