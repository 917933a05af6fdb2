"""Structured channel pruning that really removes filters.

Filters of each Conv2D are ranked by the L1 norm of their kernels; the weakest
``fraction`` are removed and a smaller functional model is rebuilt: the removal
propagates through channel-wise layers (BatchNormalization, activations, pooling,
Dropout, DepthwiseConv2D with multiplier 1, GlobalPooling, Flatten) into the input
channels of the next Conv2D/Dense. A conv whose output reaches a merge (Add,
Concatenate, ...), another unsupported layer or a model output keeps all filters.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from tfcompress.compress import finetune
from tfcompress.compress.result import StageResult, layer_report
from tfcompress.errors import TfcError
from tfcompress.tfenv import keras

#: layers that act per channel and keep the channel axis last.
_CHANNELWISE = {
    "BatchNormalization", "ReLU", "Activation", "LeakyReLU", "PReLU", "ELU", "MaxPooling2D",
    "AveragePooling2D", "Dropout", "SpatialDropout2D", "ZeroPadding2D", "GlobalAveragePooling2D",
    "GlobalMaxPooling2D", "DepthwiseConv2D", "Cropping2D", "Flatten",
}


@dataclass
class ChannelParams:
    """Channel-pruning parameters: remove ``fraction`` of each prunable conv's filters."""

    fraction: float = 0.25
    epochs: int = 4
    batch_size: int = 64
    learning_rate: float = 1e-3

    def validate(self) -> None:
        if not 0.0 < self.fraction < 1.0:
            raise TfcError(f"channel fraction {self.fraction} is out of range", "use a value in (0, 1), e.g. 0.25")


def _layer_configs(model: Any) -> list[dict[str, Any]]:
    cfg = model.get_config()
    if "layers" not in cfg or not isinstance(model, keras().Model) or isinstance(model, keras().Sequential):
        if isinstance(model, keras().Sequential):
            return _layer_configs(keras().Model(model.inputs, model.outputs))
        raise TfcError("channel pruning needs a functional or Sequential tf_keras model",
                       "rebuild the model with the functional API")
    return cfg["layers"]


def _inbound(lc: dict[str, Any]) -> list[str]:
    nodes = lc.get("inbound_nodes") or []
    if not nodes:
        return []
    if len(nodes) > 1:
        raise TfcError(f"layer '{lc['name']}' is shared (called more than once)",
                       "channel pruning needs each layer used once")
    node = nodes[0]
    if isinstance(node, dict):  # newer serialisation
        return [a["config"]["keras_history"][0] for a in node.get("args", []) if isinstance(a, dict)]
    return [entry[0] for entry in node]


def _is_channelwise(layer: Any) -> bool:
    name = type(layer).__name__
    if name == "DepthwiseConv2D":
        return int(layer.depth_multiplier) == 1
    return name in _CHANNELWISE


def prunable_convs(model: Any) -> list[str]:
    """Conv2D layers whose filters can be removed (their outputs reach only Conv2D/Dense consumers)."""
    configs = _layer_configs(model)
    consumers: dict[str, list[str]] = {lc["name"]: [] for lc in configs}
    for lc in configs:
        for src in _inbound(lc):
            consumers[src].append(lc["name"])
    outputs = {t.node.layer.name for t in model.outputs} if hasattr(model.outputs[0], "node") else {
        n.name.split("/")[0] for n in model.outputs}

    def ok(name: str) -> bool:
        if name in outputs:
            return False
        for c in consumers[name]:
            layer = model.get_layer(c)
            kind = type(layer).__name__
            if kind == "Conv2D" and layer.groups == 1 or kind == "Dense":
                continue
            if not _is_channelwise(layer) or not ok(c):
                return False
        return bool(consumers[name])

    return [lc["name"] for lc in configs
            if lc["class_name"] == "Conv2D" and model.get_layer(lc["name"]).groups == 1 and ok(lc["name"])]


def _l1_keep(kernel: np.ndarray, fraction: float) -> np.ndarray:
    cout = kernel.shape[-1]
    n_keep = max(1, int(round(cout * (1.0 - fraction))))
    norms = np.abs(kernel).reshape(-1, cout).sum(axis=0)
    return np.sort(np.argsort(-norms, kind="stable")[:n_keep])


def shrink_model(model: Any, fraction: float) -> tuple[Any, dict[str, tuple[int, int]]]:
    """Rebuild ``model`` without the weakest filters; returns (model, {conv: (before, after)})."""
    K = keras()
    configs = _layer_configs(model)
    targets = set(prunable_convs(model))
    if not targets:
        raise TfcError("no Conv2D layer in this model can lose filters",
                       "channel pruning needs convs followed by Conv2D/Dense (not merges or outputs)")
    keep: dict[str, np.ndarray | None] = {}
    tensors: dict[str, Any] = {}
    new_weights: dict[str, list[np.ndarray]] = {}
    changes: dict[str, tuple[int, int]] = {}
    for lc in configs:
        name, layer = lc["name"], model.get_layer(lc["name"])
        srcs = _inbound(lc)
        if not srcs:
            tensors[name] = K.Input(batch_shape=layer.get_config()["batch_input_shape"], name=name)
            keep[name] = None
            continue
        in_keep = keep[srcs[0]] if len(srcs) == 1 else None
        if len(srcs) > 1 and any(keep[s] is not None for s in srcs):
            raise TfcError(f"internal: pruned channels reach merge layer '{name}'", "report this bug")
        cfg = dict(layer.get_config())
        weights = layer.get_weights()
        kind = type(layer).__name__
        out_keep: np.ndarray | None = None
        if kind == "Conv2D":
            k = weights[0]
            if in_keep is not None:
                k = k[:, :, in_keep, :]
            if name in targets:
                out_keep = _l1_keep(weights[0], fraction)
                k = k[..., out_keep]
                changes[name] = (int(weights[0].shape[-1]), len(out_keep))
                cfg["filters"] = len(out_keep)
            weights = [k] + ([weights[1][out_keep] if out_keep is not None else weights[1]] if len(weights) > 1 else [])
        elif kind == "Dense":
            if in_keep is not None:
                weights = [weights[0][in_keep, :], *weights[1:]]
        elif kind == "Flatten" and in_keep is not None:
            shape = layer.input_shape[1:]
            channels = int(shape[-1])
            spatial = int(np.prod(shape[:-1]))
            out_keep = np.array([p * channels + c for p in range(spatial) for c in in_keep])
        elif in_keep is not None:  # channel-wise layer
            out_keep = in_keep
            if kind == "DepthwiseConv2D":
                weights = [weights[0][:, :, in_keep, :], *[w[in_keep] for w in weights[1:]]]
            elif kind in ("BatchNormalization", "PReLU"):
                weights = [w[..., in_keep] for w in weights]
        new_layer = K.layers.deserialize({"class_name": lc["class_name"], "config": cfg})
        inputs = [tensors[s] for s in srcs]
        tensors[name] = new_layer(inputs[0] if len(inputs) == 1 else inputs)
        keep[name] = out_keep
        new_weights[name] = weights
    out_names = [t.node.layer.name for t in model.outputs]
    small = K.Model([tensors[t.node.layer.name] for t in model.inputs], [tensors[n] for n in out_names],
                    name=model.name)
    for name, ws in new_weights.items():
        if ws:
            small.get_layer(name).set_weights(ws)
    return small, changes


def channel_prune(model: Any, dataset: Any, params: ChannelParams | None = None, *, seed: int = 0) -> StageResult:
    """Remove the weakest filters, fine-tune and report the (really smaller) model."""
    params = params or ChannelParams()
    params.validate()
    baseline = finetune.evaluate(model, dataset)
    small, changes = shrink_model(model, params.fraction)
    before_ft = finetune.evaluate(small, dataset)
    finetune.fit(small, dataset, epochs=params.epochs, batch_size=params.batch_size,
                 learning_rate=params.learning_rate, seed=seed)
    return StageResult(
        stage="channels",
        model=small,
        metrics={
            "metric": dataset.metric,
            "baseline": baseline,
            "before_finetune": before_ft,
            "value": finetune.evaluate(small, dataset),
            "params_before": int(model.count_params()),
            "params": int(small.count_params()),
            "filters": {k: list(v) for k, v in changes.items()},
        },
        layers=layer_report(small),
        params=asdict(params),
    )
