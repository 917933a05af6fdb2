"""``tfcompress report``: write the HTML report of a run directory."""

from __future__ import annotations

import webbrowser
from pathlib import Path

import click

from tfcompress.commands.options import force_option, json_option
from tfcompress.console import emit_json, log


@click.command("report")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), default=None,
              help="HTML file to write [default: RUN_DIR/report.html].")
@click.option("--open", "open_", is_flag=True, help="Open the report in a web browser.")
@json_option
@force_option
def report_cmd(run_dir: Path, out: Path | None, open_: bool, as_json: bool, force: bool) -> None:
    """Write one self-contained HTML report (table, plots, per-layer stats, timings) of RUN_DIR.

    Reads RUN_DIR/results.json (written by `tfcompress pipeline`), prints the results
    table on stderr, writes the plots to RUN_DIR/plots/, the raw table to
    RUN_DIR/results.csv and the report (plots embedded) to RUN_DIR/report.html or --out,
    then prints the report's path. A file that is not a previous report is only
    replaced with --force.
    """
    from tfcompress.report import build_report, load_results, results_table

    log(results_table(load_results(run_dir)))
    rep = build_report(run_dir, out, force=force)
    log(f"wrote {rep.path} ({len(rep.plots)} plots, table in {rep.csv})")
    if open_:
        webbrowser.open(rep.path.resolve().as_uri())
    if as_json:
        emit_json({"report": str(rep.path), "plots": [str(p) for p in rep.plots], "csv": str(rep.csv)})
    else:
        click.echo(str(rep.path))
