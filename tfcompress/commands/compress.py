"""``tfcompress compress``: prune, sweep, channel-prune, cluster or QAT-train a Keras model."""

from __future__ import annotations

from pathlib import Path

import click

from tfcompress.commands.options import force_option, json_option
from tfcompress.console import Stopwatch, emit_json, format_table, log


def _technique(prune: float | None, sweep: str | None, channels: float | None, cluster: str | None,
               qat: str | None) -> str:
    from tfcompress.errors import TfcError

    chosen = [n for n, v in (("prune", prune), ("sweep", sweep), ("channels", channels), ("cluster", cluster),
                             ("qat", qat)) if v is not None]
    if len(chosen) != 1:
        raise TfcError("choose exactly one technique",
                       "pass one of --prune, --sweep, --channels, --cluster or --qat")
    return chosen[0]


@click.command("compress")
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--dataset", required=True, help="Dataset source (see `tfcompress datasets`).")
@click.option("--prune", type=float, default=None, help="Prune to this sparsity (e.g. 0.75).")
@click.option("--schedule", type=click.Choice(["constant", "polynomial", "both"]), default="constant",
              show_default=True, help="Pruning schedule (both: sweep only).")
@click.option("--structured", default=None, help="M:N structured sparsity, e.g. 2:4 (Conv2D/Dense).")
@click.option("--skip-first/--no-skip-first", default=False, help="Leave the first weighted layer dense.")
@click.option("--skip-last/--no-skip-last", default=False, help="Leave the last weighted layer dense.")
@click.option("--sweep", default=None, help="Sparsity sweep START:STOP:STEP, e.g. 0.10:0.90:0.05.")
@click.option("--tolerance", type=float, default=0.01, show_default=True,
              help="Sweep: allowed metric loss vs baseline for the best point.")
@click.option("--channels", type=float, default=None, help="Remove this fraction of conv filters.")
@click.option("--cluster", default=None, help="Cluster weights: N clusters or 'auto'.")
@click.option("--init", "init", type=click.Choice(["kmeans++", "linear", "density", "random"]),
              default="kmeans++", show_default=True, help="Centroid initialisation.")
@click.option("--preserve-sparsity", is_flag=True, help="Clustering keeps existing zeros.")
@click.option("--id-method", type=click.Choice(["twonn", "pca"]), default="twonn", show_default=True,
              help="Intrinsic-dimension estimator for --cluster auto.")
@click.option("--qat", type=click.Choice(["qat", "pqat", "cqat", "pcqat"]), default=None,
              help="Quantization-aware training scheme.")
@click.option("--epochs", type=int, default=None, help="Fine-tuning epochs [stage default].")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output directory.")
@force_option
@json_option
def compress_cmd(model: Path, dataset: str, prune: float | None, schedule: str, structured: str | None,
                 skip_first: bool, skip_last: bool, sweep: str | None, tolerance: float,
                 channels: float | None, cluster: str | None, init: str, preserve_sparsity: bool,
                 id_method: str, qat: str | None, epochs: int | None, seed: int, out: Path, force: bool,
                 as_json: bool) -> None:
    """Compress MODEL (.keras/.h5) and write OUT/model.h5 + metrics.json."""
    from tfcompress.compress.methods import METHODS
    from tfcompress.compress.outputs import METRICS_FILE, guard_out_dir, load_named_dataset, write_stage
    from tfcompress.errors import TfcError
    from tfcompress.modelio import STAGE_MODEL_NAME, load_model

    technique = _technique(prune, sweep, channels, cluster, qat)
    if schedule == "both" and technique != "sweep":
        raise TfcError("--schedule both only applies to --sweep", "choose constant or polynomial")
    method = METHODS["prune" if technique == "sweep" else technique]
    # the options of each method, as its parameters (only the chosen method's are read)
    options = {
        "prune": lambda: {"sparsity": prune or 0.5, "schedule": "constant" if schedule == "both" else schedule,
                          "skip_first": skip_first, "skip_last": skip_last, "m_by_n": _m_by_n(structured)},
        "channels": lambda: {"fraction": channels},
        "cluster": lambda: {"clusters": "auto" if cluster == "auto" else _int(cluster), "init": init,
                            "preserve_sparsity": preserve_sparsity, "id_method": id_method},
        "qat": lambda: {"scheme": qat},
    }
    params = method.params(**options[method.name](), **({"epochs": epochs} if epochs is not None else {}))
    extra = ["sweep.csv", "sweep.json", "sweep.png"] if technique == "sweep" else []
    guard_out_dir(out, [STAGE_MODEL_NAME, METRICS_FILE, *extra], force)
    ds = load_named_dataset(dataset, seed)
    keras_model = load_model(model)
    summary: dict = {}
    with Stopwatch(f"compress {model} ({technique}) → {out}"):
        if technique == "sweep":
            from tfcompress.compress.sweep import parse_sweep, save_sweep
            from tfcompress.compress.sweep import sweep as run_sweep

            schedules = ("constant", "polynomial") if schedule == "both" else (schedule,)
            sw = run_sweep(keras_model, ds, parse_sweep(sweep or ""), schedules=schedules, base=params,
                           tolerance=tolerance, seed=seed)
            paths = save_sweep(sw, out)
            result = sw.best_result
            summary["sweep"] = {**sw.to_dict(), "files": {k: str(v) for k, v in paths.items()}}
            if not as_json:
                click.echo(format_table(sw.rows))
                best = sw.rows[sw.best]
                click.echo(f"best: {best['schedule']} {best['target']:.2f} — {sw.best_reason}")
        else:
            result = method.run(keras_model, ds, params, seed=seed)
        files = write_stage(result, out)
    summary = {**result.to_dict(), **summary, "files": {k: str(v) for k, v in files.items()}}
    if as_json:
        emit_json(summary)
        return
    click.echo(format_table([r.to_dict() for r in result.layers]))
    m = result.metrics
    click.echo(f"{m['metric']}: {m['value']:.4g} (baseline {m['baseline']:.4g})"
               + (f", sparsity {m['sparsity']:.3f}" if "sparsity" in m else "")
               + f", params {m['params']}")
    log(f"model saved to {files['model']}")


def _m_by_n(text: str | None) -> tuple[int, int] | None:
    from tfcompress.errors import TfcError
    from tfcompress.recipe import parse_m_by_n

    try:
        return parse_m_by_n(text) if text else None
    except ValueError as err:
        raise TfcError(f"bad --structured '{text}'", "write M:N with 0 < M < N, e.g. 2:4") from err


def _int(text: str | None) -> int:
    from tfcompress.errors import TfcError

    try:
        return int(text or "")
    except ValueError as err:
        raise TfcError(f"bad --cluster '{text}'", "pass a cluster count such as 16, or 'auto'") from err
