"""Weighted and windowed ops: convolutions, fully connected, pooling, recurrent cells, matmul."""

from __future__ import annotations

from tfcompress.tfenv import keras, tf

from . import handmade_nn  # noqa: F401  (hand-written models of this family register on import)
from .common import probe

L = keras().layers
T = tf()

probe("op_conv2d_same_s2_relu6", (10, 10, 3),
      lambda x: L.Conv2D(8, 3, strides=2, padding="same", activation="relu6")(x), expect=["CONV_2D"])
probe("op_conv2d_valid_5x5", (12, 12, 4),
      lambda x: L.Conv2D(6, 5, padding="valid")(x), expect=["CONV_2D"])
probe("op_conv2d_1x1", (8, 8, 16), lambda x: L.Conv2D(12, 1, activation="relu")(x), expect=["CONV_2D"])
probe("op_conv2d_dilated", (12, 12, 4),
      lambda x: L.Conv2D(6, 3, dilation_rate=2, padding="same")(x), expect=["CONV_2D"])
probe("op_conv2d_dilated_valid", (13, 13, 3),
      lambda x: L.Conv2D(5, 3, dilation_rate=2, padding="valid")(x), expect=["CONV_2D"])
probe("op_depthwise_conv2d", (10, 10, 8),
      lambda x: L.DepthwiseConv2D(3, padding="same", activation="relu6")(x), expect=["DEPTHWISE_CONV_2D"])
probe("op_depthwise_conv2d_mult2_s2", (11, 11, 4),
      lambda x: L.DepthwiseConv2D(3, strides=2, depth_multiplier=2, padding="valid")(x),
      expect=["DEPTHWISE_CONV_2D"])
probe("op_depthwise_conv2d_dilated", (12, 12, 6),
      lambda x: L.DepthwiseConv2D(3, dilation_rate=2, padding="same")(x), expect=["DEPTHWISE_CONV_2D"])
probe("op_fully_connected", (64,), lambda x: L.Dense(24, activation="relu")(x), expect=["FULLY_CONNECTED"])
probe("op_fully_connected_flatten", (6, 6, 4),
      lambda x: L.Dense(10)(L.Flatten()(x)), expect=["FULLY_CONNECTED"])
probe("op_fully_connected_3d", (12, 16), lambda x: L.Dense(8)(x), expect=["FULLY_CONNECTED"])
probe("op_transpose_conv_s2", (6, 6, 8),
      lambda x: L.Conv2DTranspose(4, 3, strides=2, padding="same")(x), expect=["TRANSPOSE_CONV"])
probe("op_transpose_conv_valid", (5, 5, 4),
      lambda x: L.Conv2DTranspose(3, 2, strides=2, padding="valid", use_bias=False)(x),
      expect=["TRANSPOSE_CONV"])
probe("op_transpose_conv_even_same", (5, 5, 6),
      lambda x: L.Conv2DTranspose(5, 4, strides=2, padding="same")(x), expect=["TRANSPOSE_CONV"],
      note="even kernel with SAME padding: TFLM's padding from the output size is asymmetric")
probe("op_transpose_conv_s1_relu", (6, 7, 4),
      lambda x: L.Conv2DTranspose(6, 3, strides=1, padding="same", activation="relu")(x),
      expect=["TRANSPOSE_CONV"])
probe("op_transpose_conv_output_padding", (4, 4, 3),
      lambda x: L.Conv2DTranspose(4, 3, strides=2, padding="valid", output_padding=1)(x),
      expect=["TRANSPOSE_CONV"])
probe("op_conv2d_grouped", (8, 8, 8),
      lambda x: L.Conv2D(12, 3, groups=4, padding="same", activation="relu")(x), expect=["CONV_2D"],
      note="grouped convolution: the filter holds in_channels / groups input channels")
probe("op_conv2d_grouped_per_channel_group", (7, 7, 6),
      lambda x: L.Conv2D(12, 3, strides=2, groups=6)(x), expect=["CONV_2D"],
      note="one input channel per group (a depthwise convolution written as a grouped CONV_2D)")
probe("op_average_pool2d", (10, 10, 8), lambda x: L.AveragePooling2D(2)(x), expect=["AVERAGE_POOL_2D"])
probe("op_average_pool2d_same_s1", (9, 9, 4),
      lambda x: L.AveragePooling2D(3, strides=1, padding="same")(x), expect=["AVERAGE_POOL_2D"])
probe("op_max_pool2d", (10, 10, 8), lambda x: L.MaxPooling2D(2)(x), expect=["MAX_POOL_2D"])
probe("op_max_pool2d_same_s2", (9, 9, 4),
      lambda x: L.MaxPooling2D(3, strides=2, padding="same")(x), expect=["MAX_POOL_2D"])
probe("op_conv1d", (32, 6), lambda x: L.Conv1D(8, 5, activation="relu")(x), expect=["CONV_2D"])
probe("op_conv1d_same_s2_dilated", (40, 4),
      lambda x: L.Conv1D(6, 3, dilation_rate=2, padding="causal")(x), expect=["CONV_2D"])
probe("op_batch_matmul", (6, 8),
      lambda x: T.matmul(L.Dense(8)(x), L.Dense(8)(x), transpose_b=True), expect=["BATCH_MATMUL"])
probe("op_batch_matmul_attention", (8, 16),
      lambda x: L.MultiHeadAttention(num_heads=2, key_dim=8)(x, x), expect=["BATCH_MATMUL", "SOFTMAX"])
_LSTM_NOTE = ("tf_keras LSTM -> UNIDIRECTIONAL_SEQUENCE_LSTM; its hidden and cell states are variable "
              "tensors, so TFLM carries them from one invocation to the next until reset()")
probe("op_lstm", (10, 8), lambda x: L.Dense(4)(L.LSTM(12)(x)), expect=["UNIDIRECTIONAL_SEQUENCE_LSTM"],
      features=["stateful"], invocations=3, note=_LSTM_NOTE)
probe("op_lstm_sequences", (8, 6), lambda x: L.LSTM(8, return_sequences=True)(x),
      expect=["UNIDIRECTIONAL_SEQUENCE_LSTM"], features=["stateful"], invocations=3, note=_LSTM_NOTE)
probe("op_gru_unrolled", (6, 8), lambda x: L.Dense(4)(L.GRU(8, unroll=True)(x)),
      note="GRU unroll=True: FULLY_CONNECTED/LOGISTIC/TANH/MUL/ADD/SUB per step")
probe("op_gru", (6, 8), lambda x: L.Dense(4)(L.GRU(8)(x)),
      note="GRU, default (a WHILE loop)")
probe("op_simple_rnn_unrolled", (6, 8), lambda x: L.SimpleRNN(8, unroll=True)(x))
