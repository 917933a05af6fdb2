"""``tfcompress datasets``: list the dataset sources."""

from __future__ import annotations

import click

from tfcompress.commands.options import json_option
from tfcompress.console import emit_json, format_table


@click.command("datasets")
@json_option
@click.option("--params", "show_params", is_flag=True, help="Also list each source's parameters.")
def datasets_cmd(as_json: bool, show_params: bool) -> None:
    """List dataset sources with their task, input shape and description."""
    from tfcompress.data import list_sources

    sources = list_sources()
    if as_json:
        emit_json({"sources": sources})
        return
    rows = [{"source": s["usage"], "task": s["task"], "shape": s["shape"], "description": s["description"]}
            for s in sources]
    click.echo(format_table(rows))
    if show_params:
        for s in sources:
            click.echo(f"\n{s['usage']}:")
            for name, p in s["params"].items():
                click.echo(f"  {name} ({p['type']}, default {p['default']}): {p['help']}")
    else:
        click.echo("\n(--params lists each source's parameters; set them in the recipe's [dataset.params] table)")
