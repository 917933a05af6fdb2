"""Locate the engine's C sources (firmware/engine) and Jinja2 templates (templates/engine).

Looks inside the installed package first (``tfcompress/_data/...``, where a wheel ships them),
then in the source checkout next to the package.
"""

from __future__ import annotations

from pathlib import Path

from tfcompress.errors import TfcError

_PKG = Path(__file__).resolve().parents[1]


def _find(kind: str) -> Path:
    for base in (_PKG / "_data", _PKG.parent):
        path = base / kind / "engine"
        if path.is_dir():
            return path
    raise TfcError(f"the engine's {kind}/engine directory was not found",
                   "reinstall tfcompress (pip install .) or run from the repository")


def firmware_dir() -> Path:
    """Directory holding the C kernels and headers."""
    return _find("firmware")


def templates_dir() -> Path:
    """Directory holding model.c.j2 / model.h.j2."""
    return _find("templates")
