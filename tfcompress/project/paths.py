"""Where the firmware sources and project templates live (repo checkout or installed wheel)."""

from __future__ import annotations

from pathlib import Path

from tfcompress.errors import TfcError

_PKG = Path(__file__).resolve().parents[1]


def _find(name: str) -> Path:
    for candidate in (_PKG / "_data" / name, _PKG.parent / name):  # wheel first, then checkout
        if candidate.is_dir():
            return candidate
    raise TfcError(f"tfcompress data directory '{name}' not found", "reinstall tfcompress")


def firmware_dir() -> Path:
    """The C sources copied into generated projects."""
    return _find("firmware")


def templates_dir() -> Path:
    """The Jinja2 templates of the generated project."""
    return _find("templates") / "project"
