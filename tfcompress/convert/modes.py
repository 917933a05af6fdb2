"""TFLite conversion modes (data) and the converter that applies one.

Each mode promises input/output and weight dtypes (:data:`MODES`); tests check them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from tfcompress.errors import TfcError, unknown
from tfcompress.tfenv import tf

#: mode -> converter settings and the dtypes the resulting model promises.
MODES: dict[str, dict[str, Any]] = {
    "float32": {"optimize": False, "io": "float32", "weights": "float32", "qat": False},
    "dynamic": {"optimize": True, "io": "float32", "weights": "int8", "qat": False},
    "float16": {"optimize": True, "float16": True, "io": "float32", "weights": "float16", "qat": False},
    "int8": {
        "optimize": True, "representative": True, "ops": "TFLITE_BUILTINS_INT8",
        "io": "int8", "weights": "int8", "qat": False,
    },
    "int16x8": {
        "optimize": True, "representative": True,
        "ops": "EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8",
        "io": "int16", "weights": "int8", "qat": False,
    },
    "qat-int8": {
        "optimize": True, "representative": True, "ops": "TFLITE_BUILTINS_INT8", "io": "int8", "weights": "int8", "qat": True,
    },
}
#: Modes produced for plain models and for QAT models when none are asked for.
DEFAULT_MODES = ("float32", "dynamic", "float16", "int8", "int16x8")
DEFAULT_QAT_MODES = ("qat-int8",)


def parse_modes(text: str | None, qat_model: bool) -> list[str]:
    """Parse ``--modes a,b`` (``all`` or empty = the defaults for the model kind)."""
    if not text or text == "all":
        return list(DEFAULT_QAT_MODES if qat_model else DEFAULT_MODES)
    modes = [m.strip() for m in text.split(",") if m.strip()]
    for m in modes:
        if m not in MODES:
            raise unknown("conversion mode", m, MODES)
    return modes


def _representative(dataset: Any, n: int, seed: int) -> Iterator[list[np.ndarray]]:
    for x in dataset.representative(n, seed=seed):
        yield [np.asarray(x, dtype=np.float32)[None, ...]]


def convert_model(model: Any, mode: str, dataset: Any, *, representative_n: int = 200, seed: int = 0) -> bytes:
    """Convert a tf_keras model to a ``.tflite`` flatbuffer with ``mode``.

    Raises TfcError when the mode does not fit the model (e.g. ``qat-int8`` on a
    model that was not quantization-aware trained) or the converter fails.
    """
    from tfcompress.modelio import is_qat_model

    if mode not in MODES:
        raise unknown("conversion mode", mode, MODES)
    spec = MODES[mode]
    qat = is_qat_model(model)
    if spec["qat"] and not qat:
        raise TfcError(f"mode '{mode}' needs a quantization-aware trained model",
                       "run `tfcompress compress --qat ...` first, or use the int8 mode")
    if qat and not spec["qat"] and mode != "float32":
        raise TfcError(f"mode '{mode}' does not apply to a QAT model", "use qat-int8 (or float32)")
    t = tf()
    conv = t.lite.TFLiteConverter.from_keras_model(model)
    if spec["optimize"]:
        conv.optimizations = [t.lite.Optimize.DEFAULT]
    if spec.get("float16"):
        conv.target_spec.supported_types = [t.float16]
    if spec.get("representative"):
        conv.representative_dataset = lambda: _representative(dataset, representative_n, seed)
    if spec.get("ops"):
        conv.target_spec.supported_ops = [getattr(t.lite.OpsSet, spec["ops"])]
    if spec["io"] in ("int8", "int16"):
        conv.inference_input_type = getattr(t, spec["io"])
        conv.inference_output_type = getattr(t, spec["io"])
    try:
        return bytes(conv.convert())
    except Exception as err:  # the converter raises many exception types
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise TfcError(f"conversion to '{mode}' failed: {first}",
                       "try another mode or simplify the model (see the converter log)") from err
