"""A corpus of small .tflite models nobody tuned the engine for: every TFLM int8/int16 op, multi-I/O,
uint8/float I/O, folded shape arithmetic, stateful models and small real-world-like architectures.

``entries()`` lists the :class:`~tests.corpus.registry.Entry` records (name, features, build() ->
bytes); ``tests/corpus/build.py`` writes the small ones to ``tests/fixtures/corpus/`` with a
``manifest.json``; :mod:`tests.corpus.oracle` runs a model in TFLM's host interpreter (and the TFLite
reference kernels); ``benchmarks/coverage.py`` measures the engine against it.
"""

from __future__ import annotations

from .registry import Entry, entries, get

__all__ = ["Entry", "entries", "get"]
