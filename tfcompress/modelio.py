"""Save and load Keras models, including tfmot-wrapped (pruned, clustered, QAT) ones.

Plain models round-trip through both the tf_keras ``.keras`` format and HDF5
``.h5``. Quantize-wrapped (QAT) models only round-trip through ``.h5`` (tf_keras'
``.keras`` loader drops the optimizer-step variables of ``QuantizeLayer``), so
:func:`save_model` refuses them as ``.keras`` and stage outputs use ``.h5``
(:data:`STAGE_MODEL_NAME`). Loading happens inside the combined tfmot scopes.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tfcompress.errors import TfcError
from tfcompress.tfenv import keras, tfmot

SUFFIXES = (".keras", ".h5")
#: File name of a compression stage's model inside its stage directory.
STAGE_MODEL_NAME = "model.h5"


def is_qat_model(model: Any) -> bool:
    """True when ``model`` contains tfmot quantize wrappers."""
    return any(type(layer).__name__ in ("QuantizeWrapper", "QuantizeWrapperV2", "QuantizeLayer")
               for layer in model.layers)


@contextlib.contextmanager
def tfmot_scope() -> Iterator[None]:
    """Enter the prune, cluster and quantize custom-object scopes together."""
    mot = tfmot()
    with contextlib.ExitStack() as stack:
        stack.enter_context(mot.sparsity.keras.prune_scope())
        stack.enter_context(mot.clustering.keras.cluster_scope())
        stack.enter_context(mot.quantization.keras.quantize_scope())
        yield


def _check_suffix(path: Path) -> None:
    if path.suffix not in SUFFIXES:
        raise TfcError(f"unsupported model file '{path}'", "use a .keras or .h5 file")


def save_model(model: Any, path: str | Path) -> Path:
    """Save ``model`` (plain or tfmot-wrapped) to ``path`` (.keras or .h5)."""
    path = Path(path)
    _check_suffix(path)
    if path.suffix == ".keras" and is_qat_model(model):
        raise TfcError(f"cannot save the QAT model as '{path}'", "save quantization-aware models as .h5")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tfmot_scope():
        if path.suffix == ".h5":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                model.save(str(path), include_optimizer=False)
        else:
            model.save(str(path))
    return path


def load_model(path: str | Path, *, compile: bool = False) -> Any:
    """Load a model saved by :func:`save_model` (or any tf_keras .keras/.h5 file)."""
    path = Path(path)
    if not path.exists():
        raise TfcError(f"model file '{path}' not found", "check the path or train the model first")
    _check_suffix(path)
    try:
        with tfmot_scope():
            return keras().models.load_model(str(path), compile=compile)
    except (OSError, ValueError) as err:
        raise TfcError(
            f"cannot load Keras model '{path}': {str(err).splitlines()[0]}",
            "save it with tf_keras (Keras 2) as .keras or .h5",
        ) from err
