"""Data-movement ops: concatenation, padding, reshaping, slicing, gathering, resizing, reordering."""

from __future__ import annotations

import numpy as np

from tfcompress.tfenv import keras, tf

from .common import fn_probe, probe

L = keras().layers
T = tf()
S = (8, 8, 4)

probe("op_concatenation", S, lambda x: T.concat([x, L.Conv2D(3, 1)(x)], axis=-1), expect=["CONCATENATION"])
probe("op_concatenation_axis1", S, lambda x: T.concat([x, L.MaxPooling2D((2, 1))(x)], axis=1),
      expect=["CONCATENATION"])
probe("op_pad", S, lambda x: T.pad(x, [[0, 0], [1, 2], [2, 1], [0, 0]]), expect=["PAD"])
probe("op_padv2", S, lambda x: T.pad(x, [[0, 0], [1, 1], [0, 2], [0, 0]], constant_values=0.5),
      expect=["PADV2"])
probe("op_mirror_pad_reflect", S, lambda x: T.pad(x, [[0, 0], [2, 2], [1, 1], [0, 0]], mode="REFLECT"),
      expect=["MIRROR_PAD"])
probe("op_mirror_pad_symmetric", S, lambda x: T.pad(x, [[0, 0], [1, 2], [2, 1], [0, 0]], mode="SYMMETRIC"),
      expect=["MIRROR_PAD"])
probe("op_reshape", S, lambda x: L.Dense(6)(T.reshape(x, [1, 16, 16])), expect=["RESHAPE"])
probe("op_squeeze", (1, 8, 6), lambda x: L.Dense(4)(T.squeeze(x, axis=1)))
probe("op_expand_dims", (8, 6), lambda x: L.Conv2D(4, (1, 3))(T.expand_dims(x, 1)))
probe("op_strided_slice", S, lambda x: x[:, 1:7:2, ::3, 1:], expect=["STRIDED_SLICE"])
probe("op_strided_slice_shrink", S, lambda x: x[:, 2, :, :], expect=["STRIDED_SLICE"])
probe("op_slice", S, lambda x: T.slice(x, [0, 1, 2, 0], [1, 5, 4, 3]), expect=["SLICE"])
probe("op_transpose", S, lambda x: T.transpose(x, [0, 3, 1, 2]), expect=["TRANSPOSE"])
probe("op_transpose_permute", (6, 10), lambda x: L.Permute((2, 1))(x), expect=["TRANSPOSE"])
probe("op_transpose_5d", (2, 3, 4, 5), lambda x: T.transpose(T.reshape(x, [1, 2, 3, 4, 5]), [0, 4, 2, 3, 1]),
      expect=["TRANSPOSE"])
probe("op_split", S, lambda x: (lambda a, b: T.concat([b, a], axis=1))(*T.split(x, 2, axis=-1)),
      expect=["SPLIT"])
probe("op_split_v", S, lambda x: (lambda a, b, c: T.concat([c, a, b], axis=-1))(*T.split(x, [1, 2, 1], axis=-1)),
      expect=["SPLIT_V"])
probe("op_pack", (6, 4), lambda x: T.stack([x, L.Dense(4)(x)], axis=1), expect=["PACK"])
probe("op_unpack", (3, 8), lambda x: T.concat(T.unstack(x, axis=1)[::-1], axis=-1), expect=["UNPACK"])
_IDX = np.array([3, 0, 2, 2, 5], np.int32)
probe("op_gather", (6, 8), lambda x: T.gather(x, _IDX, axis=1), expect=["GATHER"])
probe("op_gather_nd", (6, 8), lambda x: T.gather_nd(x, [[0, 1], [0, 4], [0, 2]]), expect=["GATHER_ND"])
fn_probe("op_gather_index_input", [((6, 8), "float32"), ((5,), "int32")],
         lambda x, i: T.gather(x, i, axis=0), expect=["GATHER"], ranges=[(-1.0, 1.0), (0, 6)],
         features=["multi-input", "int-input"], note="indices are a model input")
probe("op_tile", (4, 6), lambda x: T.tile(x, [1, 2, 3]), expect=["TILE"])
probe("op_broadcast_to", (1, 6, 4), lambda x: T.broadcast_to(x, [1, 5, 6, 4]), expect=["BROADCAST_TO"])
probe("op_space_to_depth", S, lambda x: T.nn.space_to_depth(x, 2), expect=["SPACE_TO_DEPTH"])
probe("op_depth_to_space", S, lambda x: T.nn.depth_to_space(x, 2), expect=["DEPTH_TO_SPACE"])
probe("op_space_to_batch_nd", S,
      lambda x: T.space_to_batch_nd(x, [2, 2], [[0, 0], [0, 0]]), expect=["SPACE_TO_BATCH_ND"])
probe("op_space_batch_roundtrip", S,
      lambda x: T.batch_to_space(L.AveragePooling2D(3, 1, padding="same")(
          T.space_to_batch_nd(x, [2, 2], [[1, 1], [1, 1]])), [2, 2], [[1, 1], [1, 1]]),
      expect=["SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"])
fn_probe("op_batch_to_space_nd", [((4, 4, 4, 3), "float32")],
         lambda x: T.batch_to_space(x, [2, 2], [[0, 0], [1, 1]]), expect=["BATCH_TO_SPACE_ND"])
for _m, _op in (("bilinear", "RESIZE_BILINEAR"), ("nearest", "RESIZE_NEAREST_NEIGHBOR")):
    probe(f"op_resize_{_m}_half_pixel", (6, 6, 3), lambda x, m=_m: T.image.resize(x, (11, 9), method=m),
          expect=[_op])
    _v1 = T.compat.v1.image.resize_bilinear if _m == "bilinear" else T.compat.v1.image.resize_nearest_neighbor
    probe(f"op_resize_{_m}_align_corners", (6, 6, 3),
          lambda x, f=_v1: f(x, (12, 10), align_corners=True), expect=[_op])
    probe(f"op_resize_{_m}_plain", (5, 7, 3),
          lambda x, f=_v1: f(x, (10, 14), align_corners=False, half_pixel_centers=False), expect=[_op])
probe("op_upsampling2d_nearest", S, lambda x: L.UpSampling2D(2)(x), expect=["RESIZE_NEAREST_NEIGHBOR"])
probe("op_upsampling2d_bilinear", S, lambda x: L.UpSampling2D(2, interpolation="bilinear")(x),
      expect=["RESIZE_BILINEAR"])
probe("op_reverse_v2", S, lambda x: T.reverse(x, [2]), expect=["REVERSE_V2"])
probe("op_reverse_v2_two_axes", S, lambda x: T.reverse(x, [1, 2]), expect=["REVERSE_V2"])
probe("op_cumsum", (6, 8), lambda x: T.math.cumsum(x, axis=2), expect=["CUMSUM"])
probe("op_cumsum_exclusive_reverse", (6, 8), lambda x: T.math.cumsum(x, axis=1, exclusive=True, reverse=True),
      expect=["CUMSUM"])
probe("op_cropping2d", S, lambda x: L.Cropping2D(((1, 2), (2, 1)))(x))
probe("op_zero_padding2d", S, lambda x: L.ZeroPadding2D(((1, 0), (2, 1)))(x), expect=["PAD"])
