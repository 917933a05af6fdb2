"""The kernel sets, by name: what every CLI option, the recipe check and the compiler accept.

``reference`` is the op table's kernels (:mod:`tfcompress.engine.optable`), TFLite Micro's
arithmetic loop for loop. ``optimized`` replaces some of them with Cortex-M4/M7 DSP kernels of the
same C signatures (:mod:`tfcompress.engine.optimized`: one row per replaced kernel with its host
preparation and scratch size); kernels a set does not replace come from the reference set, so
every op works in every set. This module is only the names (light: the recipe and the CLI import
it); the compiler binds each name to its :class:`~tfcompress.engine.kernel_set.KernelSet`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tfcompress.errors import unknown


@dataclass(frozen=True)
class KernelSetSpec:
    """A kernel set's name, what it is, and whether it needs the DSP extension (elsewhere the
    reference set is generated: the board's ``dsp`` field decides)."""

    name: str
    description: str
    needs_dsp: bool = False


#: name -> kernel set; DEFAULT is what every command uses unless told otherwise
KERNEL_SETS: dict[str, KernelSetSpec] = {
    "optimized": KernelSetSpec("optimized", "Cortex-M4/M7 DSP kernels (SIMD, im2col, planar depthwise); "
                               "portable C elsewhere", needs_dsp=True),
    "reference": KernelSetSpec("reference", "TFLite Micro's reference arithmetic, portable C99, loop for loop"),
}
DEFAULT = "optimized"


def names() -> list[str]:
    """Names of the kernel sets (CLI choices, recipe values)."""
    return list(KERNEL_SETS)


def spec(name: str) -> KernelSetSpec:
    """The kernel set called ``name`` or the standard unknown-name error."""
    if name not in KERNEL_SETS:
        raise unknown("kernel set", name, KERNEL_SETS)
    return KERNEL_SETS[name]


def for_core(name: str, dsp: bool) -> str:
    """The kernel set to generate for a core: a set that needs the DSP extension falls back to the
    reference set on cores without it (the board's ``dsp`` field)."""
    return "reference" if spec(name).needs_dsp and not dsp else name
