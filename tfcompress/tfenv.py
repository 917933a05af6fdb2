"""Lazy, quiet access to TensorFlow and tf_keras (Keras 2).

Always import TensorFlow through :func:`tf` and Keras through :func:`keras` so
that ``TF_USE_LEGACY_KERAS=1`` is in force and log spam is silenced.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from functools import cache
from types import ModuleType

import tfcompress  # noqa: F401  (sets the environment variables)


@contextlib.contextmanager
def _stderr_silenced() -> Iterator[None]:
    """Silence C++ start-up lines (written before absl logging is configured) on fd 2."""
    try:
        saved = os.dup(2)
    except OSError:  # no usable stderr: nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stderr.flush()
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@cache
def tf() -> ModuleType:
    """Return the ``tensorflow`` module, imported once with logging quieted."""
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module="tensorflow")
    with _stderr_silenced():
        import tensorflow as _tf

    _tf.get_logger().setLevel(logging.ERROR)
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:  # pragma: no cover - absl ships with TF
        pass
    return _tf


@cache
def keras() -> ModuleType:
    """Return ``tf_keras`` (Keras 2), the Keras that tfmot works with."""
    tf()
    import tf_keras

    return tf_keras


@cache
def tfmot() -> ModuleType:
    """Return ``tensorflow_model_optimization`` on top of tf_keras."""
    keras()
    import tensorflow_model_optimization as _tfmot

    return _tfmot


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow for reproducible runs."""
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    tf().random.set_seed(seed)
    keras().utils.set_random_seed(seed)
