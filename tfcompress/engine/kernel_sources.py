"""Fingerprints of the C sources a kernel is built from: its source file under ``firmware/engine/``
and every engine header it includes (recursively, the kernel set's generated headers too), comments
and whitespace left out. ``storage_cost.py`` records them next to its measured tables, so a test
can tell when a kernel changed after its rows were measured (tests/test_storage_cost.py)."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)
#: string literals (kept: inline assembly), block and line comments (dropped)
_TOKENS = re.compile(r'"(?:\\.|[^"\\\n])*"|/\*.*?\*/|//[^\n]*', re.DOTALL)


def _engine() -> Path:
    from tfcompress.resources import engine_kernels_dir

    return engine_kernels_dir()


def files(source: str, kernels: str = "optimized") -> dict[str, str]:
    """``source`` (path under firmware/engine/) and the engine headers it includes, recursively:
    path under firmware/engine/ -> text. Includes are resolved next to the including file, then at
    the engine root, then among the set's generated headers (``kernel_limits.generated_headers``);
    system headers (``<...>``) and the header each model generates for itself (``tfc_variants.h``,
    which only compiles out variants the model does not run) are not followed."""
    from tfcompress.engine.kernel_limits import generated_headers
    from tfcompress.engine.optimized.variants import HEADER as PER_MODEL_HEADER

    root = _engine()
    generated = generated_headers(kernels)
    out: dict[str, str] = {}
    todo = [source]
    while todo:
        name = todo.pop()
        if name in out:
            continue
        path = root / name
        text = path.read_text() if path.is_file() else generated[name]
        out[name] = text
        here = Path(name).parent
        for inc in _INCLUDE.findall(text):
            candidates = (os.path.normpath(here / inc), os.path.normpath(inc))
            if PER_MODEL_HEADER in candidates:
                continue
            found = [c for c in candidates if c in generated or (root / c).is_file()]
            if not found:
                raise FileNotFoundError(f"{name}: include {inc!r} is not an engine header")
            todo.append(Path(found[0]).as_posix())
    return out


def _code(text: str) -> str:
    """``text`` without comments, runs of whitespace as one space."""
    kept = _TOKENS.sub(lambda m: m.group(0) if m.group(0).startswith('"') else " ", text)
    return " ".join(kept.split())


def fingerprint(source: str, kernels: str = "optimized") -> str:
    """12 hex digits of SHA-256 over ``source`` and its headers (:func:`files`), comments and
    whitespace left out."""
    h = hashlib.sha256()
    for name, text in sorted(files(source, kernels).items()):
        h.update(f"{name}\0{_code(text)}\0".encode())
    return h.hexdigest()[:12]
