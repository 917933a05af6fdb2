"""``tfcompress import``: convert an ONNX model (e.g. from ``torch.onnx.export``) to a tf_keras model."""

from __future__ import annotations

from pathlib import Path

import click

from tfcompress.commands.options import force_option, json_option
from tfcompress.console import emit_json, log


@click.command("import")
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Keras model file to write (.keras or .h5) [default: MODEL with the suffix .keras].")
@force_option
@json_option
def import_cmd(model: Path, out: Path | None, force: bool, as_json: bool) -> None:
    """Convert the ONNX model MODEL to a tf_keras model that every other command accepts.

    NCHW tensors become NHWC (the Keras input is height x width x channels); an operator
    that cannot be converted stops the import with the ONNX node's name and op.
    """
    from tfcompress.importer.save import import_to_file

    log(f"importing {model}")
    result = import_to_file(model, out or model.with_suffix(".keras"), force=force)
    if as_json:
        emit_json(result)
        return
    layers = ", ".join(f"{n} {k}" for k, n in sorted(result["layers"].items()))
    click.echo(f"saved {result['model_file']}: input {result['inputs']}, output {result['outputs']}, "
               f"{result['params']} parameters ({layers})")
