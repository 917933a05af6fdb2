"""Lowering of the data-movement ops that are one strided walk (any element type, ``walk.py``):
slicing, transposes, reversal, broadcasting, tiling, padding, space/depth/batch reordering
(SPACE_TO_BATCH_ND has its own small kernel, ``tfc_space_to_batch``). Joins, splits, gathers,
fills and casts are in ``pieces.py``. None of these ops requantises in TFLM: values are copied bit
for bit whatever the tensors' scales.
"""

from __future__ import annotations

import numpy as np

from tfcompress.engine.ir import DTYPES, Graph, Op, Tensor, element_size
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.ops.walk import (
    batch_to_space_walk,
    broadcast_walk,
    depth_to_space_walk,
    mirror_pad_walk,
    move_error,
    move_op,
    pad_pattern,
    pad_walk,
    reverse_walk,
    slice_walk,
    space_to_depth_walk,
    strided_slice_walk,
    tile_walk,
    transpose_walk,
)


def const_operand(g: Graph, op: Op, k: int, what: str) -> np.ndarray:
    if k >= len(op.inputs) or op.inputs[k] < 0:
        raise move_error(g, op, f"{what} is missing", "re-export the model")
    t = g.t(op.inputs[k])
    if not t.is_const:
        raise move_error(g, op, f"{what} must be constant (known when compiling)",
                    "use fixed values, or deploy this model with the TFLite Micro runtime")
    return np.asarray(t.data).reshape(-1).astype(np.int64)

def option(op: Op, key: str, default: int = 0) -> int:
    v = op.options.get(key, default)
    return default if v is None else int(v)

# ---- lowerings

def same_types(g: Graph, op: Op, tensors: list[Tensor]) -> None:
    types = {t.dtype for t in tensors}
    if len(types) > 1:
        raise move_error(g, op, f"mixes element types {sorted(types)}", "re-export the model")
    if next(iter(types)) not in DTYPES or next(iter(types)) == "resource":
        raise move_error(g, op, f"element type {next(iter(types))} is not supported", "re-export the model")


def _io(g: Graph, op: Op) -> tuple[Tensor, Tensor]:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    same_types(g, op, [x, y])
    return x, y


def lower_strided_slice(g: Graph, op: Op) -> LoweredOp:
    """STRIDED_SLICE: TFLM's start/stop logic per axis (negative strides, begin/end/shrink masks)."""
    x, y = _io(g, op)
    n = len(x.shape)
    begin, end, strides = (const_operand(g, op, k, w) for k, w in ((1, "begin"), (2, "end"), (3, "strides")))
    if not len(begin) == len(end) == len(strides) == n:
        raise move_error(g, op, f"begin/end/strides of length {len(begin)} for a {n}-D input",
                    "re-export the model (TFLite Micro needs one entry per input dimension)")
    if np.any(strides == 0):
        raise move_error(g, op, "a stride is 0", "re-export the model")
    shrink = option(op, "shrink_axis_mask")
    masks = (option(op, "begin_mask"), option(op, "end_mask"), shrink)
    # TFLM ignores the offset flag (and rejects the model when that changes the output shape;
    # TFLite's reference kernel, the oracle then, applies it)
    walk = strided_slice_walk(list(x.shape), list(begin), list(end), list(strides), *masks)
    kept = [s for a, s in enumerate(walk.shape) if not shrink >> a & 1]
    if kept != list(y.shape) and op.options.get("offset"):
        walk = strided_slice_walk(list(x.shape), list(begin), list(end), list(strides), *masks, offset=True)
        kept = [s for a, s in enumerate(walk.shape) if not shrink >> a & 1]
    if kept != list(y.shape):
        raise move_error(g, op, f"computes shape {kept}, the output is {list(y.shape)} (ellipsis / new-axis masks "
                    "are not applied by TFLite Micro)", "re-export the model with plain slicing")
    return move_op(g, op, x.index, y.index, walk)


def lower_slice(g: Graph, op: Op) -> LoweredOp:
    x, y = _io(g, op)
    begin, size = const_operand(g, op, 1, "begin"), const_operand(g, op, 2, "size")
    return move_op(g, op, x.index, y.index, slice_walk(list(x.shape), list(begin), list(size)))


def lower_transpose(g: Graph, op: Op) -> LoweredOp:
    x, y = _io(g, op)
    perm = [int(p) % max(len(x.shape), 1) for p in const_operand(g, op, 1, "perm")]
    if sorted(perm) != list(range(len(x.shape))):
        raise move_error(g, op, f"permutation {perm} of a {len(x.shape)}-D input", "re-export the model")
    return move_op(g, op, x.index, y.index, transpose_walk(list(x.shape), perm))


def lower_reverse(g: Graph, op: Op) -> LoweredOp:
    x, y = _io(g, op)
    n = len(x.shape)
    axes = sorted({int(a) % n for a in const_operand(g, op, 1, "axis")})
    return move_op(g, op, x.index, y.index, reverse_walk(list(x.shape), axes))


def lower_broadcast_to(g: Graph, op: Op) -> LoweredOp:
    x, y = _io(g, op)
    if len(x.shape) > len(y.shape):
        raise move_error(g, op, "the input has more dimensions than the output", "re-export the model")
    return move_op(g, op, x.index, y.index, broadcast_walk(list(x.shape), list(y.shape)))


def lower_tile(g: Graph, op: Op) -> LoweredOp:
    x, y = _io(g, op)
    mult = const_operand(g, op, 1, "multiples")
    if len(mult) != len(x.shape):
        raise move_error(g, op, f"{len(mult)} multiples for a {len(x.shape)}-D input", "re-export the model")
    return move_op(g, op, x.index, y.index, tile_walk(list(x.shape), list(mult)))


def _pad_value(g: Graph, op: Op, y: Tensor) -> object:
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        cv = g.t(op.inputs[2])
        if cv.dtype != y.dtype:
            raise move_error(g, op, f"constant_values is {cv.dtype}, the input {y.dtype}",
                        "re-export the model (TFLite Micro rejects this)")
        return const_operand(g, op, 2, "constant_values")[0] if y.dtype != "float32" else cv.data.reshape(-1)[0]
    return y.zero_point if y.dtype in ("int8", "uint8") else 0


def lower_pad(g: Graph, op: Op) -> LoweredOp:
    """PAD / PADV2 (any element type): padded coordinates read the output zero point (int8/uint8),
    0, or PADV2's constant value."""
    x, y = _io(g, op)
    pads = const_operand(g, op, 1, "paddings").reshape(-1, 2)
    if pads.shape[0] != len(x.shape) or np.any(pads < 0):
        raise move_error(g, op, f"paddings {pads.tolist()} for a {len(x.shape)}-D input", "re-export the model")
    return move_op(g, op, x.index, y.index, pad_walk(list(x.shape), pads), _pad_value(g, op, y))


def lower_mirror_pad(g: Graph, op: Op) -> LoweredOp:
    x, y = _io(g, op)
    pads = const_operand(g, op, 1, "paddings").reshape(-1, 2)
    if pads.shape[0] != len(x.shape) or np.any(pads < 0):
        raise move_error(g, op, f"paddings {pads.tolist()} for a {len(x.shape)}-D input", "re-export the model")
    reflect = option(op, "mode") == 0
    limit = np.array(x.shape) - (1 if reflect else 0)
    if np.any(pads[:, 0] > limit) or np.any(pads[:, 1] > limit):
        raise move_error(g, op, "padding larger than the input allows", "re-export the model")
    return move_op(g, op, x.index, y.index, mirror_pad_walk(list(x.shape), pads, reflect))


def _nhwc(g: Graph, op: Op, x: Tensor) -> list[int]:
    if len(x.shape) == 3:  # one spatial dim: TFLite inserts W = 1
        return [x.shape[0], x.shape[1], 1, x.shape[2]]
    if len(x.shape) != 4:
        raise move_error(g, op, f"{len(x.shape)}-D input (3-D or 4-D only)", "reshape to NHWC")
    return list(x.shape)


def lower_space_to_depth(g: Graph, op: Op) -> LoweredOp:
    x, y = _io(g, op)
    bs = option(op, "block_size")
    if len(x.shape) != 4 or bs < 1 or x.shape[1] % bs or x.shape[2] % bs:
        raise move_error(g, op, f"block {bs} for input {list(x.shape)}", "re-export the model")
    return move_op(g, op, x.index, y.index, space_to_depth_walk(list(x.shape), bs))


def lower_depth_to_space(g: Graph, op: Op) -> LoweredOp:
    x, y = _io(g, op)
    bs = option(op, "block_size")
    if len(x.shape) != 4 or bs < 1 or x.shape[3] % (bs * bs):
        raise move_error(g, op, f"block {bs} for input {list(x.shape)}", "re-export the model")
    return move_op(g, op, x.index, y.index, depth_to_space_walk(list(x.shape), bs))


def _block_and_pads(g: Graph, op: Op, x: Tensor, what: str) -> tuple[list[int], np.ndarray]:
    block = [int(b) for b in const_operand(g, op, 1, "block_shape")]
    pads = const_operand(g, op, 2, what).reshape(-1, 2)
    if len(block) != len(x.shape) - 2 or pads.shape[0] != len(block) or min(block) < 1 or np.any(pads < 0):
        raise move_error(g, op, f"block {block} and {what} {pads.tolist()} for input {list(x.shape)}",
                    "re-export the model")
    if len(block) == 1:
        block, pads = block + [1], np.concatenate([pads, [[0, 0]]])
    return block, pads


def lower_batch_to_space(g: Graph, op: Op) -> LoweredOp:
    x, y = _io(g, op)
    shape = _nhwc(g, op, x)
    block, crops = _block_and_pads(g, op, x, "crops")
    if shape[0] % (block[0] * block[1]):
        raise move_error(g, op, f"batch {shape[0]} is not a multiple of the block {block}", "re-export the model")
    return move_op(g, op, x.index, y.index, batch_to_space_walk(shape, block, crops))


def lower_space_to_batch(g: Graph, op: Op) -> LoweredOp:
    x, y = _io(g, op)
    b, h, w, c = _nhwc(g, op, x)
    block, pads = _block_and_pads(g, op, x, "paddings")
    oh, ow = (h + int(pads[0].sum())) // block[0], (w + int(pads[1].sum())) // block[1]
    if (h + int(pads[0].sum())) % block[0] or (w + int(pads[1].sum())) % block[1]:
        raise move_error(g, op, "padded size is not a multiple of the block", "re-export the model")
    ob = b * block[0] * block[1]
    if ob * oh * ow * c != y.elements:
        raise move_error(g, op, f"output {list(y.shape)} does not match the block", "re-export the model")
    fields = dict(in_b=b, in_h=h, in_w=w, depth=c * element_size(x.dtype), block_h=block[0], block_w=block[1],
                  pad_top=int(pads[0][0]), pad_left=int(pads[1][0]), out_b=ob, out_h=oh, out_w=ow,
                  pad=pad_pattern(y.zero_point if y.dtype in ("int8", "uint8", "int16") else 0, y.dtype))
    return LoweredOp(op, "tfc_space_to_batch", "tfc_space_to_batch_params", fields, [x.index], [y.index],
                     in_ctypes=("void",), out_ctype="void")
