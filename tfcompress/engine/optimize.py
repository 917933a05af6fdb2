"""The speed/size preference of a build (``[board] optimize``): which trades the engine makes
between instructions, flash and RAM where a kernel has more than one layout.

- ``speed``: the fastest layouts even where they cost flash or RAM (pixel-triple convolutions
  wherever they apply, im2col instead of direct windows, FULLY_CONNECTED weights pre-widened to
  int16: twice their flash).
- ``balanced`` (default): fast layouts that cost no extra RAM; direct-window convolutions where
  im2col scratch would raise the peak RAM.
- ``size``: as ``balanced`` (every trade it makes already costs no memory); kept distinct so a
  size-first build is part of a project's identity and can diverge.

A board file sets it (``optimize = "speed"``), a recipe's ``[board]`` table or the firmware
commands' ``--optimize`` override it; the compiled model carries it, and it is part of the
firmware project's identity (project/generate.py engine_key).
"""

from __future__ import annotations

from tfcompress.errors import TfcError

CHOICES = ("speed", "balanced", "size")
DEFAULT = "balanced"


def check(value: object, where: str) -> str:
    """``value`` if it is one of :data:`CHOICES`, else a TfcError naming ``where`` and the choices."""
    if value not in CHOICES:
        raise TfcError(f"{where} must be one of {', '.join(CHOICES)}, got {value!r}",
                       f'e.g. optimize = "{DEFAULT}"')
    return str(value)
