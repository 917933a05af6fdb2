"""``tfcompress convert``: TFLite variants of a model, evaluated on the host, with the variant table."""

from __future__ import annotations

from pathlib import Path

import click

from tfcompress.commands.options import force_option, json_option
from tfcompress.console import Stopwatch, emit_json, log


@click.command("convert")
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--dataset", required=True, help="Dataset source (see `tfcompress datasets`).")
@click.option("--modes", default=None,
              help="Comma-separated: float32,dynamic,float16,int8,int16x8,qat-int8 "
                   "[default: all PTQ modes; qat-int8 for QAT models].")
@click.option("--representative", type=int, default=200, show_default=True,
              help="Calibration samples (training split) for int8/int16x8.")
@click.option("--label", default=None, help="Stage name for variant names (qat-int8 -> LABEL-int8).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output directory.")
@force_option
@json_option
def convert_cmd(model: Path, dataset: str, modes: str | None, representative: int, label: str | None,
                seed: int, out: Path, force: bool, as_json: bool) -> None:
    """Convert MODEL to .tflite variants: OUT/<variant>/model.tflite + metrics.json and the table."""
    from tfcompress.compress.finetune import higher_is_better
    from tfcompress.compress.outputs import guard_out_dir, load_named_dataset, stage_label
    from tfcompress.convert.modes import parse_modes
    from tfcompress.convert.run import convert_all, variant_name
    from tfcompress.convert.table import format_variant_table, save_table, table_rows
    from tfcompress.modelio import is_qat_model, load_model

    keras_model = load_model(model)
    mode_list = parse_modes(modes, is_qat_model(keras_model))
    label = label or stage_label(model)
    guard_out_dir(out, [f"{variant_name(m, label)}/model.tflite" for m in mode_list] + ["variants.csv"], force)
    ds = load_named_dataset(dataset, seed)
    with Stopwatch(f"convert {model} → {out} ({', '.join(mode_list)})"):
        records = convert_all(keras_model, ds, mode_list, out, label=label, representative_n=representative,
                              seed=seed)
    hib = higher_is_better(ds.metric)
    rows = table_rows(records, hib)
    paths = save_table(rows, out, ds.metric, hib)
    if as_json:
        emit_json({"metric": ds.metric, "variants": records, "files": {k: str(v) for k, v in paths.items()}})
        return
    click.echo(format_variant_table(rows))
    log(f"table saved to {paths['csv']}, {paths['json']}, {paths['png']}")
