"""Console output conventions.

Logs and progress go to stderr; results go to stdout, either as a human table or,
with ``--json``, as exactly one JSON object. Commands use :func:`log` and
:func:`emit` and never ``print`` directly.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

import click

T = TypeVar("T")

_quiet = False
#: held while a line is written to stderr, and while C code's stdout/stderr are redirected
#: (tfcompress.tflm.captured_fds): lines from parallel jobs never interleave or get captured
OUTPUT_LOCK = threading.RLock()


def set_quiet(quiet: bool) -> None:
    """Silence :func:`log` and progress output (errors are still shown)."""
    global _quiet
    _quiet = quiet


def log(message: str) -> None:
    """Write a progress/log line to stderr."""
    if not _quiet:
        with OUTPUT_LOCK:
            click.echo(message, err=True)


def _jsonable(value: Any) -> Any:
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None  # type: ignore[assignment]
    if np is not None:
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            value = float(value)
        elif isinstance(value, np.ndarray):
            return value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "__fspath__"):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(obj: Any) -> str:
    """Serialise ``obj`` to JSON, accepting NumPy scalars/arrays and paths."""
    return json.dumps(obj, default=_jsonable, indent=None, sort_keys=False)


def emit_json(obj: dict[str, Any]) -> None:
    """Print exactly one JSON object on stdout."""
    click.echo(to_json(obj))


def format_table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """Format rows of dicts as a fixed-width text table."""
    if not rows:
        return "(no rows)"
    cols = list(columns or rows[0].keys())

    def cell(v: Any) -> str:
        if v is None:
            return "-"
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v)

    body = [[cell(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(b[i]) for b in body)) for i, c in enumerate(cols)]
    line = "  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))
    sep = "  ".join("-" * w for w in widths)
    out = [line, sep]
    out += ["  ".join(v.ljust(w) for v, w in zip(b, widths, strict=True)) for b in body]
    return "\n".join(out)


def progress(items: Iterable[T], label: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a progress bar on stderr (silent when quiet)."""
    if _quiet:
        yield from items
        return
    with click.progressbar(items, length=total, label=label, file=sys.stderr) as bar:
        yield from bar


class Stopwatch:
    """Context manager that logs ``label ... done in Xs``."""

    def __init__(self, label: str, record: dict[str, float] | None = None) -> None:
        self.label = label
        self.record = record  # when given, receives {label: elapsed seconds}
        self.elapsed = 0.0

    def __enter__(self) -> Stopwatch:
        self._t0 = time.perf_counter()
        log(f"▶ {self.label}")
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.perf_counter() - self._t0
        if self.record is not None:
            self.record[self.label] = round(self.elapsed, 2)
        status = "failed" if exc[0] else "done"
        log(f"  {self.label}: {status} in {self.elapsed:.1f}s")
