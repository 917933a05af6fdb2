"""Building blocks shared by the zoo (only layers tfmot can prune, cluster and quantize).

Every block is a plain Conv/DepthwiseConv/Dense + BatchNormalization + ReLU(6) chain
so that tfmot's default 8-bit scheme folds the batch norm and fuses the activation.
"""

from __future__ import annotations

import math
from typing import Any

from tfcompress.tfenv import keras


def scaled(channels: int, width: float, divisor: int = 4, minimum: int = 4) -> int:
    """Scale a channel count by ``width`` and round to a multiple of ``divisor``."""
    value = max(minimum, int(channels * width + divisor / 2) // divisor * divisor)
    if value < 0.9 * channels * width:  # never round down by more than 10%
        value += divisor
    return value


def spatial(x: Any) -> tuple[int, int]:
    """(height, width) of an NHWC tensor."""
    return int(x.shape[1]), int(x.shape[2])


def stride_for(x: Any, stride: int) -> int:
    """Use ``stride`` only while the feature map is at least 2 pixels on each side."""
    h, w = spatial(x)
    return stride if min(h, w) >= 2 else 1


def conv_bn(x: Any, filters: int, kernel: int | tuple[int, int], prefix: str, *, stride: int = 1,
            act: str | None = "relu", init: Any = None) -> Any:
    """Conv2D (no bias) + BatchNorm + optional ReLU/ReLU6, layers named ``prefix_*``."""
    L = keras().layers
    x = L.Conv2D(filters, kernel, strides=stride_for(x, stride), padding="same", use_bias=False,
                 kernel_initializer=init or "he_normal", name=f"{prefix}_conv")(x)
    x = L.BatchNormalization(name=f"{prefix}_bn")(x)
    return activation(x, act, prefix)


def dw_bn(x: Any, prefix: str, *, kernel: int = 3, stride: int = 1, act: str | None = "relu",
          init: Any = None) -> Any:
    """DepthwiseConv2D (no bias) + BatchNorm + optional activation."""
    L = keras().layers
    x = L.DepthwiseConv2D(kernel, strides=stride_for(x, stride), padding="same", use_bias=False,
                          depthwise_initializer=init or "he_normal", name=f"{prefix}_dw")(x)
    x = L.BatchNormalization(name=f"{prefix}_dw_bn")(x)
    return activation(x, act, f"{prefix}_dw")


def activation(x: Any, act: str | None, prefix: str) -> Any:
    """Apply ``relu``/``relu6``/None as a ReLU layer named ``prefix_relu``."""
    if act is None:
        return x
    L = keras().layers
    if act == "relu":
        return L.ReLU(name=f"{prefix}_relu")(x)
    if act == "relu6":
        return L.ReLU(6.0, name=f"{prefix}_relu")(x)
    raise ValueError(f"unsupported activation {act!r}")


def head(x: Any, num_outputs: int, task: str, init: Any = None, *, dropout: float = 0.0,
         keep_position: bool = False) -> Any:
    """Classification: GAP -> Dense logits -> Softmax "probs".

    Regression (and classification with ``keep_position``, e.g. gaze zones):
    average-pool down to at most 4x4 (keeps where things are), flatten, then a
    linear Dense "regression" (or Dense "logits" + Softmax "probs").
    """
    L = keras().layers
    if task == "classification" and not keep_position:
        x = L.GlobalAveragePooling2D(name="head_pool")(x)
        if dropout:
            x = L.Dropout(dropout, name="head_dropout")(x)
        x = L.Dense(num_outputs, kernel_initializer=init or "glorot_uniform", name="logits")(x)
        return L.Softmax(name="probs")(x)
    h, w = spatial(x)
    ph, pw = max(1, math.ceil(h / 4)), max(1, math.ceil(w / 4))
    if ph > 1 or pw > 1:
        x = L.AveragePooling2D((ph, pw), padding="same", name="head_pool")(x)
    x = L.Flatten(name="head_flatten")(x)
    if dropout:
        x = L.Dropout(dropout, name="head_dropout")(x)
    if task == "classification":
        x = L.Dense(num_outputs, kernel_initializer=init or "glorot_uniform", name="logits")(x)
        return L.Softmax(name="probs")(x)
    return L.Dense(num_outputs, kernel_initializer=init or "glorot_uniform", name="regression")(x)


def coordinate_grid(height: int, width: int) -> Any:
    """(H*W, 2) centres (x, y) of the cells of an HxW map, in units of the image size."""
    import numpy as np

    gx, gy = np.meshgrid((np.arange(width) + 0.5) / width, (np.arange(height) + 0.5) / height)
    return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


def softargmax_head(x: Any, num_outputs: int) -> Any:
    """Regression of (x, y) points as the expectation of a softmax heatmap per point.

    Per point: 1x1 conv -> Flatten -> Softmax over the map; then one linear Dense
    "regression" whose frozen kernel holds the cell coordinates (block-diagonal for
    several points), so output k is sum_cells p(cell) * coordinate(cell). Targets are
    (x, y) in [0, 1] of the image, pairs in order.
    """
    import numpy as np

    k = keras()
    L = k.layers
    points = num_outputs // 2
    h, w = spatial(x)
    grid = coordinate_grid(h, w)
    maps = []
    for p in range(1, points + 1):
        m = L.Conv2D(1, 1, name=f"heatmap{p}_conv")(x)
        m = L.Flatten(name=f"heatmap{p}_flatten")(m)
        maps.append(L.Softmax(name=f"heatmap{p}_softmax")(m))
    y = maps[0] if points == 1 else L.Concatenate(name="heatmaps")(maps)
    kernel = np.zeros((points * h * w, num_outputs), np.float32)
    for p in range(points):
        kernel[p * h * w : (p + 1) * h * w, 2 * p : 2 * p + 2] = grid
    dense = L.Dense(num_outputs, use_bias=False, trainable=False, name="regression",
                    kernel_initializer=k.initializers.Constant(kernel.tolist()))
    return dense(y)
