"""Where the firmware C sources and the Jinja2 templates live, and the one environment that renders them.

``firmware/`` and ``templates/`` sit at the repository top level (DESIGN.md §2); a wheel ships a
copy as ``tfcompress/_data/`` (see setup.py). The installed copy is looked up first, then the
source checkout next to the package.

- :func:`firmware_root`: ``firmware/`` (``engine/``, ``harness/``, ``board/``: copied into projects)
- :func:`engine_kernels_dir`: ``firmware/engine`` (the engine's C kernels and headers)
- :func:`templates_root`: ``templates/`` (``engine/``: model.c/.h, host_main.c; ``project/``: the
  generated firmware project)
- :func:`template_env`: the Jinja2 environment for both template sets, with the escaping filters
  of :mod:`tfcompress.textsafe`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from tfcompress import textsafe
from tfcompress.errors import TfcError

_PKG = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    for candidate in (_PKG / "_data" / name, _PKG.parent / name):  # wheel first, then checkout
        if candidate.is_dir():
            return candidate
    raise TfcError(f"tfcompress data directory '{name}' was not found",
                   "reinstall tfcompress (pip install .) or run from the repository")


def firmware_root() -> Path:
    """``firmware/``: engine kernels, serial harness and board support, copied into generated projects."""
    return _data_dir("firmware")


def engine_kernels_dir() -> Path:
    """``firmware/engine``: the engine's C kernels and headers."""
    return firmware_root() / "engine"


def templates_root() -> Path:
    """``templates/``: ``engine/`` (model.c/.h, host_main.c) and ``project/`` (the firmware project)."""
    return _data_dir("templates")


#: Jinja filters, one per output context (see tfcompress.textsafe). Every string that comes from
#: outside (model files, board files, recipes, user options) goes through one of them.
FILTERS = {
    "c_comment": textsafe.c_comment,
    "c_string": textsafe.c_string,
    "ld_comment": textsafe.ld_comment,
    "ld_name": textsafe.ld_name,
    "make_comment": textsafe.make_comment,
    "make_word": textsafe.make_word,
    "script_comment": textsafe.script_comment,
    "script_word": textsafe.script_word,
    "integer": textsafe.integer,
    "md_text": textsafe.md_text,
    "md_code": textsafe.md_code,
}


@functools.cache
def template_env() -> Any:
    """The Jinja2 environment for every generated file; templates are named from
    :func:`templates_root`, e.g. ``engine/model.c.j2`` or ``project/Makefile.j2``.

    Block tags take their whole line (``trim_blocks``, ``lstrip_blocks``), an undefined variable is
    an error, and there is no automatic escaping: each template escapes for its context with the
    filters above."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_root())), trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
                             autoescape=False)
    env.filters.update(FILTERS)
    return env
