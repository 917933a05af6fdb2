"""One TOML table of a recipe, read key by key with typed getters and errors that name the key."""

from __future__ import annotations

from typing import Any

from tfcompress.errors import TfcError


class Section:
    """Reads keys of one TOML table, tracking which were used, with typed getters."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise TfcError(f"recipe key '{path}' must be a table", f"write it as [{path}]")
        self.data = data
        self.path = path

    def _key(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, types: tuple[type, ...], default: Any = ..., choices: tuple[Any, ...] = ()) -> Any:
        if key not in self.data:
            if default is ...:
                raise TfcError(f"recipe is missing '{self._key(key)}'", f"add {self._key(key)} = ... to the recipe")
            return default
        value = self.data[key]
        if float in types and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if bool not in types and isinstance(value, bool) or not isinstance(value, types):
            names = " or ".join(t.__name__ for t in types)
            raise TfcError(f"recipe key '{self._key(key)}' must be {names}, got {value!r}", "fix its value")
        if choices and value not in choices:
            raise TfcError(
                f"recipe key '{self._key(key)}' has invalid value {value!r}",
                f"choose one of: {', '.join(map(str, choices))}",
            )
        return value

    def check_unknown(self, allowed: tuple[str, ...] | list[str]) -> None:
        for key in self.data:
            if key not in allowed:
                raise TfcError(
                    f"unknown recipe key '{self._key(key)}'",
                    f"allowed keys{' in [' + self.path + ']' if self.path else ''}: {', '.join(allowed)}",
                )


def positive(value: float, key: str) -> None:
    """A TfcError naming ``key`` unless ``value`` > 0."""
    if value <= 0:
        raise TfcError(f"recipe key '{key}' must be > 0, got {value}", "fix its value")
