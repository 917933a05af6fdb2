"""``tfcompress pipeline``: a recipe end to end, from training to on-device numbers."""

from __future__ import annotations

from pathlib import Path

import click

from tfcompress.commands.options import farm_option, force_option, jobs_option, json_option
from tfcompress.console import emit_json, log


@click.command("pipeline")
@click.option("--recipe", "recipe_spec", default="default", show_default=True,
              help="Recipe file, or a built-in name (default = eye-gaze, gaze-zones, digits, detection).")
@click.option("--board", default=None, help="Override the recipe's board (see `tfcompress boards`).")
@click.option("--port", default=None, help="Serial port of a real board (e.g. /dev/ttyACM0); emulated boards need none.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Run directory [default: runs/<recipe name>].")
@click.option("--until", type=click.Choice(["train", "compress", "convert", "device", "report"]), default="report",
              show_default=True, help="Stop after this step.")
@click.option("--runtime", "runtime", default=None, metavar="engine|tflm|engine,tflm",
              help="Override the recipe's board.runtime: measure each variant with tfcompress's engine, "
                   "TensorFlow Lite Micro, or both side by side (TFLM also runs what the engine cannot compile).")
@click.option("--tflm-dir", type=click.Path(path_type=Path), default=None,
              help="TensorFlow Lite Micro tree made by create_tflm_tree.py [default: the recipe's board.tflm_dir, "
                   "else $TFLM_DIR].")
@jobs_option
@farm_option
@force_option
@json_option
def pipeline_cmd(recipe_spec: str, board: str | None, port: str | None, out: Path | None, until: str,
                 runtime: str | None, tflm_dir: Path | None, jobs: int | None, farm: tuple[str, ...], force: bool,
                 as_json: bool) -> None:
    """Train → compress → convert → generate + build firmware → run on the board → results.

    Finished stages are skipped (by content fingerprint), interrupted ones resume,
    and only the stages affected by a recipe change are redone.
    """
    from tfcompress.pipeline.run import run_pipeline, summary_table
    from tfcompress.recipe import load_recipe
    from tfcompress.runtimes import parse_runtimes

    recipe = load_recipe(recipe_spec)
    runtimes = parse_runtimes(runtime) if runtime else None
    results = run_pipeline(recipe, out=out, board_name=board, port=port, force=force, until=until,
                           runtimes=runtimes, tflm_dir=tflm_dir, jobs=jobs, farm=farm)
    if as_json:
        emit_json(results)
        return
    if "variants" in results:
        click.echo(summary_table(results))
        log(f"results: {results['run_dir']}/results.json" + (f", report: {results['report']}" if "report" in results else ""))
        log(f"total time: {results['timings'].get('total', 0):.0f}s")
    else:
        click.echo(f"done: {results['run_dir']}")
