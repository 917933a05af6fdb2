"""tfcompress: from a Keras model to measured numbers on a microcontroller.

Importing the package selects Keras 2 (``tf_keras``) for TensorFlow, which
tensorflow-model-optimization requires, and quiets TensorFlow's start-up logs.
TensorFlow itself is imported lazily (see :mod:`tfcompress.tfenv`) so that the
CLI answers ``--help`` instantly.
"""

from __future__ import annotations

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
os.environ.setdefault("GLOG_minloglevel", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("PYTHONHASHSEED", "0")

__version__ = "0.1.0"
