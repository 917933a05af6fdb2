"""Write a recipe dict back as TOML (each trial's ``recipe.toml``; the standard library only reads TOML)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _key(k: str) -> str:
    return k if _BARE.fullmatch(k) else json.dumps(k)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        return ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # JSON string escapes are valid TOML basic-string escapes
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def _is_table_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def dumps(data: dict[str, Any], prefix: str = "") -> str:
    """TOML text whose ``tomllib.loads`` equals ``data`` (tables inside table arrays are inlined)."""
    lines = [f"{_key(k)} = {_value(v)}" for k, v in data.items() if not isinstance(v, dict) and not _is_table_list(v)]
    for k, v in data.items():
        if isinstance(v, dict):
            lines += ["", f"[{prefix}{_key(k)}]", dumps(v, f"{prefix}{_key(k)}.")]
    for k, v in data.items():
        if _is_table_list(v):
            for item in v:
                lines += ["", f"[[{prefix}{_key(k)}]]"]
                lines += [f"{_key(ik)} = {_value(iv)}" for ik, iv in item.items()]
    return "\n".join(line for line in lines).strip("\n") + "\n"
