"""SSD-lite detection head on any zoo body.

The body's last feature maps at the anchor strides (``AnchorSpec.levels``; layers of the
1x1 ``top`` conv excluded) feed the head; levels the body does not reach are added with
separable stride-2 blocks. Each level: depthwise 3x3 + BN + ReLU6, then 1x1 convs to
``k*4`` box offsets and ``k*(C+1)`` class logits, reshaped and concatenated into the two
outputs ``boxes`` (N, A, 4) and ``classes`` (N, A, C+1), anchors in
:func:`tfcompress.detect.boxes.make_anchors` order.
"""

from __future__ import annotations

import math
from typing import Any

from tfcompress.detect.boxes import DEFAULT_SPEC, AnchorSpec
from tfcompress.models.layers import conv_bn, dw_bn, scaled
from tfcompress.tfenv import keras

EXTRA_CHANNELS = 96  # channels of the added levels, before width
#: initial background probability: the class bias starts every anchor as background (as the focal-loss
#: paper's prior), so the many negatives do not swamp the first updates
BACKGROUND_PRIOR = 0.99
#: BatchNormalization momentum of detectors: short detection runs left the 0.99 default's moving
#: statistics far from the batch ones (mAP@0.5 0.06 in inference mode vs 0.9 with 0.9, 80 steps)
BN_MOMENTUM = 0.9


def _features(inputs: Any, body_out: Any, grids: list[int]) -> list[Any]:
    """The last tensor of the body at each grid side (None where the body stops earlier)."""
    probe = keras().Model(inputs, body_out)
    found: dict[int, Any] = {}
    for layer in probe.layers:
        shape = getattr(layer, "output_shape", None)
        if layer.name.startswith("top_") or not isinstance(shape, tuple) or len(shape) != 4:
            continue
        if shape[1] in grids and shape[1] == shape[2]:
            found[shape[1]] = layer.output
    return [found.get(g) for g in grids]


def detection_head(inputs: Any, body_out: Any, num_classes: int, width: float,
                   spec: AnchorSpec = DEFAULT_SPEC) -> list[Any]:
    """``[boxes, classes]`` outputs of an SSD-lite head over the body's feature maps."""
    L = keras().layers
    size = int(inputs.shape[1])
    grids = spec.grids(size)
    feats = _features(inputs, body_out, grids)
    if feats[0] is None:
        raise ValueError(f"the body has no {grids[0]}x{grids[0]} feature map (stride {spec.levels[0][0]})")
    extra = scaled(EXTRA_CHANNELS, width, 8, 8)
    for i in range(1, len(feats)):
        if feats[i] is None:
            x = conv_bn(feats[i - 1], extra // 2, 1, f"ssd_extra{i}_reduce", act="relu6")
            x = dw_bn(x, f"ssd_extra{i}", stride=2, act="relu6")
            feats[i] = conv_bn(x, extra, 1, f"ssd_extra{i}_project", act="relu6")
    k, boxes, classes = spec.per_cell, [], []
    prior = math.log(BACKGROUND_PRIOR * num_classes / (1 - BACKGROUND_PRIOR))
    bias = [prior if j % (num_classes + 1) == 0 else 0.0 for j in range(k * (num_classes + 1))]
    for i, f in enumerate(feats):
        if int(f.shape[1]) != grids[i]:
            raise ValueError(f"level {i} is {f.shape[1]}x{f.shape[2]}, anchors expect {grids[i]}x{grids[i]}")
        x = dw_bn(f, f"ssd_head{i}", act="relu6")
        b = L.Conv2D(k * 4, 1, name=f"ssd_head{i}_boxes")(x)
        c = L.Conv2D(k * (num_classes + 1), 1, bias_initializer=keras().initializers.Constant(bias),
                     name=f"ssd_head{i}_classes")(x)
        n = grids[i] * grids[i] * k  # explicit: TFLM's RESHAPE mis-sizes a -1 here
        boxes.append(L.Reshape((n, 4), name=f"ssd_head{i}_boxes_flat")(b))
        classes.append(L.Reshape((n, num_classes + 1), name=f"ssd_head{i}_classes_flat")(c))
    return [L.Concatenate(axis=1, name="boxes")(boxes), L.Concatenate(axis=1, name="classes")(classes)]


def set_bn_momentum(model: Any, momentum: float = BN_MOMENTUM) -> Any:
    """Set every BatchNormalization layer's momentum (saved with the model)."""
    bn = keras().layers.BatchNormalization
    for layer in model.layers:
        if isinstance(layer, bn):
            layer.momentum = momentum
    return model
