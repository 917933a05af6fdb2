"""`tfcompress inspect MODEL.tflite`: ops, tensors, quantisation, memory plan, RAM and weights."""

from __future__ import annotations

import click

from tfcompress.commands.options import compress_weights_option, json_option, kernels_option
from tfcompress.console import emit_json, format_table


def _shape(s: list[int]) -> str:
    return "x".join(str(d) for d in s) or "scalar"


def _quant(t: dict) -> str:
    if "scales" in t:
        return f"per-channel[{len(t['scales'])}] dim {t['quantized_dimension']}"
    return f"s={t['scale']:.6g} zp={t['zero_point']}" if t.get("scale") else "-"


@click.command("inspect")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--memory", "memory", is_flag=True, help="Memory timeline from the static plan: the arena "
              "buffers live at each op (offset, size), the op where RAM peaks and the tensors that make "
              "it, flash per op.")
@click.option("--float-model", type=click.Path(dir_okay=False), help="Per-layer quantisation error of MODEL "
              "(int8 / int16x8) against its float model (the float .tflite or the Keras model it was "
              "converted from): RMSE in LSBs of each layer's output and correlation, worst layers first.")
@click.option("--data", type=click.Path(dir_okay=False), help="With --float-model: .npz of real-valued inputs "
              "(x / x_test, or x0, x1, ...); else random inputs over each input's quantised range.")
@click.option("--samples", default=32, show_default=True, type=click.IntRange(1),
              help="With --float-model: number of inputs.")
@click.option("--seed", default=0, show_default=True, help="With --float-model: seed of the random inputs.")
@kernels_option
@compress_weights_option
@json_option
def inspect_cmd(model: str, memory: bool, float_model: str | None, data: str | None, samples: int, seed: int,
                kernels: str, compress_weights: bool, as_json: bool) -> None:
    """Show a .tflite model's ops, tensors, quantisation and the engine's memory plan."""
    from tfcompress.engine.compiler import compile_tflite, op_support
    from tfcompress.errors import TfcError

    if float_model:
        from tfcompress.convert.layer_error import format_layer_errors, layer_error_report

        rep = layer_error_report(model, float_model, data=data, samples=samples, seed=seed)
        if as_json:
            emit_json(rep)
        else:
            click.echo(format_layer_errors(rep))
        return
    if data:
        raise TfcError("--data is for --float-model", "add --float-model FLOAT_MODEL, or leave out --data")

    try:
        compiled = compile_tflite(model, kernels=kernels, compress_weights=compress_weights)
        info = compiled.info()
    except TfcError as err:
        bad = [row for row in op_support(model) if not row["supported"]]
        if not bad:
            raise
        if as_json:
            emit_json({"model": model, "compilable": False, "error": err.line(), "unsupported_ops": bad,
                       "ops": op_support(model)})
            raise SystemExit(1) from None
        click.echo(format_table(bad, ["index", "op", "note"]))
        raise
    info["compilable"] = True
    info["unsupported_ops"] = []  # the whole model compiled: every op has a kernel
    if memory:
        from tfcompress.engine.memory import format_memory, memory_timeline

        mem = memory_timeline(compiled)
        if as_json:
            emit_json(dict(model=model, model_hash=info["model_hash"], kernels=info["kernels"], memory=mem))
        else:
            click.echo(f"model {model}  kernels {info['kernels']}")
            click.echo(format_memory(mem))
        return
    if as_json:
        emit_json(info)
        return
    click.echo(f"model {model}  sha256 {info['model_hash']}  kernels {info['kernels']}")
    for kind in ("inputs", "outputs"):
        for k, t in enumerate(info[kind]):
            click.echo(f"{kind[:-1]:6} {k} {t['name']} {_shape(t['shape'])} {t['dtype']} {_quant(t)}")
    click.echo("")
    rows = [dict(op=o["index"], type=o["op"], kernel=o["kernel"],
                 inputs=", ".join(_shape(t["shape"]) for t in o["inputs"]),
                 output=", ".join(_shape(t["shape"]) for t in o["outputs"])) for o in info["ops"]]
    click.echo(format_table(rows))
    click.echo("")
    rows = [dict(t=t["index"], name=t["name"][:48], shape=_shape(t["shape"]), dtype=t["dtype"],
                 bytes=t["bytes"], quant=_quant(t), offset=t.get("offset"),
                 live=f"{t['first_step']}..{t['last_step']}" if "offset" in t else "const")
            for t in info["tensors"]]
    click.echo(format_table(rows))
    click.echo("")
    click.echo(f"peak RAM {info['ram_bytes']} B = arena {info['arena_bytes']} + scratch "
               f"{info['scratch_bytes']} + persistent state {info['state_bytes']} "
               f"(plain greedy plan: {info['greedy_arena_bytes']} B, {info['overlaps']} streamed overlaps)")
    click.echo(f"weights (flash) {info['weights_bytes']} B; unsupported ops: none")
