"""``tfcompress ops``: every op x type the engine compiles (like TFLM's op resolver list)."""

from __future__ import annotations

import click

from tfcompress.commands.options import json_option
from tfcompress.console import emit_json, format_table


@click.command("ops")
@click.option("--markdown", is_flag=True, help="Print the Markdown table the README embeds.")
@json_option
def ops_cmd(markdown: bool, as_json: bool) -> None:
    """List the ops the engine compiles, with their types. `inspect MODEL` checks a model's ops."""
    from tfcompress.engine import optable_doc

    rows = optable_doc.op_rows()
    if as_json:
        emit_json({"ops": rows, "count": len(rows)})
        return
    if markdown:
        click.echo(optable_doc.markdown())
        return
    click.echo(format_table([dict(op=r["op"], types=", ".join(r["types"]), notes=r["notes"]) for r in rows],
                            ["op", "types", "notes"]))
    click.echo(f"{len(rows)} ops; `tfcompress inspect MODEL.tflite` says which ops of a model compile.")
