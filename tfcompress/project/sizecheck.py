"""Will the model fit? Estimate flash/RAM from model.h (and the engine's numbers) before building."""

from __future__ import annotations

import re
from pathlib import Path

from tfcompress.boards import Board
from tfcompress.errors import TfcError

#: Bytes the harness and board support need besides the model (buffers, code), generous.
HARNESS_RAM_BYTES = 2048
HARNESS_FLASH_BYTES = 12 * 1024

_DEFINE = re.compile(r"^\s*#define\s+(TFC_\w+)\s+(.+?)\s*(?:/\*.*)?$", re.M)


def parse_model_header(path: Path) -> dict[str, str]:
    """The ``TFC_*`` macros of a generated model.h, as raw strings."""
    return {m.group(1): m.group(2) for m in _DEFINE.finditer(path.read_text(encoding="utf-8"))}


def _int(macros: dict[str, str], key: str, default: int = 0) -> int:
    text = macros.get(key)
    if text is None:
        return default
    return int(text.strip("()").rstrip("uUlL"), 0)


def check_fits(board: Board, model_dir: Path, *, weights_bytes: int | None = None,
               extra_ram: int = 0) -> dict[str, int]:
    """Estimate the firmware's flash and RAM and raise a TfcError naming the region that overflows
    (``extra_ram``: a runtime's own static data besides the arena, e.g. TFLM's interpreter)."""
    macros = parse_model_header(model_dir / "model.h")
    if weights_bytes is None:  # no engine numbers: the C source size bounds the constant data
        weights_bytes = sum(p.stat().st_size for p in model_dir.glob("*.c")) // 5
    ram = (
        _int(macros, "TFC_ARENA_BYTES")
        + _int(macros, "TFC_STATE_BYTES")
        + _int(macros, "TFC_INPUTS_BYTES")
        + _int(macros, "TFC_OUTPUTS_BYTES")
        # the harness keeps each input and output at an 8-byte aligned offset (tfc_proto.c)
        + 8 * (_int(macros, "TFC_NUM_INPUTS", 1) + _int(macros, "TFC_NUM_OUTPUTS", 1) + 2)
        + HARNESS_RAM_BYTES
        + extra_ram
    )
    need = {board.text_region: weights_bytes + HARNESS_FLASH_BYTES}
    need[board.data_region] = need.get(board.data_region, 0) + ram
    need[board.stack_region] = need.get(board.stack_region, 0) + board.stack_bytes
    for name, used in need.items():
        size = board.region(name).length
        if used > size:
            raise TfcError(
                f"model does not fit on {board.name}: region {name} overflowed by {used - size} bytes "
                f"(needs ~{used} of {size})",
                "compress the model further (pruning/clustering/int8) or choose a board with more memory",
            )
    return need
