"""Code size per source file from the GNU ld map file a firmware build writes (``firmware.map``).

Only what the linker kept in the image counts: the input sections listed under "Linker script and
memory map" (the discarded ones come before it) whose names start with ``.text`` or ``.rodata``
(code and its constant tables in flash), summed per object file.
"""

from __future__ import annotations

import re
from pathlib import Path

_FLASH_SECTIONS = (".text", ".rodata")
_ROW = re.compile(r"^\s+(0x[0-9a-fA-F]+)\s+(0x[0-9a-fA-F]+)\s+(\S+\.o)\s*$")
_HEAD = re.compile(r"^ (\.\S+)(?:\s+(0x[0-9a-fA-F]+)\s+(0x[0-9a-fA-F]+)\s+(\S+\.o))?\s*$")


def object_sizes(map_text: str) -> dict[str, int]:
    """Bytes of code and read-only data the image keeps from each object file (path as in the map)."""
    at = map_text.find("Linker script and memory map")
    if at < 0:
        return {}
    sizes: dict[str, int] = {}
    section = None
    for line in map_text[at:].splitlines():
        head = _HEAD.match(line)
        if head:
            section = head.group(1)
            if head.group(4) is None:
                continue  # address, size and file on the next line
            size, obj = int(head.group(3), 16), head.group(4)
        else:
            row = _ROW.match(line)
            if not row or section is None:
                continue
            size, obj = int(row.group(2), 16), row.group(3)
        if size and section.startswith(_FLASH_SECTIONS):
            sizes[obj] = sizes.get(obj, 0) + size
        section = None
    return sizes


def kernel_code_bytes(map_path: str | Path) -> dict[str, int]:
    """Code bytes of each engine kernel source in a firmware build, keyed by its path under
    ``engine/`` (``conv2d_s8.c``, ``optimized/conv2d_s8_opt.c``) as the kernel sets name them."""
    try:
        text = Path(map_path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    out = {}
    for obj, size in object_sizes(text).items():
        path = obj.replace("\\", "/")
        marker = "build/engine/"
        if marker in path:
            out[path.split(marker, 1)[1][:-2] + ".c"] = size
    return out
