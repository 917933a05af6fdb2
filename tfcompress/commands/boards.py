"""``tfcompress boards``: list the supported boards."""

from __future__ import annotations

import click

from tfcompress.commands.options import json_option
from tfcompress.console import emit_json, format_table


@click.command("boards")
@json_option
def boards_cmd(as_json: bool) -> None:
    """List boards: core, FPU, flash, RAM, clock, emulated or not."""
    from tfcompress.boards import list_boards, load_board

    rows = [load_board(n).summary() for n in list_boards()]
    if as_json:
        emit_json({"boards": rows})
        return
    click.echo(format_table(rows, ["name", "mcu", "core", "fpu", "flash_kb", "ram_kb", "clock_mhz", "emulated"]))
