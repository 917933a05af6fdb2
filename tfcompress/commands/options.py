"""Click options shared by several commands."""

from __future__ import annotations

import click

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object on stdout (logs go to stderr)."
)
force_option = click.option("--force", is_flag=True, help="Overwrite existing outputs.")
