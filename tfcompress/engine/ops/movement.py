"""Lowering of data-movement ops (any element type): slicing, transposes, padding, splits, gathers.

Most of them are one strided N-D copy (``tfc_move``, ``firmware/engine/move.c``): the host
describes, per output dimension, where its coordinate moves the read position in the input (a
stride, possibly 0 or negative, or a table of offsets with padded coordinates marked), merges
contiguous dimensions, and the device walks the output in order. :class:`Walk` is that
description; :func:`Walk.apply` is its numpy twin (tests compare it with TFLite's own results).
Gathers with indices (``tfc_gather``), SPACE_TO_BATCH_ND (``tfc_space_to_batch``), splits
(``tfc_split``), DYNAMIC_UPDATE_SLICE and CAST have their own small kernels. None of these ops
requantises in TFLM: values are copied bit for bit whatever the tensors' scales.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tfcompress.engine.ir import DTYPES, Graph, Op, Tensor, element_size, numpy_dtype
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.ops.common import MAX_DIMS, out_name
from tfcompress.errors import TfcError

#: most dimensions of the walker after merging (TFC_MOVE_DIMS)
MOVE_DIMS = 6
#: table entry of a padded coordinate (TFC_MOVE_PAD); real offsets stay below 2**27 bytes
MOVE_PAD = -(1 << 28)
#: a padded coordinate in element tables on the host (converted to MOVE_PAD)
PAD = -1
#: TFC_DTYPE_* codes of CAST (model.h codes, uint32 added)
CAST_CODES = {"int8": 1, "int16": 2, "float32": 3, "uint8": 4, "int32": 5, "int64": 6, "bool": 7, "uint32": 8}


def _fail(g: Graph, op: Op, what: str, fix: str) -> TfcError:
    return TfcError(f"{op.name} '{out_name(g, op)}': {what}", fix)


def _const(g: Graph, op: Op, k: int, what: str) -> np.ndarray:
    if k >= len(op.inputs) or op.inputs[k] < 0:
        raise _fail(g, op, f"{what} is missing", "re-export the model")
    t = g.t(op.inputs[k])
    if not t.is_const:
        raise _fail(g, op, f"{what} must be constant (known when compiling)",
                    "use fixed values, or deploy this model with the TFLite Micro runtime")
    return np.asarray(t.data).reshape(-1).astype(np.int64)


def _strides(shape: tuple[int, ...] | list[int]) -> list[int]:
    """Element strides of a contiguous tensor."""
    out, acc = [0] * len(shape), 1
    for d in range(len(shape) - 1, -1, -1):
        out[d] = acc
        acc *= int(shape[d])
    return out


def _option(op: Op, key: str, default: int = 0) -> int:
    v = op.options.get(key, default)
    return default if v is None else int(v)


@dataclass
class Walk:
    """Output dims in order; each reads ``stride[d]`` elements further per coordinate, or (when
    ``tables[d]`` is set) the element offset ``tables[d][i]`` (``PAD``: a padded coordinate)."""

    shape: list[int]
    stride: list[int]
    tables: list[np.ndarray | None] = field(default_factory=list)
    offset: int = 0

    def __post_init__(self) -> None:
        if not self.tables:
            self.tables = [None] * len(self.shape)

    def index(self) -> tuple[np.ndarray, np.ndarray]:
        """(input element offset, padded?) of every output element, in output order."""
        pos = np.full(tuple(self.shape), self.offset, dtype=np.int64)
        pad = np.zeros(tuple(self.shape), dtype=bool)
        n = len(self.shape)
        for d, size in enumerate(self.shape):
            view = [1] * n
            view[d] = size
            if self.tables[d] is None:
                part = np.arange(size, dtype=np.int64) * self.stride[d]
            else:
                part = np.asarray(self.tables[d], dtype=np.int64)
                pad |= (part == PAD).reshape(view)
                part = np.where(part == PAD, 0, part)
            pos = pos + part.reshape(view)
        return pos.reshape(-1), pad.reshape(-1)

    def apply(self, x: np.ndarray, pad_value: object = 0) -> np.ndarray:
        """The walk on a numpy array (the C kernel's twin)."""
        pos, pad = self.index()
        flat = np.ascontiguousarray(x).reshape(-1)
        out = np.where(pad, np.asarray(pad_value, dtype=x.dtype), flat[np.where(pad, 0, pos)])
        return out.reshape(self.shape)

    def simplified(self) -> tuple[Walk, int]:
        """An equivalent walk with size-1 dims dropped, contiguous dims merged and the innermost
        contiguous run folded into the element (returns the walk and the element multiplier)."""
        shape, stride, tables, offset = [], [], [], self.offset
        for s, st, tb in zip(self.shape, self.stride, self.tables, strict=True):
            if s == 1 and (tb is None or int(tb[0]) != PAD):
                offset += 0 if tb is None else int(tb[0])
                continue
            if tb is not None and s > 1 and PAD not in tb:
                diffs = np.diff(tb)
                if np.all(diffs == diffs[0]):  # an arithmetic table is a stride
                    offset += int(tb[0])
                    tb, st = None, int(diffs[0])
            shape.append(int(s))
            stride.append(int(st) if tb is None else 0)
            tables.append(tb)
        if any(s == 0 for s in shape):
            return Walk([0], [0], [None], 0), 1
        merged_shape, merged_stride, merged_tables = [], [], []
        for s, st, tb in zip(shape, stride, tables, strict=True):
            if (merged_shape and tb is None and merged_tables[-1] is None
                    and merged_stride[-1] == st * s):
                merged_shape[-1] *= s
                merged_stride[-1] = st
                continue
            merged_shape.append(s)
            merged_stride.append(st)
            merged_tables.append(tb)
        mult = 1
        if merged_shape and merged_tables[-1] is None and merged_stride[-1] == 1:
            mult = merged_shape.pop()
            merged_stride.pop()
            merged_tables.pop()
        return Walk(merged_shape, merged_stride, merged_tables, offset), mult


def pad_pattern(value: object, dtype: str) -> list[int]:
    """The 8-byte pattern of one padding element (its bytes repeated)."""
    raw = np.asarray(value).astype(numpy_dtype(dtype)).reshape(1).tobytes()
    return [raw[k % len(raw)] for k in range(8)]


def move_op(g: Graph, op: Op, x: int, y: int, walk: Walk, pad_value: object = 0) -> LoweredOp:
    """The tfc_move call of ``walk`` (element units) from tensor ``x`` to tensor ``y``."""
    yt = g.t(y)
    esize = element_size(yt.dtype)
    if g.t(x).dtype != yt.dtype and g.t(x).dtype != "resource":
        raise _fail(g, op, f"input is {g.t(x).dtype}, output {yt.dtype}", "re-export the model")
    if int(np.prod(walk.shape)) != yt.elements and yt.elements:
        raise _fail(g, op, f"computes {int(np.prod(walk.shape))} elements for an output of {yt.elements}",
                    "re-export the model (TFLite Micro rejects this op as it is)")
    if g.t(x).nbytes >= (1 << 27):
        raise _fail(g, op, "the input is larger than 128 MB", "split the tensor")
    simple, mult = walk.simplified()
    if len(simple.shape) > MOVE_DIMS:
        raise _fail(g, op, f"needs a {len(simple.shape)}-D walk (max {MOVE_DIMS})", "reshape to fewer dimensions")
    esize *= mult
    tables, table_idx, base = [], [], 0
    for tb in simple.tables:
        if tb is None:
            table_idx.append(-1)
            continue
        table_idx.append(base)
        base += len(tb)
        tables.append(np.where(tb == PAD, MOVE_PAD, tb * element_size(yt.dtype)))
    n = len(simple.shape)
    fill = [0] * (MOVE_DIMS - n)
    fields = dict(ndim=n, esize=esize, offset=simple.offset * element_size(yt.dtype),
                  shape=simple.shape + fill, stride=[s * element_size(yt.dtype) for s in simple.stride] + fill,
                  table=table_idx + [-1] * (MOVE_DIMS - n), tables=0,
                  pad=pad_pattern(pad_value, yt.dtype))
    arrays = []
    if tables:
        arr = ConstArray(f"op{op.index}_tables", np.concatenate(tables).astype(np.int32))
        fields["tables"] = arr
        arrays.append(arr)
    return LoweredOp(op, "tfc_move", "tfc_move_params", fields, [x], [y], arrays,
                     in_ctypes=("void",), out_ctype="void")


# ---- the geometry of each op (element units; shared with tests through Walk.apply)

def strided_slice_walk(in_shape: list[int], begin: list[int], end: list[int], strides: list[int],
                       begin_mask: int, end_mask: int, shrink_mask: int, offset: bool = False) -> Walk:
    """TFLM's STRIDED_SLICE (strided_slice_logic.h, StridedSliceStartForAxis/EndForAxis and the
    reference loop): ellipsis and new-axis masks are not used by TFLM. The walk's shape keeps the
    shrunk axes (size 1)."""
    n = len(in_shape)
    st = _strides(in_shape)
    shape, stride, off = [], [], 0
    for a in range(n):
        size, s = int(in_shape[a]), int(strides[a])
        if s == 0:
            raise ValueError("stride 0")
        start = int(begin[a])
        if start < 0:
            start += size
        start = min(max(start, 0), size) if s > 0 else min(max(start, -1), size - 1)
        if begin_mask >> a & 1:
            start = 0 if s > 0 else size - 1
        if shrink_mask >> a & 1:
            stop = start if start >= size else start + 1
        else:
            stop = int(end[a]) + (start if offset else 0)
            if stop < 0:
                stop += size
            stop = min(max(stop, 0), size) if s > 0 else min(max(stop, -1), size - 1)
            if end_mask >> a & 1:
                stop = size if s > 0 else -1
        count = max(0, -((start - stop) // s)) if s > 0 else max(0, -((stop - start) // -s))
        shape.append(count)
        stride.append(s * st[a])
        off += start * st[a] if count else 0
    return Walk(shape, stride, offset=off)


def transpose_walk(in_shape: list[int], perm: list[int]) -> Walk:
    st = _strides(in_shape)
    return Walk([int(in_shape[p]) for p in perm], [st[p] for p in perm])


def reverse_walk(in_shape: list[int], axes: list[int]) -> Walk:
    st = _strides(in_shape)
    stride, off = list(st), 0
    for a in axes:
        stride[a] = -st[a]
        off += (int(in_shape[a]) - 1) * st[a]
    return Walk(list(in_shape), stride, offset=off)


def slice_walk(in_shape: list[int], begin: list[int], size: list[int]) -> Walk:
    st = _strides(in_shape)
    shape = [int(in_shape[d]) - int(b) if int(s) == -1 else int(s)
             for d, (b, s) in enumerate(zip(begin, size, strict=True))]
    return Walk(shape, st, offset=sum(int(b) * s for b, s in zip(begin, st, strict=True)))


def broadcast_walk(in_shape: list[int], out_shape: list[int]) -> Walk:
    n = len(out_shape)
    full = [1] * (n - len(in_shape)) + list(in_shape)
    st = _strides(full)
    return Walk(list(out_shape), [0 if full[d] == 1 and out_shape[d] != 1 else st[d] for d in range(n)])


def tile_walk(in_shape: list[int], multiples: list[int]) -> Walk:
    st = _strides(in_shape)
    tables: list[np.ndarray | None] = []
    for d, m in enumerate(multiples):
        size = int(in_shape[d])
        tables.append(None if int(m) == 1 or size == 1 else (np.arange(size * int(m)) % size) * st[d])
    shape = [int(in_shape[d]) * int(m) for d, m in enumerate(multiples)]
    stride = [0 if int(in_shape[d]) == 1 else st[d] for d in range(len(shape))]
    return Walk(shape, stride, tables)


def pad_walk(in_shape: list[int], pads: np.ndarray) -> Walk:
    st = _strides(in_shape)
    shape, tables = [], []
    for d, size in enumerate(in_shape):
        lo, hi = int(pads[d][0]), int(pads[d][1])
        out = lo + int(size) + hi
        shape.append(out)
        if lo == 0 and hi == 0:
            tables.append(None)
            continue
        i = np.arange(out) - lo
        tables.append(np.where((i >= 0) & (i < int(size)), i * st[d], PAD))
    return Walk(shape, st, tables)


def mirror_pad_walk(in_shape: list[int], pads: np.ndarray, reflect: bool) -> Walk:
    """TFLM's MIRROR_PAD (GetInputDimension; REFLECT leaves the edge out, SYMMETRIC repeats it)."""
    st = _strides(in_shape)
    off = 1 if reflect else 0
    shape, tables = [], []
    for d, size in enumerate(in_shape):
        lo, hi, size = int(pads[d][0]), int(pads[d][1]), int(size)
        idx = []
        for o in range(lo + size + hi):
            if o < lo:
                orig = lo + off - 1
                idx.append(orig - min(o, orig - off))
            elif o - lo >= size:
                p = o - lo - size
                orig = size - (1 + off)
                idx.append(orig - min(p, orig))
            else:
                idx.append(o - lo)
        shape.append(lo + size + hi)
        tables.append(None if lo == hi == 0 else np.array(idx, dtype=np.int64) * st[d])
    return Walk(shape, st, tables)


def space_to_depth_walk(in_shape: list[int], bs: int) -> Walk:
    b, h, w, c = (int(v) for v in in_shape)
    return Walk([b, h // bs, w // bs, bs, bs, c], [h * w * c, bs * w * c, bs * c, w * c, c, 1])


def depth_to_space_walk(in_shape: list[int], bs: int) -> Walk:
    b, h, w, c = (int(v) for v in in_shape)
    oc = c // (bs * bs)
    return Walk([b, h, bs, w, bs, oc], [h * w * c, w * c, bs * oc, c, oc, 1])


def batch_to_space_walk(in_shape: list[int], block: list[int], crops: np.ndarray) -> Walk:
    """BATCH_TO_SPACE_ND (NHWC): output (b, oh, ow, c) reads input batch (i * block_w + j) *
    out_b + b at ((oh + crop_top) // block_h, (ow + crop_left) // block_w), i, j the remainders."""
    ib, h, w, c = (int(v) for v in in_shape)
    bh, bw = int(block[0]), int(block[1])
    ob = ib // (bh * bw)
    sb, sh, sw = h * w * c, w * c, c
    oh = h * bh - int(crops[0][0]) - int(crops[0][1])
    ow = w * bw - int(crops[1][0]) - int(crops[1][1])
    f = np.arange(oh) + int(crops[0][0])
    g = np.arange(ow) + int(crops[1][0])
    th = (f % bh) * bw * ob * sb + (f // bh) * sh
    tw = (g % bw) * ob * sb + (g // bw) * sw
    return Walk([ob, oh, ow, c], [sb, 0, 0, 1], [None, th, tw, None])


# ---- lowerings

def _same_type(g: Graph, op: Op, tensors: list[Tensor]) -> None:
    types = {t.dtype for t in tensors}
    if len(types) > 1:
        raise _fail(g, op, f"mixes element types {sorted(types)}", "re-export the model")
    if next(iter(types)) not in DTYPES or next(iter(types)) == "resource":
        raise _fail(g, op, f"element type {next(iter(types))} is not supported", "re-export the model")


def _io(g: Graph, op: Op) -> tuple[Tensor, Tensor]:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    _same_type(g, op, [x, y])
    return x, y


def lower_strided_slice(g: Graph, op: Op) -> LoweredOp:
    """STRIDED_SLICE: TFLM's start/stop logic per axis (negative strides, begin/end/shrink masks)."""
    x, y = _io(g, op)
    n = len(x.shape)
    begin, end, strides = (_const(g, op, k, w) for k, w in ((1, "begin"), (2, "end"), (3, "strides")))
    if not len(begin) == len(end) == len(strides) == n:
        raise _fail(g, op, f"begin/end/strides of length {len(begin)} for a {n}-D input",
                    "re-export the model (TFLite Micro needs one entry per input dimension)")
    if np.any(strides == 0):
        raise _fail(g, op, "a stride is 0", "re-export the model")
    shrink = _option(op, "shrink_axis_mask")
    masks = (_option(op, "begin_mask"), _option(op, "end_mask"), shrink)
    # TFLM ignores the offset flag (and rejects the model when that changes the output shape;
    # TFLite's reference kernel, the oracle then, applies it)
    walk = strided_slice_walk(list(x.shape), list(begin), list(end), list(strides), *masks)
    kept = [s for a, s in enumerate(walk.shape) if not shrink >> a & 1]
    if kept != list(y.shape) and op.options.get("offset"):
        walk = strided_slice_walk(list(x.shape), list(begin), list(end), list(strides), *masks, offset=True)
        kept = [s for a, s in enumerate(walk.shape) if not shrink >> a & 1]
    if kept != list(y.shape):
        raise _fail(g, op, f"computes shape {kept}, the output is {list(y.shape)} (ellipsis / new-axis masks "
                    "are not applied by TFLite Micro)", "re-export the model with plain slicing")
    return move_op(g, op, x.index, y.index, walk)


def lower_slice(g: Graph, op: Op) -> LoweredOp:
    x, y = _io(g, op)
    begin, size = _const(g, op, 1, "begin"), _const(g, op, 2, "size")
    return move_op(g, op, x.index, y.index, slice_walk(list(x.shape), list(begin), list(size)))


def lower_transpose(g: Graph, op: Op) -> LoweredOp:
    x, y = _io(g, op)
    perm = [int(p) % max(len(x.shape), 1) for p in _const(g, op, 1, "perm")]
    if sorted(perm) != list(range(len(x.shape))):
        raise _fail(g, op, f"permutation {perm} of a {len(x.shape)}-D input", "re-export the model")
    return move_op(g, op, x.index, y.index, transpose_walk(list(x.shape), perm))


def lower_reverse(g: Graph, op: Op) -> LoweredOp:
    x, y = _io(g, op)
    n = len(x.shape)
    axes = sorted({int(a) % n for a in _const(g, op, 1, "axis")})
    return move_op(g, op, x.index, y.index, reverse_walk(list(x.shape), axes))


def lower_broadcast_to(g: Graph, op: Op) -> LoweredOp:
    x, y = _io(g, op)
    if len(x.shape) > len(y.shape):
        raise _fail(g, op, "the input has more dimensions than the output", "re-export the model")
    return move_op(g, op, x.index, y.index, broadcast_walk(list(x.shape), list(y.shape)))


def lower_tile(g: Graph, op: Op) -> LoweredOp:
    x, y = _io(g, op)
    mult = _const(g, op, 1, "multiples")
    if len(mult) != len(x.shape):
        raise _fail(g, op, f"{len(mult)} multiples for a {len(x.shape)}-D input", "re-export the model")
    return move_op(g, op, x.index, y.index, tile_walk(list(x.shape), list(mult)))


def _pad_value(g: Graph, op: Op, y: Tensor) -> object:
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        cv = g.t(op.inputs[2])
        if cv.dtype != y.dtype:
            raise _fail(g, op, f"constant_values is {cv.dtype}, the input {y.dtype}",
                        "re-export the model (TFLite Micro rejects this)")
        return _const(g, op, 2, "constant_values")[0] if y.dtype != "float32" else cv.data.reshape(-1)[0]
    return y.zero_point if y.dtype in ("int8", "uint8") else 0


def lower_pad(g: Graph, op: Op) -> LoweredOp:
    """PAD / PADV2 (any element type): padded coordinates read the output zero point (int8/uint8),
    0, or PADV2's constant value."""
    x, y = _io(g, op)
    pads = _const(g, op, 1, "paddings").reshape(-1, 2)
    if pads.shape[0] != len(x.shape) or np.any(pads < 0):
        raise _fail(g, op, f"paddings {pads.tolist()} for a {len(x.shape)}-D input", "re-export the model")
    return move_op(g, op, x.index, y.index, pad_walk(list(x.shape), pads), _pad_value(g, op, y))


def lower_mirror_pad(g: Graph, op: Op) -> LoweredOp:
    x, y = _io(g, op)
    pads = _const(g, op, 1, "paddings").reshape(-1, 2)
    if pads.shape[0] != len(x.shape) or np.any(pads < 0):
        raise _fail(g, op, f"paddings {pads.tolist()} for a {len(x.shape)}-D input", "re-export the model")
    reflect = _option(op, "mode") == 0
    limit = np.array(x.shape) - (1 if reflect else 0)
    if np.any(pads[:, 0] > limit) or np.any(pads[:, 1] > limit):
        raise _fail(g, op, "padding larger than the input allows", "re-export the model")
    return move_op(g, op, x.index, y.index, mirror_pad_walk(list(x.shape), pads, reflect))


def _nhwc(g: Graph, op: Op, x: Tensor) -> list[int]:
    if len(x.shape) == 3:  # one spatial dim: TFLite inserts W = 1
        return [x.shape[0], x.shape[1], 1, x.shape[2]]
    if len(x.shape) != 4:
        raise _fail(g, op, f"{len(x.shape)}-D input (3-D or 4-D only)", "reshape to NHWC")
    return list(x.shape)


def lower_space_to_depth(g: Graph, op: Op) -> LoweredOp:
    x, y = _io(g, op)
    bs = _option(op, "block_size")
    if len(x.shape) != 4 or bs < 1 or x.shape[1] % bs or x.shape[2] % bs:
        raise _fail(g, op, f"block {bs} for input {list(x.shape)}", "re-export the model")
    return move_op(g, op, x.index, y.index, space_to_depth_walk(list(x.shape), bs))


def lower_depth_to_space(g: Graph, op: Op) -> LoweredOp:
    x, y = _io(g, op)
    bs = _option(op, "block_size")
    if len(x.shape) != 4 or bs < 1 or x.shape[3] % (bs * bs):
        raise _fail(g, op, f"block {bs} for input {list(x.shape)}", "re-export the model")
    return move_op(g, op, x.index, y.index, depth_to_space_walk(list(x.shape), bs))


def _block_and_pads(g: Graph, op: Op, x: Tensor, what: str) -> tuple[list[int], np.ndarray]:
    block = [int(b) for b in _const(g, op, 1, "block_shape")]
    pads = _const(g, op, 2, what).reshape(-1, 2)
    if len(block) != len(x.shape) - 2 or pads.shape[0] != len(block) or min(block) < 1 or np.any(pads < 0):
        raise _fail(g, op, f"block {block} and {what} {pads.tolist()} for input {list(x.shape)}",
                    "re-export the model")
    if len(block) == 1:
        block, pads = block + [1], np.concatenate([pads, [[0, 0]]])
    return block, pads


def lower_batch_to_space(g: Graph, op: Op) -> LoweredOp:
    x, y = _io(g, op)
    shape = _nhwc(g, op, x)
    block, crops = _block_and_pads(g, op, x, "crops")
    if shape[0] % (block[0] * block[1]):
        raise _fail(g, op, f"batch {shape[0]} is not a multiple of the block {block}", "re-export the model")
    return move_op(g, op, x.index, y.index, batch_to_space_walk(shape, block, crops))


def lower_space_to_batch(g: Graph, op: Op) -> LoweredOp:
    x, y = _io(g, op)
    b, h, w, c = _nhwc(g, op, x)
    block, pads = _block_and_pads(g, op, x, "paddings")
    oh, ow = (h + int(pads[0].sum())) // block[0], (w + int(pads[1].sum())) // block[1]
    if (h + int(pads[0].sum())) % block[0] or (w + int(pads[1].sum())) % block[1]:
        raise _fail(g, op, "padded size is not a multiple of the block", "re-export the model")
    ob = b * block[0] * block[1]
    if ob * oh * ow * c != y.elements:
        raise _fail(g, op, f"output {list(y.shape)} does not match the block", "re-export the model")
    fields = dict(in_b=b, in_h=h, in_w=w, depth=c * element_size(x.dtype), block_h=block[0], block_w=block[1],
                  pad_top=int(pads[0][0]), pad_left=int(pads[1][0]), out_b=ob, out_h=oh, out_w=ow,
                  pad=pad_pattern(y.zero_point if y.dtype in ("int8", "uint8", "int16") else 0, y.dtype))
    return LoweredOp(op, "tfc_space_to_batch", "tfc_space_to_batch_params", fields, [x.index], [y.index],
                     in_ctypes=("void",), out_ctype="void")


def _chunks_op(g: Graph, op: Op, kernel: str, whole: Tensor, parts: list[Tensor], axis: int,
               part_chunk: list[int]) -> LoweredOp:
    esize = element_size(whole.dtype)
    outer = int(math.prod(whole.shape[:axis]))
    chunks = np.array([c * esize for c in part_chunk], dtype=np.int32)
    arr = ConstArray(f"op{op.index}_chunks", chunks)
    fields = dict(n_inputs=len(parts), outer=outer, out_chunk=int(chunks.sum()), chunks=arr)
    if kernel == "tfc_concat":
        return LoweredOp(op, kernel, "tfc_concat_params", fields, [t.index for t in parts], [whole.index], [arr],
                         inputs_as_array=True)
    return LoweredOp(op, kernel, "tfc_concat_params", fields, [whole.index], [t.index for t in parts], [arr],
                     outputs_as_array=True)


def _axis(g: Graph, op: Op, axis: int, ndim: int) -> int:
    a = axis + ndim if axis < 0 else axis
    if not 0 <= a < max(ndim, 1):
        raise _fail(g, op, f"axis {axis} of a {ndim}-D tensor", "re-export the model")
    return a


def _same_quant(g: Graph, op: Op, tensors: list[Tensor], y: Tensor) -> None:
    """TFLM's CONCATENATION / PACK copy bytes and reject inputs quantised unlike the output
    (TFLite's kernels would rescale them)."""
    if y.dtype in ("int8", "int16", "uint8") and y.scales:
        for t in tensors:
            if t.scales and (t.scale != y.scale or t.zero_point != y.zero_point):
                raise _fail(g, op, f"input '{t.name}' is quantised differently from the output "
                            "(TFLite Micro does not rescale)",
                            "give the inputs the output's scale and zero point (e.g. convert with --mode int8)")


def lower_concatenation(g: Graph, op: Op) -> LoweredOp:
    """CONCATENATION (any element type): byte copies, as TFLM (no requantisation)."""
    y = g.t(op.outputs[0])
    xs = [g.t(i) for i in op.inputs]
    _same_type(g, op, [*xs, y])
    if _option(op, "fused_activation_function"):
        raise _fail(g, op, "has a fused activation", "apply the activation separately")
    _same_quant(g, op, xs, y)
    axis = _axis(g, op, _option(op, "axis"), len(y.shape))
    return _chunks_op(g, op, "tfc_concat", y, xs, axis, [int(math.prod(t.shape[axis:])) for t in xs])


def lower_pack(g: Graph, op: Op) -> LoweredOp:
    y = g.t(op.outputs[0])
    xs = [g.t(i) for i in op.inputs]
    _same_type(g, op, [*xs, y])
    _same_quant(g, op, xs, y)
    axis = _axis(g, op, _option(op, "axis"), len(y.shape))
    return _chunks_op(g, op, "tfc_concat", y, xs, axis, [int(math.prod(t.shape[axis:])) for t in xs])


def lower_unpack(g: Graph, op: Op) -> LoweredOp:
    x = g.t(op.inputs[0])
    ys = [g.t(o) for o in op.outputs]
    _same_type(g, op, [x, *ys])
    axis = _axis(g, op, _option(op, "axis"), len(x.shape))
    return _chunks_op(g, op, "tfc_split", x, ys, axis, [int(math.prod(x.shape[axis + 1:]))] * len(ys))


def _lower_split(g: Graph, op: Op, x: Tensor, axis_value: np.ndarray) -> LoweredOp:
    ys = [g.t(o) for o in op.outputs]
    _same_type(g, op, [x, *ys])
    axis = _axis(g, op, int(axis_value[0]), len(x.shape))
    if sum(t.shape[axis] for t in ys) != x.shape[axis]:
        raise _fail(g, op, "the outputs do not add up to the input", "re-export the model")
    return _chunks_op(g, op, "tfc_split", x, ys, axis, [int(math.prod(t.shape[axis:])) for t in ys])


def lower_split(g: Graph, op: Op) -> LoweredOp:
    """SPLIT (inputs: axis, tensor)."""
    return _lower_split(g, op, g.t(op.inputs[1]), _const(g, op, 0, "axis"))


def lower_split_v(g: Graph, op: Op) -> LoweredOp:
    """SPLIT_V (inputs: tensor, size_splits, axis); the output shapes carry the sizes."""
    return _lower_split(g, op, g.t(op.inputs[0]), _const(g, op, 2, "axis"))


def _gather_op(g: Graph, op: Op, params: Tensor, idx: Tensor, y: Tensor, *, batches: int, outer: int,
               coords: int, limits: list[int], steps: list[int], block: int, slice_elems: int,
               dequant: bool = False, scale: float = 0.0) -> LoweredOp:
    if idx.dtype not in ("int32", "int64"):
        raise _fail(g, op, f"indices are {idx.dtype}", "use int32 or int64 indices")
    if len(limits) > MAX_DIMS:
        raise _fail(g, op, f"{len(limits)} index components (max {MAX_DIMS})", "re-export the model")
    es = element_size(params.dtype)
    fill = [0] * (MAX_DIMS - len(limits))
    fields = dict(batches=batches, outer=outer, coords=coords, nd=len(limits), idx_size=element_size(idx.dtype),
                  block=block * es, slice=slice_elems * es, dequant=int(dequant), limit=limits + fill,
                  step=[s * es for s in steps] + fill, scale=float(np.float32(scale)))
    return LoweredOp(op, "tfc_gather", "tfc_gather_params", fields, [params.index, idx.index], [y.index],
                     in_ctypes=("void",), out_ctype="void")


def lower_gather(g: Graph, op: Op) -> LoweredOp:
    """GATHER (axis, batch_dims as TFLM): slices of the input picked by the indices."""
    params, idx, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    _same_type(g, op, [params, y])
    n = len(params.shape)
    axis = _axis(g, op, _option(op, "axis"), n)
    bd = _option(op, "batch_dims")
    bd = bd + len(idx.shape) if bd < 0 else bd
    if not (0 <= bd <= axis and bd < n and bd <= len(idx.shape)) or list(params.shape[:bd]) != list(idx.shape[:bd]):
        raise _fail(g, op, f"batch_dims {bd} with axis {axis}", "re-export the model")
    shape = [int(s) for s in params.shape]
    batches, outer = math.prod(shape[:bd]), math.prod(shape[bd:axis])
    inner = math.prod(shape[axis + 1:])
    coords = math.prod(int(s) for s in idx.shape[bd:])
    return _gather_op(g, op, params, idx, y, batches=batches, outer=outer, coords=coords, limits=[shape[axis]],
                      steps=[inner], block=shape[axis] * inner, slice_elems=inner)


def lower_gather_nd(g: Graph, op: Op) -> LoweredOp:
    params, idx, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    _same_type(g, op, [params, y])
    nd = int(idx.shape[-1]) if idx.shape else 0
    if not idx.shape or nd > len(params.shape):
        raise _fail(g, op, f"indices {list(idx.shape)} for params {list(params.shape)}", "re-export the model")
    st = _strides(params.shape)
    return _gather_op(g, op, params, idx, y, batches=1, outer=1, coords=math.prod(idx.shape[:-1]),
                      limits=[int(s) for s in params.shape[:nd]], steps=st[:nd], block=0,
                      slice_elems=math.prod(params.shape[nd:]))


def lower_embedding_lookup(g: Graph, op: Op) -> LoweredOp:
    """EMBEDDING_LOOKUP: rows of the table (input 1) by the ids (input 0); an int8 table with a
    float32 output is dequantised as TFLM does ((q - 0) * scale in float)."""
    ids, table, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    if len(ids.shape) != 1 or len(table.shape) < 2:
        raise _fail(g, op, f"ids {list(ids.shape)} and table {list(table.shape)}", "re-export the model")
    row = math.prod(table.shape[1:])
    dequant = table.dtype == "int8" and y.dtype == "float32"
    if dequant:
        if table.per_channel or table.zero_point != 0:
            raise _fail(g, op, "the int8 table needs one scale and zero point 0", "re-export the model")
    else:
        _same_type(g, op, [table, y])
    return _gather_op(g, op, table, ids, y, batches=1, outer=1, coords=ids.elements, limits=[int(table.shape[0])],
                      steps=[row], block=0, slice_elems=row, dequant=dequant, scale=table.scale)


def lower_dynamic_update_slice(g: Graph, op: Op) -> LoweredOp:
    x, upd, start, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.inputs[2]), g.t(op.outputs[0])
    _same_type(g, op, [x, upd, y])
    n = len(x.shape)
    if n > MOVE_DIMS or len(upd.shape) != n or start.dtype not in ("int32", "int64") or start.elements != n:
        raise _fail(g, op, f"operand {list(x.shape)}, update {list(upd.shape)}, start {list(start.shape)}",
                    "re-export the model")
    fill = [1] * (MOVE_DIMS - n)
    fields = dict(ndim=n, esize=element_size(x.dtype), idx_size=element_size(start.dtype),
                  shape=list(x.shape) + fill, update=list(upd.shape) + fill)
    return LoweredOp(op, "tfc_dynamic_update_slice", "tfc_update_slice_params", fields,
                     [x.index, upd.index, start.index], [y.index], in_ctypes=("void",), out_ctype="void")


def lower_fill(g: Graph, op: Op) -> LoweredOp:
    """FILL with a run-time value: every output element reads the scalar (stride 0)."""
    value, y = g.t(op.inputs[1]), g.t(op.outputs[0])
    _same_type(g, op, [value, y])
    return move_op(g, op, value.index, y.index, Walk([y.elements], [0]))


def lower_zeros_like(g: Graph, op: Op) -> LoweredOp:
    y = g.t(op.outputs[0])
    return LoweredOp(op, "tfc_fill_bytes", None, {}, [], [y.index], in_ctypes=("void",), out_ctype="void",
                     extra_args=("0", str(y.nbytes)))


def lower_cast(g: Graph, op: Op) -> LoweredOp:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype not in CAST_CODES or y.dtype not in CAST_CODES:
        raise _fail(g, op, f"casts {x.dtype} to {y.dtype}", f"use one of {', '.join(CAST_CODES)}")
    if x.dtype == y.dtype:
        return LoweredOp(op, "tfc_copy_bytes", None, {}, [x.index], [y.index], in_ctypes=("void",),
                         out_ctype="void", extra_args=(str(x.nbytes),))
    fields = dict(n=x.elements, in_type=CAST_CODES[x.dtype], out_type=CAST_CODES[y.dtype])
    return LoweredOp(op, "tfc_cast", "tfc_cast_params", fields, [x.index], [y.index], in_ctypes=("void",),
                     out_ctype="void")
