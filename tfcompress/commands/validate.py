"""`tfcompress validate MODEL.tflite --board host`: engine vs TFLite Micro, element by element."""

from __future__ import annotations

import sys

import click

from tfcompress.commands.options import (
    compress_weights_option,
    json_option,
    kernels_option,
    profile_option,
    runtime_option,
    tflm_dir_option,
)
from tfcompress.console import emit_json, format_table, progress


@click.command("validate")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--board", default="host", show_default=True, help="Where to run the engine (host, or a "
              "board with a runner).")
@click.option("--samples", default=20, show_default=True, type=click.IntRange(1), help="Number of inputs.")
@click.option("--data", type=click.Path(dir_okay=False), help=".npz with inputs (else random inputs).")
@click.option("--seed", default=0, show_default=True, help="Seed of the random inputs.")
@click.option("--localize/--no-localize", default=None, help="Compare every op's output with TFLM keeping "
              "all tensors (the engine's debug build on the host, or its debug firmware on an emulated board) "
              "and name the first op that differs [default: only when the outputs differ].")
@kernels_option
@compress_weights_option
@runtime_option
@tflm_dir_option
@profile_option
@json_option
def validate_cmd(model: str, board: str, samples: int, data: str | None, seed: int, kernels: str,
                 compress_weights: bool, runtime: str, tflm_dir: str | None, profile: bool, localize: bool | None,
                 as_json: bool) -> None:
    """Check the C engine is bit-exact with TFLite Micro (exit 1 when any element differs).

    Every output of every sample is compared; where TFLite Micro cannot run the model, TFLite's
    reference kernels are the oracle (the JSON's ``oracle`` says which). With --runtime tflm,
    TensorFlow Lite Micro itself runs in the firmware on the board and is compared with TFLM's host
    interpreter (float outputs within a stated tolerance)."""
    from tfcompress.compare import describe
    from tfcompress.engine.validate import validate_model

    res = validate_model(model, board=board, samples=samples, seed=seed, data=data, kernels=kernels,
                         compress_weights=compress_weights, progress=None if as_json else progress,
                         runtime=runtime, tflm_dir=tflm_dir, profile=profile, localize=localize)
    if as_json:
        emit_json(res.as_dict())
    else:
        rows = [dict(output=o["name"], shape="x".join(map(str, o["shape"])), elements=o["elements"],
                     differing=o["mismatched_elements"]) for o in res.per_output]
        click.echo(format_table(rows))
        click.echo(f"samples {res.samples} on {res.board} ({res.runtime}): {res.mismatched_elements} differing "
                   f"elements in {res.mismatched_samples} samples (max |diff| {res.max_abs_diff}; "
                   f"{describe(res.float_tolerance)})")
        what = "TFLM arena used on the device" if res.runtime == "tflm" else "RAM"
        ratio = f"{res.ram_bytes / res.tflm_arena_bytes:.2f}x; " if res.tflm_arena_bytes else ""
        click.echo(f"{what} {res.ram_bytes} B vs TFLM arena on the host {res.tflm_arena_bytes} B "
                   f"({ratio}TFLM head {res.tflm_arena_head_bytes} B); weights {res.weights_bytes} B")
        if res.runner_stats.get("instructions") is not None:
            click.echo(f"{res.runner_stats['instructions']} {res.runner_stats['instructions_unit']} per inference, "
                       f"flash {res.runner_stats['flash_bytes']} B")
        _print_device_figures(res.runner_stats)
        oracle = "TFLite Micro's host interpreter" if res.oracle == "tflm" else \
            "TFLite's reference kernels (TFLite Micro cannot run this model)"
        exact = "bit-exact" if res.float_tolerance is None else "within tolerance"
        click.echo((exact if res.ok else "MISMATCH") + f" against {oracle}"
                   + (f"; stateful: {res.samples - 1} runs in sequence, then reset" if res.stateful else ""))
        if res.localization is not None:
            _print_localization(res.localization)
    if not res.ok:
        sys.exit(1)


def _print_device_figures(stats: dict) -> None:
    """The per-layer table (profiling builds) and the RAM figure with the measured stack."""
    from tfcompress.harness.profile import format_layers

    if stats.get("layers"):
        prof = stats["profile"]
        unit = prof["unit"]
        click.echo(format_table(format_layers(stats["layers"], unit)))
        click.echo(f"ops sum {prof[unit + '_ops_sum']:.0f} of {prof[unit + '_whole_run']:.0f} {unit} per run "
                   f"(profiling build); unattributed {prof['unattributed']:.0f} "
                   f"({100 * prof['unattributed_share']:.3f}%: input/output copies, calls between ops, hooks); "
                   f"hook overhead {prof['overhead_per_op_subtracted']} {unit} per op subtracted"
                   + (f"; the hooks add about {prof['hooks_per_run']:.0f} {unit} per run" if "hooks_per_run" in prof
                      else ""))
    ram = stats.get("ram")
    if ram:
        parts = [f"{k.replace('_', ' ')} {ram[k]} B" for k in ("arena_planned", "arena_measured", "stack_measured",
                                                              "stack_planned", "static_data") if k in ram]
        click.echo(f"RAM on the device {ram['total']} B = " + " + ".join(parts)
                   + f" (measured: {', '.join(ram['measured']) or '-'}; planned: {', '.join(ram['planned']) or '-'})")
def _print_localization(loc: dict) -> None:
    """The layer-by-layer comparison: the first op that differs, or that none does."""
    first = loc["first_diverging"]
    if first is None:
        where = "host" if loc["scope"] == "host" else f"{loc['scope']} (debug firmware)"
        click.echo(f"localize: every op's output on the {where} agrees with {loc['oracle']} over {loc['samples']} "
                   f"samples ({loc['compared_ops']} op outputs)")
        if loc.get("note"):
            click.echo(f"localize: {loc['note']}")
        return
    click.echo(f"localize ({loc['scope']}): first diverging op is step {first['position']}, "
               f"op #{first['index']} {first['op']}, "
               f"output tensor {first['tensor']} '{first['name'][:80]}': {first['differing']} of "
               f"{first['elements']} elements differ, max |diff| {first['max_abs_diff']} "
               f"(first in sample {first['first_sample']}); {loc['diverging_ops']} of {loc['compared_ops']} "
               f"op outputs differ")
