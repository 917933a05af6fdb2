"""Normalisations, reductions, arg-min/max, comparisons and select, casts, fills, type conversions."""

from __future__ import annotations

from tfcompress.tfenv import keras, tf

from .common import fn_probe, probe

L = keras().layers
T = tf()
S = (8, 8, 4)

probe("op_softmax", (24,), lambda x: T.nn.softmax(x * 1.0), expect=["SOFTMAX"], ranges=[(-6.0, 6.0)])
probe("op_softmax_4d", S, lambda x: L.Softmax()(x), expect=["SOFTMAX"], ranges=[(-4.0, 4.0)])
probe("op_softmax_beta", (16,), lambda x: L.Softmax()(L.Dense(10)(x)), expect=["SOFTMAX"])
probe("op_log_softmax", (24,), lambda x: T.nn.log_softmax(x), expect=["LOG_SOFTMAX"], ranges=[(-6.0, 6.0)])
probe("op_l2_normalization", S, lambda x: T.math.l2_normalize(x, axis=-1), expect=["L2_NORMALIZATION"])
probe("op_mean_spatial", S, lambda x: T.reduce_mean(x, axis=[1, 2]), expect=["MEAN"])
probe("op_mean_keepdims_axis2", S, lambda x: T.reduce_mean(x, axis=2, keepdims=True), expect=["MEAN"])
probe("op_global_average_pool", S, lambda x: L.GlobalAveragePooling2D()(x), expect=["MEAN"])
probe("op_mean_spatial_keepdims", S, lambda x: T.reduce_mean(x, axis=[1, 2], keepdims=True), expect=["MEAN"],
      note="the 4-D mean over H, W with keep_dims that TFLM once special-cased")
probe("op_sum", S, lambda x: T.reduce_sum(x, axis=[1]), expect=["SUM"])
probe("op_sum_last_keepdims", S, lambda x: T.reduce_sum(x, axis=-1, keepdims=True), expect=["SUM"])
probe("op_reduce_max", S, lambda x: T.reduce_max(x, axis=[1, 2]), expect=["REDUCE_MAX"])
probe("op_reduce_min", S, lambda x: T.reduce_min(x, axis=2), expect=["REDUCE_MIN"])
probe("op_reduce_prod", (4, 6), lambda x: T.reduce_prod(x, axis=1), expect=["REDUCE_PROD"])
probe("op_global_max_pool", S, lambda x: L.GlobalMaxPooling2D()(x), expect=["REDUCE_MAX"])
probe("op_arg_max", S, lambda x: T.argmax(x, axis=-1, output_type=T.int32), expect=["ARG_MAX"])
probe("op_arg_min", (10, 6), lambda x: T.argmin(x, axis=1, output_type=T.int32), expect=["ARG_MIN"])
probe("op_arg_max_int64_out", S, lambda x: T.argmax(x, axis=1), modes=("int8",), expect=["ARG_MAX"],
      note="tf.argmax's default int64 output (TFLM has int32 only: TFLite's reference kernels are the oracle)")
_CMP = {"equal": ("EQUAL", T.equal), "not_equal": ("NOT_EQUAL", T.not_equal), "greater": ("GREATER", T.greater),
        "greater_equal": ("GREATER_EQUAL", T.greater_equal), "less": ("LESS", T.less),
        "less_equal": ("LESS_EQUAL", T.less_equal)}
for _n, (_op, _f) in _CMP.items():
    # where(x cmp y, x, y) with y broadcast over a row: the bool result feeds SELECT_V2 (equal
    # shapes everywhere would make the converter emit SELECT, which TFLM lacks)
    probe(f"op_{_n}_select", S,
          lambda x, f=_f: (lambda y: T.where(f(x, y), x, y))(L.Conv2D(4, 1)(L.MaxPooling2D((1, 8))(x))),
          expect=[_op, "SELECT_V2"])
probe("op_select_v2_broadcast", S, lambda x: T.where(x > 0.0, x, T.zeros_like(x) + 0.1), expect=["SELECT_V2"])
probe("op_logical_and_or", S,
      lambda x: T.where(T.logical_or(T.logical_and(x > -0.5, x < 0.5), x > 0.9), x, 0.25),
      expect=["LOGICAL_AND", "LOGICAL_OR"])
probe("op_cast_bool_to_float", S, lambda x: T.cast(x > 0.2, T.float32) * L.Conv2D(4, 1)(x), expect=["CAST"])
fn_probe("op_cast_int_input", [((6, 8), "int32")], lambda i: T.cast(i, T.float32) * 0.25 + 0.1,
         expect=["CAST"], ranges=[(-20, 20)], features=["int-input"], io=(None, None))
fn_probe("op_zeros_like_dynamic", [((None, 8), "float32")], lambda x: T.concat([x, T.zeros_like(x)], axis=-1),
         expect=["ZEROS_LIKE"], features=["folded-shape"], note="static shapes fold ZEROS_LIKE away")
fn_probe("op_fill_dynamic", [((None, 8), "float32")],
         lambda x: x + T.fill(T.shape(x), 0.25), expect=["FILL"], features=["folded-shape"])
probe("op_add_n", S, lambda x: T.add_n([x, L.Conv2D(4, 1)(x), L.Conv2D(4, 3, padding="same")(x)]),
      expect=["ADD_N"])
probe("op_embedding_lookup", (6,), lambda i: L.Dense(4)(L.Flatten()(L.Embedding(20, 8)(i))),
      dtypes=["int32"], ranges=[(0, 20)], features=["int-input"], io=(None, None))
probe("op_requantize", S, lambda x: T.concat([x * 3.0, L.Conv2D(4, 1)(x)], axis=-1), expect=["CONCATENATION"])
fn_probe("op_logical_not_bool_io", [((1, 8), "float32"), ((1, 8), "bool")],
         lambda x, flag: [T.where(flag, x, 0.25), T.logical_not(T.logical_or(flag, x > 0.5))], modes=("int8",),
         expect=["LOGICAL_NOT"], io="float", features=["multi-input", "multi-output", "int-input"],
         note="bool model input and output (a NOT feeding a select is folded away by the converter)")
probe("op_reduce_all", S, lambda x: T.where(T.reduce_all(x > -0.5, axis=-1, keepdims=True), x, 0.0),
      modes=("int8",), expect=["REDUCE_ALL"])
probe("op_reduce_any", S, lambda x: T.where(T.reduce_any(x > 0.5, axis=[1, 2], keepdims=True), x, 0.0),
      modes=("int8",), expect=["REDUCE_ANY"], note="TFLM has no REDUCE_ANY: TFLite's reference kernels are the oracle")
fn_probe("op_if_cond", [((1, 8), "float32")],
         lambda x: T.cond(T.reduce_mean(x) > 0.0, lambda: x * 2.0, lambda: x * 0.5 - 0.1), modes=("int8",),
         expect=["IF"], note="tf.cond -> IF with two branch subgraphs")
fn_probe("op_while_loop", [((1, 8), "float32")],
         lambda x: T.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, T.tanh(y * 1.5)), (T.constant(0), x))[1],
         modes=("int8",), expect=["WHILE"], note="tf.while_loop with three iterations -> WHILE")
