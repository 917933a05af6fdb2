"""``tfcompress evaluate``: run the test split on a (possibly emulated) board."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tfcompress.commands.options import (
    compress_weights_option,
    farm_option,
    force_option,
    jobs_option,
    json_option,
    kernels_option,
    optimize_option,
    profile_option,
    runtime_option,
    tflm_dir_option,
)
from tfcompress.console import emit_json, format_table, log
from tfcompress.errors import TfcError

DATASET = Path("data") / "dataset.npz"


def _row(name: str, r: dict[str, Any]) -> dict[str, Any]:
    lat = r["latency"]
    return {
        "variant": name, "runtime": r.get("runtime", "engine"), "samples": r["samples"], "metric": r.get("metric"),
        "value": r.get("metric_value"),
        "agreement_%": None if r["agreement"] is None else round(100 * r["agreement"], 2),
        "latency": None if lat.get("median") is None else round(lat["median"]), "unit": lat["unit"], "flash_B": r["flash_bytes"], "ram_B": r["ram_bytes"],
    }


@click.command("evaluate")
@click.option("--board", help="Board name (see `tfcompress boards`); with --farm: the farm's board.")
@click.option("--port", help="Serial port or URL (/dev/ttyACM0, socket://host:port). Emulated boards: omit.")
@click.option("--model", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="A .tflite model.")
@click.option("--data", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An .npz with x_test (and y_test), or a dataset saved by tfcompress.")
@click.option("--run", "run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A run directory: evaluate its deployable variants on its test split.")
@click.option("--variant", help="Only this variant (with --run).")
@click.option("--limit", type=int, help="Evaluate only the first N test samples.")
@click.option("--repeat", default=1, show_default=True, help="Timed runs per sample (latency = minimum).")
@click.option("--warmup", default=0, show_default=True, help="Untimed runs per sample before timing.")
@click.option("--output", "output", metavar="NAME|INDEX",
              help="The model output the metric is computed from (tensor name or index; default 0). "
                   "Agreement with TFLM always counts every output.")
@kernels_option
@compress_weights_option
@optimize_option
@runtime_option
@tflm_dir_option
@profile_option
@jobs_option
@farm_option
@force_option
@json_option
def evaluate_cmd(board: str | None, port: str | None, model: Path | None, data: Path | None, run_dir: Path | None,
                 variant: str | None, limit: int | None, repeat: int, warmup: int, output: str | None, kernels: str,
                 compress_weights: bool, optimize: str | None, runtime: str, tflm_dir: Path | None, profile: bool,
                 jobs: int | None, farm: tuple[str, ...], force: bool, as_json: bool) -> None:
    """Stream the test split to the board; report metric, agreement with TFLM, latency, flash and RAM.

    An interrupted evaluation resumes where it stopped when rerun (--force starts over). With --run,
    several variants are built and measured at a time (--jobs emulators, or the --farm's boards).
    """
    from tfcompress.boards import load_board, with_optimize
    from tfcompress.harness.batch import EvalJob, evaluate_jobs
    from tfcompress.harness.pool import pick_devices

    board, devices = pick_devices(board, port=port, jobs=jobs, farm=farm)
    b = with_optimize(load_board(board), optimize)
    work: list[EvalJob] = []
    if run_dir is not None:
        if model is not None:
            raise TfcError("pass either --run or --model, not both", "see tfcompress evaluate --help")
        from tfcompress.commands._firmware_args import deployable, firmware_folder, run_variants

        ds = data or run_dir / DATASET
        for name, path in run_variants(run_dir, variant).items():
            _, why = deployable(path, kernels, b, compress_weights, runtime=runtime, tflm_dir=tflm_dir)
            if why:
                log(f"skip {name}: {why}")
                continue
            work.append(EvalJob(name, path, ds, run_dir / "firmware" / b.name / firmware_folder(name, runtime)))
    else:
        if model is None or data is None:
            raise TfcError("pass --model M.tflite with --data FILE.npz, or --run RUN_DIR",
                           "e.g. tfcompress evaluate --board mps2-an500 --model m.tflite --data test.npz")
        work.append(EvalJob(model.stem, model, data))
    reports = evaluate_jobs(b, work, devices, limit=limit, force=force, warmup=warmup, repeat=repeat,
                            kernels=kernels, compress_weights=compress_weights, output=output, runtime=runtime,
                            tflm_dir=tflm_dir, profile=profile)
    if as_json:
        emit_json({"board": b.name, "results": reports})
        return
    click.echo(format_table([_row(n, r) for n, r in reports.items()]))
    from tfcompress.harness.profile import format_layers

    for name, r in reports.items():
        if r.get("layers"):
            click.echo(f"{name}: per op, last sample ({r['profile']['unit']}):")
            click.echo(format_table(format_layers(r["layers"], r["profile"]["unit"])))
