"""The zoo as data, and :func:`build_model`."""

from __future__ import annotations

import importlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tfcompress.errors import TfcError, unknown
from tfcompress.tasks import TASKS


@dataclass(frozen=True)
class ZooEntry:
    """One architecture of the zoo."""

    name: str
    module: str  # the module of its body(), e.g. "tfcompress.models.tiny_cnn"
    description: str
    num_blocks: int
    head_dropout: float = 0.0
    regression_head: str = "dense"  # "dense" (pool + flatten + Dense) or "softargmax" (heatmaps)
    positional_classifier: bool = False  # classify from a pooled <= 4x4 map instead of GAP

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "blocks": self.num_blocks}


ZOO: dict[str, ZooEntry] = {
    e.name: e
    for e in (
        ZooEntry("tiny-cnn", "tfcompress.models.tiny_cnn",
                 "Tiny CNN: strided 3x3 stem + 3 conv/max-pool blocks (8-32 ch); a few KB int8", 4),
        ZooEntry("heatmap-cnn", "tfcompress.models.heatmap_cnn",
                 "Localiser: 4 conv blocks to 1/4 resolution + soft-argmax heatmap head for (x, y) "
                 "regression (pupil centre), position-keeping classifier head (gaze zones); ~6 KB int8", 4,
                 regression_head="softargmax", positional_classifier=True),
        ZooEntry("mobilenet-v1", "tfcompress.models.mobilenet_v1",
                 "MobileNetV1, width = alpha (0.25 is MLPerf Tiny VWW); 13 depthwise-separable blocks", 13),
        ZooEntry("mobilenet-v2", "tfcompress.models.mobilenet_v2",
                 "MobileNetV2, width = alpha; 17 inverted residual blocks + 1x1 top conv", 17),
        ZooEntry("squeezenet", "tfcompress.models.squeezenet",
                 "SqueezeNet-style: stem + 8 fire modules (squeeze 1x1, expand 1x1/3x3 concat)", 8),
        ZooEntry("resnet8", "tfcompress.models.resnet8",
                 "ResNet-8 as MLPerf Tiny image classification: stem + 3 residual stacks (16/32/64)", 3),
        ZooEntry("ds-cnn", "tfcompress.models.ds_cnn",
                 "DS-CNN as MLPerf Tiny keyword spotting: 10x4 stem + 4 depthwise-separable blocks", 4,
                 head_dropout=0.4),
    )
}


def list_models() -> list[ZooEntry]:
    """Every architecture in the zoo, in display order."""
    return list(ZOO.values())


def get_entry(name: str) -> ZooEntry:
    """The zoo entry called ``name`` or a :class:`TfcError` listing the valid names."""
    if name not in ZOO:
        raise unknown("model", name, ZOO, hint="see `tfcompress models`")
    return ZOO[name]


def _check(name: str, input_shape: Sequence[int], num_outputs: int, task: str, width: float,
           drop_blocks: int) -> ZooEntry:
    entry = get_entry(name)
    if task not in TASKS:
        raise unknown("task", task, TASKS)
    shape = tuple(input_shape)
    if len(shape) != 3 or any(int(d) < 1 for d in shape):
        raise TfcError(f"input_shape must be (height, width, channels), got {shape}",
                       "give three positive integers, e.g. [64, 64, 1]")
    if int(num_outputs) < 1 or (task == "classification" and int(num_outputs) < 2):
        raise TfcError(f"num_outputs={num_outputs} is not valid for {task}",
                       "use >= 2 classes for classification, >= 1 target for regression or class for detection")
    if not isinstance(width, (int, float)) or not math.isfinite(width) or not 0.05 <= width <= 4.0:
        raise TfcError(f"width {width!r} is out of range", "use a width multiplier between 0.05 and 4")
    if not isinstance(drop_blocks, int) or not 0 <= drop_blocks < entry.num_blocks:
        raise TfcError(f"drop_blocks={drop_blocks!r} is not valid for {name} ({entry.num_blocks} blocks)",
                       f"use 0 to {entry.num_blocks - 1}")
    return entry


def build_model(name: str, input_shape: Sequence[int], num_outputs: int, task: str, *,
                width: float = 1.0, drop_blocks: int = 0, seed: int = 0) -> Any:
    """Build zoo model ``name`` as a functional tf_keras model.

    Classification ends in Dense ``logits`` + Softmax ``probs``; regression in a
    linear Dense ``regression``; detection (``num_outputs`` classes) in an SSD-lite head
    with outputs ``boxes`` and ``classes`` (:mod:`tfcompress.models.ssdlite`). ``drop_blocks`` removes the last N blocks
    (layer-wise student), ``width`` scales every channel count. Weights are
    initialised deterministically from ``seed``.
    """
    from tfcompress.tfenv import keras

    entry = _check(name, input_shape, num_outputs, task, width, drop_blocks)
    from tfcompress.models.layers import head, softargmax_head

    k = keras()
    k.utils.set_random_seed(int(seed))
    arch = importlib.import_module(entry.module)
    inputs = k.Input(shape=tuple(int(d) for d in input_shape), name="input")
    x = arch.body(inputs, width=float(width), keep=entry.num_blocks - drop_blocks)
    if task == "detection":
        from tfcompress.models.ssdlite import detection_head

        outputs = detection_head(inputs, x, int(num_outputs), float(width))
    elif task == "regression" and entry.regression_head == "softargmax" and int(num_outputs) % 2 == 0:
        outputs = softargmax_head(x, int(num_outputs))
    else:
        outputs = head(x, int(num_outputs), task, dropout=entry.head_dropout,
                       keep_position=entry.positional_classifier)
    model = k.Model(inputs, outputs, name=name.replace("-", "_"))
    if task == "detection":
        from tfcompress.models.ssdlite import set_bn_momentum

        set_bn_momentum(model)
    return model
