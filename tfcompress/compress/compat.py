"""Check that every layer of a model is one tfmot can handle, naming the ones it cannot."""

from __future__ import annotations

from typing import Any

from tfcompress.errors import TfcError
from tfcompress.tfenv import keras, tfmot

_FIX = {
    "prune": "replace it with built-in Keras layers (Rescaling, Reshape, Activation, ...) "
    "or make it a tfmot PrunableLayer",
    "cluster": "replace it with built-in Keras layers or make it a tfmot ClusterableLayer",
    "quantize": "replace it with built-in Keras layers, or annotate it with a custom "
    "QuantizeConfig; or skip QAT and use the post-training int8 conversion",
}


def _supported(layer: Any, stage: str) -> bool:
    L = keras().layers
    if isinstance(layer, (L.InputLayer, L.Lambda)):
        return isinstance(layer, L.InputLayer)
    if stage == "prune":
        from tensorflow_model_optimization.python.core.sparsity.keras.prune_registry import PruneRegistry

        return PruneRegistry.supports(layer) or isinstance(layer, tfmot().sparsity.keras.PrunableLayer)
    if stage == "cluster":
        from tensorflow_model_optimization.python.core.clustering.keras.clustering_registry import (
            ClusteringRegistry,
        )

        return ClusteringRegistry.supports(layer) or isinstance(
            layer, tfmot().clustering.keras.ClusterableLayer
        )
    from tensorflow_model_optimization.python.core.quantization.keras.default_8bit import (
        default_8bit_quantize_registry as reg,
    )

    return reg.Default8BitQuantizeRegistry().supports(layer) or isinstance(
        layer, (L.BatchNormalization, L.Softmax)
    )


def check_layers(model: Any, stage: str) -> None:
    """Raise TfcError naming the first layer tfmot cannot ``stage`` (prune/cluster/quantize)."""
    if not isinstance(model, keras().Model):
        raise TfcError("the model is not a tf_keras model", "build and save it with tf_keras (Keras 2)")
    for layer in model.layers:
        if isinstance(layer, keras().Model):
            raise TfcError(
                f"layer '{layer.name}' is a nested model, which tfmot cannot {stage}",
                "flatten the model into one functional or Sequential model",
            )
        if not _supported(layer, stage):
            raise TfcError(
                f"layer '{layer.name}' ({type(layer).__name__}) cannot be {stage}d by tfmot",
                _FIX[stage],
            )
