"""The speed/size preference of a build (``[board] optimize``): which trades the engine makes
between instructions, flash and RAM where a kernel has more than one layout.

- ``speed``: the fastest layouts even where they cost flash or RAM (pixel-triple convolutions
  wherever they apply, im2col instead of direct windows, FULLY_CONNECTED and pointwise CONV_2D
  weights pre-widened to int16: twice their flash).
- ``balanced`` (default): the fast RAM layouts (im2col windows, pixel triples) while the peak RAM
  stays within the preference's RAM slack (``weight_policy.PREFERENCES``: 10%) of the lowest
  layouts' peak; direct-window convolutions (int16 weights: more flash, more instructions) only
  where that slack is not enough. Int16 pointwise weights only where they are cheap in flash
  (:data:`CHEAP_PW`: best estimated instructions saved per extra byte first, at least 4 per byte,
  within 2% of the model's weight bytes; VWW -186 K instructions for 3.7 KB).
- ``size``: the lowest peak RAM: direct-window convolutions wherever im2col scratch would raise it,
  pixel triples only where they cost no memory; no int16 FULLY_CONNECTED or pointwise weights.

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

import math
from dataclasses import dataclass, replace

from tfcompress.engine import weight_policy
from tfcompress.errors import TfcError

CHOICES = ("speed", "balanced", "size")
DEFAULT = "balanced"
#: preference -> the compiler optimisation level of its firmware builds (when none is given)
OPT_LEVELS: dict[str, str] = {"speed": "-O2", "balanced": "-O2", "size": "-Os"}
#: the levels a build may be given explicitly (``--opt``)
LEVELS = ("-O2", "-Os", "-O3")


@dataclass(frozen=True)
class WidePw:
    """Which pointwise CONV_2D layers take int16 weights (optimized/pointwise.py ``pick``): in order
    of estimated instructions saved per extra flash byte (best first, ties by op index), each layer
    saving at least ``min_gain`` per byte whose extra bytes still fit, in total, within ``share`` of
    the model's constant (weight) bytes; a layer that does not fit is skipped, not the end."""

    share: float = math.inf
    min_gain: float = 0.0


#: speed: every pointwise layer
ALL_PW = WidePw()
#: balanced: at most 2% more weight flash, layers saving at least 4 instructions per extra byte.
#: Per layer (``pointwise.gain``, exact on VWW's and KWS's layers at -O2): VWW (272 KB of
#: constants: a 5.4 KB budget) 8->16 at 48x48 (banded) 67.6 K instructions for 128 B (528/B),
#: 16->32 at 24x24 39.9 K / 512 B (78/B), 32->32 52.2 K / 1 KB (51/B), 32->64 at 12x12 26.1 K /
#: 2 KB (12.8/B): -186 K (2.3%) for 3.7 KB (+1.2% flash), five times speed's average (2.3/B);
#: the next, 64->64 at 12x12 (9.4/B, 4 KB), and the 6x6 and 3x3 layers (0.4-2.3/B, 8-64 KB each)
#: are speed's (-259 K for 188 KB more). KWS's four 64->64 layers (8.2/B, but 4 KB each: +11% of
#: its 38 KB apiece) stay on pair codes; IC has none (its 1x1 convs have stride 2). The floor
#: keeps a weight-heavy model (a large FULLY_CONNECTED: a large budget) from spending flash on
#: pointwise layers over a few pixels (about 1/8 + 4.5/in_c instructions per byte at one pixel).
CHEAP_PW = WidePw(share=0.02, min_gain=4.0)


@dataclass(frozen=True)
class Layouts:
    """Layout choices made after planning (engine/optimized ``after_plan``, the compiler's banding):
    ``direct_windows``: direct-window convolutions where im2col scratch raises the peak RAM;
    ``all_triples``: pixel-triple convolutions even where their third window raises it;
    ``wide_fc``: int16 FULLY_CONNECTED weights (twice their flash, no RAM); ``wide_pw``: which
    pointwise CONV_2D layers take int16 weights (:class:`WidePw`; optimized/pointwise.py ``widen``:
    twice their flash, no RAM; None: none)."""

    direct_windows: bool = True
    all_triples: bool = False
    wide_fc: bool = False
    wide_pw: WidePw | None = None


#: the lowest-RAM layouts: every RAM-saving choice, pixel triples only where free
LOWEST = Layouts(direct_windows=True, all_triples=False)
#: preference -> candidate layouts, fastest first; the last one has the lowest peak RAM
LAYOUTS: dict[str, tuple[Layouts, ...]] = {
    "speed": (Layouts(direct_windows=False, all_triples=True, wide_fc=True, wide_pw=ALL_PW),),
    "balanced": (Layouts(direct_windows=False, all_triples=True, wide_pw=CHEAP_PW),
                 Layouts(direct_windows=False, wide_pw=CHEAP_PW), replace(LOWEST, wide_pw=CHEAP_PW)),
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

