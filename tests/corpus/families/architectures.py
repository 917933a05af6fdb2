"""Small real-world-like networks: Keras applications at small input sizes (cached "zoo" entries)
and hand-written small ones (committed)."""

from __future__ import annotations

from tfcompress.tfenv import keras, tf

from ..convert import convert, randomize, seed_all
from ..registry import add
from .common import probe

L = keras().layers
T = tf()


def _app(factory: str, shape: tuple[int, ...], mode: str, **kw) -> bytes:
    K = keras()
    seed_all(0)
    model = getattr(K.applications, factory)(input_shape=shape, weights=None, classes=10, **kw)
    return convert(randomize(model, 0), mode, n_rep=8)


_APPS = [
    ("mobilenet_v1_a025_96", "MobileNet", (96, 96, 3), dict(alpha=0.25), ("int8", "int16x8")),
    ("mobilenet_v2_a035_96", "MobileNetV2", (96, 96, 3), dict(alpha=0.35), ("int8", "int16x8")),
    ("mobilenet_v3_small_min_96", "MobileNetV3Small", (96, 96, 3),
     dict(alpha=0.75, minimalistic=True, include_preprocessing=False), ("int8",)),
    ("mobilenet_v3_small_96", "MobileNetV3Small", (96, 96, 3),
     dict(alpha=0.75, minimalistic=False, include_preprocessing=False), ("int8",)),
    ("mobilenet_v3_large_min_64", "MobileNetV3Large", (64, 64, 3),
     dict(alpha=0.75, minimalistic=True, include_preprocessing=False), ("int8",)),
    ("efficientnet_b0_64", "EfficientNetB0", (64, 64, 3), {}, ("int8",)),
    ("resnet50_v2_32", "ResNet50V2", (32, 32, 3), {}, ("int8",)),
    ("densenet121_32", "DenseNet121", (32, 32, 3), {}, ("int8",)),
]
for _name, _factory, _shape, _kw, _modes in _APPS:
    for _mode in _modes:
        add(f"arch_{_name}_{_mode}", (_mode, "architecture", "zoo"),
            lambda f=_factory, s=_shape, m=_mode, kw=_kw: _app(f, s, m, **kw),
            note=f"tf_keras.applications.{_factory}{_shape} weights=None {_kw}")


# ---- hand-written small networks (committed) ----
def _unet(x):
    c1 = L.Conv2D(8, 3, padding="same", activation="relu")(x)
    p1 = L.MaxPooling2D(2)(c1)
    c2 = L.Conv2D(16, 3, padding="same", activation="relu")(p1)
    p2 = L.MaxPooling2D(2)(c2)
    b = L.Conv2D(16, 3, padding="same", activation="relu")(p2)
    u2 = L.Conv2DTranspose(16, 2, strides=2, padding="same")(b)
    c3 = L.Conv2D(16, 3, padding="same", activation="relu")(L.Concatenate()([u2, c2]))
    u1 = L.UpSampling2D(2)(c3)
    c4 = L.Conv2D(8, 3, padding="same", activation="relu")(L.Concatenate()([u1, c1]))
    return L.Conv2D(2, 1, activation="sigmoid")(c4)


probe("arch_unet_tiny", (32, 32, 1), _unet, features=["architecture"], note="conv/pool, transpose conv, "
      "nearest upsampling, skip concatenations, sigmoid mask")


def _kws_lstm(x):
    return L.Softmax()(L.Dense(12)(L.LSTM(24)(x)))


probe("arch_kws_lstm", (25, 10), _kws_lstm, modes=("int8",), features=["architecture", "stateful"],
      invocations=3, note="keyword spotter: 25 MFCC frames x 10 -> LSTM(24) -> 12 classes (the LSTM "
      "state is a variable tensor TFLM keeps across invocations)")


def _kws_gru(x):
    return L.Softmax()(L.Dense(12)(L.GRU(16, unroll=True)(x)))


probe("arch_kws_gru_unrolled", (12, 10), _kws_gru, features=["architecture"])


def _kws_dscnn(x):
    y = L.Conv2D(16, (5, 3), strides=(2, 2), padding="same")(x)
    y = L.ReLU()(L.BatchNormalization()(y))
    for _ in range(2):
        y = L.ReLU()(L.BatchNormalization()(L.DepthwiseConv2D(3, padding="same")(y)))
        y = L.ReLU()(L.BatchNormalization()(L.Conv2D(16, 1)(y)))
    return L.Softmax()(L.Dense(12)(L.GlobalAveragePooling2D()(y)))


probe("arch_kws_dscnn", (25, 10, 1), _kws_dscnn, features=["architecture"])


def _transformer(x):
    h = L.Dense(24)(x)
    a = L.MultiHeadAttention(num_heads=2, key_dim=12)(h, h)
    h = L.LayerNormalization()(h + a)
    f = L.Dense(24)(L.Dense(48, activation="relu")(h))
    h = L.LayerNormalization()(h + f)
    return L.Softmax()(L.Dense(4)(L.GlobalAveragePooling1D()(h)))


probe("arch_transformer_tiny", (12, 16), _transformer, features=["architecture"],
      note="one encoder block: MultiHeadAttention + LayerNormalization + FFN")


def _detector(x):
    y = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
    y = L.DepthwiseConv2D(3, padding="same", activation="relu")(y)
    y = L.Conv2D(16, 1, activation="relu")(y)
    y = L.Conv2D(16, 3, strides=2, padding="same", activation="relu")(y)
    boxes = L.Reshape((-1, 4), name="boxes")(L.Conv2D(2 * 4, 1)(y))
    scores = L.Activation("sigmoid", name="scores")(L.Reshape((-1, 3))(L.Conv2D(2 * 3, 1)(y)))
    return [boxes, scores]


probe("arch_two_head_detector", (32, 32, 3), _detector, features=["architecture", "multi-output"],
      note="SSD-style: per-anchor box regression and class scores from an 8x8 feature map")


def _multi_input(img, meta):
    y = L.MaxPooling2D(2)(L.Conv2D(8, 3, activation="relu")(img))
    y = L.GlobalAveragePooling2D()(L.Conv2D(16, 3, activation="relu")(y))
    m = L.Dense(8, activation="relu")(meta)
    return L.Softmax()(L.Dense(5)(L.Concatenate()([y, m])))


probe("arch_multi_input", [(24, 24, 3), (7,)], _multi_input, features=["architecture", "multi-input"])


def _har(x):
    y = L.Conv1D(16, 5, activation="relu")(x)
    y = L.MaxPooling1D(2)(y)
    y = L.Conv1D(24, 5, activation="relu")(y)
    y = L.GlobalAveragePooling1D()(y)
    return L.Softmax()(L.Dense(6)(L.Dropout(0.2)(y)))


probe("arch_har_conv1d", (64, 3), _har, features=["architecture"],
      note="human activity recognition: 64 accelerometer samples x 3 axes, Conv1D")


def _resize_mix(x):
    y = L.Cropping2D(((2, 2), (1, 3)))(x)
    y = T.image.resize(y, (16, 16))
    y = L.Conv2D(6, 3, padding="same", activation="relu")(y)
    y = L.Permute((2, 1, 3))(y)
    a, b = T.split(y, 2, axis=-1)
    y = L.Concatenate()([L.MaxPooling2D(2)(a), L.AveragePooling2D(2)(b)])
    y = L.UpSampling2D(2, interpolation="bilinear")(y)
    return L.Conv2D(3, 1)(y)


probe("arch_resize_crop_permute_split", (20, 20, 3), _resize_mix, features=["architecture"])


def _preact_resnet(x):
    y = L.Conv2D(16, 3, padding="same")(x)
    for _ in range(2):
        r = L.Conv2D(16, 3, padding="same")(L.ReLU()(L.BatchNormalization()(y)))
        r = L.Conv2D(16, 3, padding="same")(L.ReLU()(L.BatchNormalization()(r)))
        y = L.Add()([y, r])
    y = L.ReLU()(L.BatchNormalization()(y))
    return L.Softmax()(L.Dense(10)(L.GlobalAveragePooling2D()(y)))


probe("arch_preact_resnet", (16, 16, 3), _preact_resnet, features=["architecture", "const-operand"],
      note="BN before conv: MUL/ADD by constants the conv cannot absorb")


def _fire(x, s, e):
    q = L.Conv2D(s, 1, activation="relu")(x)
    return L.Concatenate()([L.Conv2D(e, 1, activation="relu")(q),
                            L.Conv2D(e, 3, padding="same", activation="relu")(q)])


def _squeezenet(x):
    y = L.MaxPooling2D(3, 2)(L.Conv2D(16, 3, strides=2, activation="relu")(x))
    y = _fire(_fire(y, 8, 16), 8, 16)
    y = L.Conv2D(10, 1)(L.Dropout(0.1)(y))
    return L.Softmax()(L.GlobalAveragePooling2D()(y))


probe("arch_squeezenet_tiny", (48, 48, 3), _squeezenet, features=["architecture"])


def _mbv2_block(x):
    y = L.Conv2D(8, 3, strides=2, padding="same")(x)
    y = L.ReLU(6.0)(L.BatchNormalization()(y))
    e = L.ReLU(6.0)(L.BatchNormalization()(L.Conv2D(24, 1)(y)))
    e = L.ReLU(6.0)(L.BatchNormalization()(L.DepthwiseConv2D(3, padding="same")(e)))
    y = L.Add()([y, L.BatchNormalization()(L.Conv2D(8, 1)(e))])
    hs = y * (L.ReLU(6.0)(y + 3.0) * (1.0 / 6.0))
    se = L.Conv2D(8, 1, activation="sigmoid")(L.Conv2D(4, 1, activation="relu")(
        L.GlobalAveragePooling2D(keepdims=True)(hs)))
    return L.Dense(5)(L.Flatten()(L.Multiply()([hs, se])))


probe("arch_inverted_residual_se", (24, 24, 3), _mbv2_block, modes=("int8",), features=["architecture"],
      note="MobileNetV2/V3 style: inverted residual, hard-swish, squeeze-excite")


def _ds_block(y, filters, stride):
    y = L.ReLU(6.0)(L.BatchNormalization()(L.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(y)))
    return L.ReLU(6.0)(L.BatchNormalization()(L.Conv2D(filters, 1, use_bias=False)(y)))


def _yamnet_like(x):
    y = L.ReLU(6.0)(L.BatchNormalization()(L.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(x)))
    for f, s in ((16, 1), (16, 2), (24, 1), (32, 2)):
        y = _ds_block(y, f, s)
    return L.Softmax()(L.Dense(8)(L.GlobalAveragePooling2D()(y)))


probe("arch_yamnet_like", (32, 32, 1), _yamnet_like, features=["architecture"],
      note="YAMNet-style depthwise-separable stack on a 32x32 log-mel patch")


def _fd_mobilenet(x):
    y = L.ReLU()(L.Conv2D(8, 3, strides=2, padding="same")(x))
    for f in (16, 24, 32):  # fast down-sampling: every block strides
        y = _ds_block(y, f, 2)
    y = _ds_block(y, 32, 1)
    return L.Softmax()(L.Dense(6)(L.GlobalAveragePooling2D()(y)))


probe("arch_fd_mobilenet_tiny", (48, 48, 3), _fd_mobilenet, features=["architecture"],
      note="FD-MobileNet-style: stride 2 in every early depthwise block")


def _res_block(y, f, stride):
    r = L.ReLU()(L.BatchNormalization()(L.Conv2D(f, 3, strides=stride, padding="same")(y)))
    r = L.BatchNormalization()(L.Conv2D(f, 3, padding="same")(r))
    if stride != 1 or y.shape[-1] != f:
        y = L.Conv2D(f, 1, strides=stride)(y)
    return L.ReLU()(L.Add()([y, r]))


def _miniresnet(x):
    y = L.MaxPooling2D(2)(L.ReLU()(L.Conv2D(8, 3, padding="same")(x)))
    y = _res_block(_res_block(y, 8, 1), 16, 2)
    return L.Softmax()(L.Dense(10)(L.GlobalAveragePooling2D()(y)))


probe("arch_miniresnet_audio", (32, 24, 1), _miniresnet, features=["architecture"],
      note="MiniResNet-style audio classifier (residual blocks with a 1x1 projection shortcut)")


def _ssd_multiscale(x):
    a = L.Conv2D(8, 3, strides=2, padding="same", activation="relu6")(x)
    a = _ds_block(a, 16, 2)  # 8x8
    b = _ds_block(a, 24, 2)  # 4x4
    boxes, scores = [], []
    for fm, anchors in ((a, 2), (b, 3)):
        boxes.append(L.Reshape((-1, 4))(L.Conv2D(anchors * 4, 3, padding="same")(fm)))
        scores.append(L.Reshape((-1, 3))(L.Conv2D(anchors * 3, 3, padding="same")(fm)))
    return [L.Concatenate(axis=1, name="boxes")(boxes),
            L.Softmax(name="scores")(L.Concatenate(axis=1)(scores))]


probe("arch_ssd_multiscale", (32, 32, 3), _ssd_multiscale, features=["architecture", "multi-output"],
      note="SSD-MobileNet-style heads on two feature maps, boxes and class scores concatenated over anchors")
