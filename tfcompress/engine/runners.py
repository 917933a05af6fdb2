"""Where `validate` runs the compiled model: a registry of runners keyed by board name.

A runner factory takes a :class:`CompiledModel` and returns a :class:`Runner`
(``invoke(inputs) -> outputs``, ``reset()``, ``close()``). ``host`` builds the C with the host
compiler; emulated/real boards register their own factory with :func:`register_runner`
(e.g. the firmware package registers ``mps2-an500`` / ``netduinoplus2``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from tfcompress.engine.compiler import CompiledModel
from tfcompress.errors import TfcError, unknown


class Runner(Protocol):
    """Runs inferences on a target: one array per model input in, one per output out."""

    def invoke(self, inputs: list[np.ndarray]) -> list[np.ndarray]: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...


class _HostRunner:
    def __init__(self, model: CompiledModel) -> None:
        from tfcompress.engine.host import HostModel

        self._m = HostModel(model)

    def invoke(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        return self._m.invoke(inputs)

    def reset(self) -> None:
        self._m.reset()

    def close(self) -> None:
        pass


RUNNERS: dict[str, Callable[[CompiledModel], Any]] = {"host": _HostRunner}
#: runners of the TensorFlow Lite Micro runtime (``validate --runtime tflm``), by board; they take
#: a :class:`tfcompress.project.tflm.TflmProgram` instead of a compiled model
TFLM_RUNNERS: dict[str, Callable[[Any], Any]] = {}

#: modules that register further runners when imported (optional, added by other packages)
RUNNER_PLUGINS: list[str] = ["tfcompress.harness.engine_runner"]


def register_runner(name: str, factory: Callable[[Any], Any], runtime: str = "engine") -> None:
    """Make ``--board name`` (with ``--runtime runtime``) available to `validate`."""
    (TFLM_RUNNERS if runtime == "tflm" else RUNNERS)[name] = factory


def _load_plugins() -> None:
    for module in RUNNER_PLUGINS:
        try:
            importlib.import_module(module)
        except ImportError:
            continue


def make_runner(board: str, model: Any, runtime: str = "engine", *, profile: bool = False) -> Runner:
    """Instantiate the runner for ``board`` (and ``runtime``) or raise the standard unknown-board error;
    ``profile``: a profiling build that reads per-op counts back (boards with firmware only)."""
    registry = TFLM_RUNNERS if runtime == "tflm" else RUNNERS
    if board not in registry:
        _load_plugins()
    if runtime == "tflm" and board not in registry:
        raise TfcError(f"no TensorFlow Lite Micro runner for board '{board}' (TFLM runs in firmware on a board)",
                       "choose one of: " + ", ".join(sorted(registry)))
    if board not in RUNNERS:
        known_boards: list[str] = []
        try:
            from tfcompress.boards import list_boards

            known_boards = [b if isinstance(b, str) else getattr(b, "name", str(b)) for b in list_boards()]
        except Exception:  # boards package optional here
            known_boards = []
        if board in known_boards:
            raise TfcError(f"board '{board}' has no validate runner yet",
                           "choose one of: " + ", ".join(sorted(RUNNERS)))
        raise unknown("board", board, RUNNERS)
    if profile:
        if board == "host":
            raise TfcError("--profile measures per-op counts in firmware on a board, not on the host",
                           "pass --board with an emulated or real board (e.g. mps2-an500)")
        return registry[board](model, profile=True)
    return registry[board](model)
