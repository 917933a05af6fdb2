"""The on-device runtimes (DESIGN.md §5b): ``engine`` (tfcompress's ahead-of-time C engine, the
default) and ``tflm`` (TensorFlow Lite Micro built from a user's TFLM tree: the baseline every
benchmark measures beside the engine, and the fallback for what the engine does not compile)."""

from __future__ import annotations

from tfcompress.errors import TfcError

RUNTIMES = ("engine", "tflm")
DEFAULT = "engine"


def parse_runtimes(value: str | list[str] | tuple[str, ...], where: str = "--runtime") -> tuple[str, ...]:
    """``"engine"``, ``"tflm"``, ``"engine,tflm"`` or a list of them -> the runtimes in order,
    without repeats; anything else is a TfcError naming ``where``."""
    items = value.split(",") if isinstance(value, str) else list(value)
    out = tuple(dict.fromkeys(str(v).strip() for v in items))
    bad = [v for v in out if v not in RUNTIMES]
    if not out or bad:
        raise TfcError(f"{where} has unknown runtime {bad[0] if bad else value!r}",
                       f"choose {', '.join(RUNTIMES)}, or a list of them (engine,tflm)")
    return out
