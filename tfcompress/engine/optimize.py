"""The speed/size preference of a build (``[board] optimize``): which trades the engine makes
between instructions, flash and RAM where a kernel has more than one layout.

- ``speed``: the fastest layouts even where they cost flash or RAM (pixel-triple convolutions
  wherever they apply, im2col instead of direct windows, FULLY_CONNECTED weights pre-widened to
  int16: twice their flash).
- ``balanced`` (default): the fast RAM layouts (im2col windows, pixel triples) while the peak RAM
  stays within the preference's RAM slack (``weight_policy.PREFERENCES``: 10%) of the lowest
  layouts' peak; direct-window convolutions (int16 weights: more flash, more instructions) only
  where that slack is not enough.
- ``size``: the lowest peak RAM: direct-window convolutions wherever im2col scratch would raise it,
  pixel triples only where they cost no memory.

The layout choices made after planning are data (:data:`LAYOUTS`): per preference, the candidate
layouts fastest first; the compiler plans each and keeps the first whose peak RAM is within the
slack of the lowest (:func:`ram_limit`; engine/layouts.py). A board file sets the preference (``optimize = "speed"``), a
recipe's ``[board]`` table or the firmware commands' ``--optimize`` override it; the compiled
model carries it, and it is part of the firmware project's identity (project/generate.py engine_key).

The preference also picks the compiler's optimisation level of the firmware (:data:`OPT_LEVELS`:
``size`` builds at -Os, ``speed`` and ``balanced`` at -O2) unless the user gives one (``--opt`` of
``tfcompress build`` / ``generate``); the project records the level it was built at.
"""

from __future__ import annotations

from dataclasses import dataclass

from tfcompress.engine import weight_policy
from tfcompress.errors import TfcError

CHOICES = ("speed", "balanced", "size")
DEFAULT = "balanced"
#: preference -> the compiler optimisation level of its firmware builds (when none is given)
OPT_LEVELS: dict[str, str] = {"speed": "-O2", "balanced": "-O2", "size": "-Os"}
#: the levels a build may be given explicitly (``--opt``)
LEVELS = ("-O2", "-Os", "-O3")


@dataclass(frozen=True)
class Layouts:
    """Layout choices made after planning (engine/optimized ``after_plan``, the compiler's banding):
    ``direct_windows``: direct-window convolutions where im2col scratch raises the peak RAM;
    ``all_triples``: pixel-triple convolutions even where their third window raises it;
    ``wide_fc``: int16 FULLY_CONNECTED weights (twice their flash, no RAM)."""

    direct_windows: bool = True
    all_triples: bool = False
    wide_fc: bool = False


#: the lowest-RAM layouts: every RAM-saving choice, pixel triples only where free
LOWEST = Layouts(direct_windows=True, all_triples=False)
#: preference -> candidate layouts, fastest first; the last one has the lowest peak RAM
LAYOUTS: dict[str, tuple[Layouts, ...]] = {
    "speed": (Layouts(direct_windows=False, all_triples=True, wide_fc=True),),
    "balanced": (Layouts(direct_windows=False, all_triples=True), Layouts(direct_windows=False), LOWEST),
    "size": (LOWEST,),
}


def check(value: object, where: str) -> str:
    """``value`` if it is one of :data:`CHOICES`, else a TfcError naming ``where`` and the choices."""
    if value not in CHOICES:
        raise TfcError(f"{where} must be one of {', '.join(CHOICES)}, got {value!r}",
                       f'e.g. optimize = "{DEFAULT}"')
    return str(value)


def opt_level(name: str, given: str | None = None) -> str:
    """The optimisation level of a firmware build: ``given`` (the user's ``--opt``) if any, else the one
    preference ``name`` picks (:data:`OPT_LEVELS`)."""
    return given if given else OPT_LEVELS[check(name, "optimize")]


def ram_limit(name: str, lowest: int) -> float:
    """The most peak RAM the layouts of preference ``name`` may take when the lowest layouts need
    ``lowest`` bytes: within its RAM slack (weight_policy; None: any)."""
    slack = weight_policy.preference(name).ram_slack
    return float("inf") if slack is None else lowest * (1 + slack)

