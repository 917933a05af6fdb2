"""Click options shared by several commands."""

from __future__ import annotations

from pathlib import Path

import click

from tfcompress.engine.kernelsets import DEFAULT, KERNEL_SETS
from tfcompress.engine.optimize import CHOICES as OPTIMIZE_CHOICES
from tfcompress.engine.optimize import LEVELS as OPT_LEVEL_CHOICES

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object on stdout (logs go to stderr)."
)


def _kernels_help() -> str:
    sets = "; ".join(f"{name} = {ks.description}"
                     + (" (where the board's core has the DSP extension, reference elsewhere)" if ks.needs_dsp else "")
                     for name, ks in KERNEL_SETS.items())
    return f"Kernel set: {sets}."


#: --kernels, from the kernel-set registry (engine/kernelsets.py), the same default everywhere
kernels_option = click.option("--kernels", type=click.Choice(list(KERNEL_SETS)), default=DEFAULT,
                              show_default=True, help=_kernels_help())
compress_weights_option = click.option(
    "--compress-weights",
    is_flag=True,
    help="Store weights compressed where smaller: 4-bit indices + codebooks for clustered layers "
    "(<= 16 values per channel), bitmap + non-zero values for pruned layers. Bit-exact; those layers run slower.",
)
force_option = click.option("--force", is_flag=True, help="Overwrite existing outputs.")

#: --optimize: the speed/size preference of the engine's layouts (engine/optimize.py), over the board file's
optimize_option = click.option(
    "--optimize", type=click.Choice(list(OPTIMIZE_CHOICES)), default=None,
    help="Speed/size preference of the engine's layouts [default: the board file's `optimize`, else balanced]: "
    "speed = fastest layouts even where they cost flash or RAM (int16 FULLY_CONNECTED weights, im2col over "
    "direct-window convolutions); balanced = those RAM layouts within 10% of the lowest peak RAM; "
    "size = fast layouts only where they cost no memory. It also picks the firmware's --opt "
    "(size: -Os, else -O2).")

#: --opt: the compiler optimisation level of a firmware build, over the one the preference picks
opt_option = click.option(
    "--opt", type=click.Choice(list(OPT_LEVEL_CHOICES)), default=None,
    help="Compiler optimisation level of the firmware [default: the speed/size preference's: "
    "-Os for optimize = \"size\", else -O2].")

#: --runtime / --tflm-dir: which runtime runs the model on the device (tfcompress/runtimes.py)
runtime_option = click.option(
    "--runtime", type=click.Choice(["engine", "tflm"]), default="engine", show_default=True,
    help="On-device runtime: engine = tfcompress's ahead-of-time C; tflm = TensorFlow Lite Micro's "
    "interpreter built from a TFLM tree (--tflm-dir), behind the same serial harness.")
tflm_dir_option = click.option(
    "--tflm-dir", type=click.Path(path_type=Path), default=None,
    help="TensorFlow Lite Micro tree made by TFLM's create_tflm_tree.py (cmsis-nn or reference kernels) "
    "for --runtime tflm [default: $TFLM_DIR].")

#: --profile: a profiling firmware build (per-op counter ticks over the harness; tfc_profile.h)
profile_option = click.option(
    "--profile", is_flag=True,
    help="Profiling firmware build: counter ticks per op (per fused op) read back over the harness; the "
    "per-layer table (op, output shape, MACs, count, per MAC, share) is printed and in --json's `layers`. "
    "Engine runtime on a board; normal builds are unchanged.")

#: --jobs / --farm: device jobs in parallel (tfcompress/harness/pool.py)
jobs_option = click.option(
    "--jobs", type=click.IntRange(min=1), default=None, metavar="N",
    help="Emulated boards: build and measure N variants at a time, each on its own QEMU "
    "[default: the recipe's board.jobs (pipeline), else one per core]. Results are identical to --jobs 1.")
farm_option = click.option(
    "--farm", multiple=True, metavar="PORT=BOARD[@PROBE]",
    help="A board farm (repeat for each board, all the same board): each board is flashed with the next "
    "variant's firmware and measures it; PROBE is its debug probe's serial number when several are "
    "connected. A board that stops answering is taken out and its variant goes to another board.")
