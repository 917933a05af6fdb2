"""``tfcompress models``: list the model zoo (optionally sized for an input shape)."""

from __future__ import annotations

import click

from tfcompress.commands.options import json_option
from tfcompress.console import emit_json, format_table
from tfcompress.errors import TfcError
from tfcompress.tasks import TASKS


def _parse_shape(text: str) -> tuple[int, int, int]:
    try:
        dims = tuple(int(d) for d in text.lower().replace(",", "x").split("x"))
    except ValueError:
        dims = ()
    if len(dims) != 3 or min(dims) < 1:
        raise TfcError(f"bad input shape '{text}'", "write it as HxWxC, e.g. 64x64x1")
    return dims  # type: ignore[return-value]


@click.command("models")
@click.option("--input-shape", help="Also build each model for this HxWxC input and show its size.")
@click.option("--outputs", default=10, show_default=True, help="Classes/targets used with --input-shape.")
@click.option("--task", type=click.Choice(list(TASKS)), default="classification",
              show_default=True, help="Head used with --input-shape.")
@click.option("--width", default=1.0, show_default=True, help="Width multiplier used with --input-shape.")
@json_option
def models_cmd(input_shape: str | None, outputs: int, task: str, width: float, as_json: bool) -> None:
    """List the model zoo (names, blocks, description)."""
    from tfcompress.models import list_models

    rows = [e.to_dict() for e in list_models()]
    if input_shape:
        from tfcompress.models import build_model, int8_weight_bytes

        shape = _parse_shape(input_shape)
        for row in rows:
            model = build_model(row["name"], shape, outputs, task, width=width)
            row["params"] = model.count_params()
            row["int8_kb"] = round(int8_weight_bytes(model) / 1024, 1)
    if as_json:
        emit_json({"models": rows})
        return
    cols = ["name", "blocks"] + (["params", "int8_kb"] if input_shape else []) + ["description"]
    click.echo(format_table(rows, cols))
