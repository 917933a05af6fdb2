"""User-facing errors.

Raise :class:`TfcError` for anything the user can fix (bad recipe key, unknown
dataset, corrupt .tflite, model too big, missing tool). The CLI prints it as one
line, ``error: <what> — <fix>``, and exits with code 2, without a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable


class TfcError(Exception):
    """An error caused by user input or environment, with a suggested fix."""

    exit_code = 2

    def __init__(self, what: str, fix: str | None = None) -> None:
        self.what = what
        self.fix = fix
        super().__init__(self.line())

    def line(self) -> str:
        """The one-line message shown to the user."""
        return f"{self.what} — {self.fix}" if self.fix else self.what


def unknown(kind: str, name: str, valid: Iterable[str], hint: str | None = None) -> TfcError:
    """Build the standard 'unknown <kind>' error that lists the valid names."""
    names = ", ".join(sorted(valid))
    fix = f"choose one of: {names}"
    if hint:
        fix += f" ({hint})"
    return TfcError(f"unknown {kind} '{name}'", fix)
