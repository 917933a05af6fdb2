"""``tfcompress flash``: flash built firmware with openocd, st-flash or pyocd."""

from __future__ import annotations

from pathlib import Path

import click

from tfcompress.console import log


@click.command("flash")
@click.option("--board", required=True, help="Board name (see `tfcompress boards`).")
@click.option("--elf", type=click.Path(path_type=Path), default=Path("firmware.elf"), show_default=True,
              help="The built firmware (firmware.bin beside it is used by st-flash).")
@click.option("--tool", type=click.Choice(["openocd", "st-flash", "pyocd"]), help="Flashing tool (default: first installed).")
@click.option("--dry-run", is_flag=True, help="Print the command instead of running it.")
def flash_cmd(board: str, elf: Path, tool: str | None, dry_run: bool) -> None:
    """Flash ELF onto BOARD through its debug probe."""
    from tfcompress.boards import load_board
    from tfcompress.project.flash import flash, flash_command, pick_tool

    b = load_board(board)
    if dry_run:
        click.echo(" ".join(flash_command(b, elf, pick_tool(b, tool))))
        return
    cmd = flash(b, elf, tool)
    log(f"flashed {elf} with: {' '.join(cmd)}")
