"""``tfcompress sweep``: run many variations of a recipe and compare them in one report."""

from __future__ import annotations

from pathlib import Path

import click

from tfcompress.commands.options import force_option, json_option
from tfcompress.console import emit_json, log


@click.command("sweep")
@click.option("--recipe", "recipe_spec", required=True, help="Recipe file, or a built-in name (digits, ...).")
@click.option("--grid", type=click.Path(path_type=Path), default=None,
              help="TOML file with [sweep.params] (dotted recipe paths → values) [default: the recipe's [sweep]].")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Sweep directory [default: runs/<recipe name>-sweep].")
@click.option("--executor", type=click.Choice(["auto", "ray", "local"]), default="auto", show_default=True,
              help="Run trials as Ray tasks or in a local process pool (auto: Ray when installed).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Trials at once [default: this machine's cores, or the Ray cluster's CPUs].")
@click.option("--address", default=None,
              help="An existing Ray cluster: ray://HOST:PORT or 'auto' [default: start a local Ray instance].")
@click.option("--max-trials", type=click.IntRange(min=1), default=None, help="Budget (overrides [sweep] max_trials).")
@click.option("--until", type=click.Choice(["convert", "device", "report"]), default="report", show_default=True,
              help="Last pipeline step of each trial (convert: host-only numbers, no board).")
@click.option("--board", default=None, help="Override the recipe's board.")
@click.option("--retry-failed", is_flag=True, help="Run failed trials again when resuming.")
@force_option
@json_option
def sweep_cmd(recipe_spec: str, grid: Path | None, out: Path | None, executor: str, workers: int | None,
              address: str | None, max_trials: int | None, until: str, board: str | None, retry_failed: bool,
              force: bool, as_json: bool) -> None:
    """Run a design-space sweep over a recipe: one trial (a normal run directory) per point.

    Rerunning the same command resumes: finished trials are kept, the rest run.
    """
    from tfcompress.sweep.report import best_per_constraint, sweep_table
    from tfcompress.sweep.run import SweepOptions, run_sweep

    opts = SweepOptions(executor=executor, workers=workers, address=address, until=until, board=board,
                        max_trials=max_trials, force=force, retry_failed=retry_failed)
    state = run_sweep(recipe_spec, grid, out, opts)
    if as_json:
        emit_json({"dir": state["dir"], "report": state["report"], "variant": state["variant"],
                   "seconds": state["seconds"], "trials": state["trials"], "best": best_per_constraint(state)})
        return
    click.echo(sweep_table(state))
    for b in best_per_constraint(state):
        log(f"best ({b['name']}): {b['trial'] or 'no trial fits'}" + (f" {b['metric']:.4g} {b['params']}"
                                                                      if b["trial"] else ""))
    log(f"sweep: {state['dir']}/sweep.json, report: {state['report']} ({state['seconds']:.0f}s)")
