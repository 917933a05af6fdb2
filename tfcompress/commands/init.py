"""``tfcompress init``: write an example recipe."""

from __future__ import annotations

from pathlib import Path

import click

from tfcompress.commands.options import force_option
from tfcompress.console import log
from tfcompress.errors import TfcError
from tfcompress.recipe import DEFAULT_TEMPLATE, TEMPLATES, template_text


@click.command("init")
@click.option(
    "--template",
    type=click.Choice(TEMPLATES),
    default=DEFAULT_TEMPLATE,
    show_default=True,
    help="Which example recipe to write.",
)
@click.option("--out", "out", type=click.Path(path_type=Path), default=None, help="File to write [default: <template>.toml].")
@force_option
def init_cmd(template: str, out: Path | None, force: bool) -> None:
    """Write an example recipe file to edit and run."""
    path = out or Path(f"{template}.toml")
    if path.exists() and not force:
        raise TfcError(f"'{path}' already exists", "pass --force to overwrite it, or choose another --out")
    path.write_text(template_text(template))
    log(f"wrote {path} — next: tfcompress pipeline --recipe {path}")
    click.echo(str(path))
