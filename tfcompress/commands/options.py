"""Click options shared by several commands."""

from __future__ import annotations

import click

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object on stdout (logs go to stderr)."
)
kernels_option = click.option(
    "--kernels",
    type=click.Choice(["optimized", "reference"]),
    default="optimized",
    show_default=True,
    help="Kernel set: optimized = Cortex-M4/M7 DSP kernels where the board's core has them "
    "(reference elsewhere); reference = portable C mirroring TFLite Micro.",
)
compress_weights_option = click.option(
    "--compress-weights",
    is_flag=True,
    help="Store weights compressed where smaller: 4-bit indices + codebooks for clustered layers "
    "(<= 16 values per channel), bitmap + non-zero values for pruned layers. Bit-exact; those layers run slower.",
)
force_option = click.option("--force", is_flag=True, help="Overwrite existing outputs.")
