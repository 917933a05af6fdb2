"""``tfcompress train``: the dataset, teacher and baseline steps of a recipe."""

from __future__ import annotations

from pathlib import Path

import click

from tfcompress.commands.options import force_option, json_option
from tfcompress.console import Stopwatch, emit_json, log


@click.command("train")
@click.option("--recipe", "recipe_spec", required=True, help="Recipe file, or a built-in name (default, eye-gaze, gaze-zones, digits, detection).")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Run directory [default: runs/<recipe name>].")
@force_option
@json_option
def train_cmd(recipe_spec: str, out: Path | None, force: bool, as_json: bool) -> None:
    """Train the recipe's model (a teacher first when the recipe distils).

    Reruns skip finished work; an interrupted run resumes from its last epoch.
    """
    from tfcompress.pipeline import open_run
    from tfcompress.pipeline.data_steps import data_step
    from tfcompress.pipeline.train_steps import baseline_step, teacher_step
    from tfcompress.recipe import load_recipe

    recipe = load_recipe(recipe_spec)
    run = open_run(recipe, out, force=force)
    with Stopwatch(f"train {recipe.name} → {run.root}"):
        data = data_step(run, recipe)
        teacher = teacher_step(run, recipe, data)
        baseline = baseline_step(run, recipe, data, teacher)
    m = baseline.metrics()
    result = {
        "metric": m["metric"],
        "value": m["value"],
        "split": "test",
        "val_value": m.get("val_value"),
        "model": m.get("model"),
        "params": m.get("params"),
        "int8_weight_bytes": m.get("int8_weight_bytes"),
        "epochs_run": m.get("epochs_run"),
        "seconds": m.get("seconds"),
        "run_dir": str(run.root),
        "model_file": str(baseline.dir / "model.keras"),
    }
    if teacher is not None:
        result["teacher"] = {"metric": teacher.metrics()["metric"], "value": teacher.metrics()["value"]}
    if as_json:
        emit_json(result)
    else:
        log(f"model saved to {result['model_file']}")
        click.echo(f"test {result['metric']}: {result['value']:.4g}  ({result['int8_weight_bytes']} B int8 weights)")
