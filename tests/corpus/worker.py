"""A child process that runs one call at a time and is replaced when it crashes or hangs.

The TFLite converter's calibrator and the interpreters are C++ that can segfault on unusual
graphs (a GRU's WHILE loop does); a crash must cost one model, not the whole run.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any


class WorkerCrash(RuntimeError):
    """The worker died (signal) or exceeded its time limit while running a call."""


class Worker:
    """``call(fn, *args, timeout=...)`` runs ``fn`` (a module-level function) in the child."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def _kill(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for proc in list(getattr(pool, "_processes", {}).values()):  # only the child we started
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, AttributeError):
                pass
        pool.shutdown(wait=False, cancel_futures=True)

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float | None = None) -> Any:
        fut = self._start().submit(fn, *args)
        try:
            return fut.result(timeout)
        except BrokenProcessPool:
            self._kill()
            raise WorkerCrash("the process died (segfault or abort in native code)") from None
        except FutureTimeout:
            self._kill()
            raise WorkerCrash(f"no result within {timeout:.0f} s") from None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
