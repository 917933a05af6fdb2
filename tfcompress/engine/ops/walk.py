"""The strided N-D walk behind most data-movement ops (``tfc_move``, ``firmware/engine/move.c``)
and each op's geometry.

The host describes, per output dimension, where its coordinate moves the read position in the
input (a stride, possibly 0 or negative, or a table of offsets with padded coordinates marked),
merges contiguous dimensions, and the device walks the output in order. :class:`Walk` is that
description; :func:`Walk.apply` is its numpy twin (tests compare it with TFLite's own results);
the ``*_walk`` functions give each op's walk in element units.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tfcompress.engine.ir import Graph, Op, element_size, numpy_dtype
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.ops.common import out_name
from tfcompress.errors import TfcError

#: most dimensions of the walker after merging (TFC_MOVE_DIMS)
MOVE_DIMS = 6
#: table entry of a padded coordinate (TFC_MOVE_PAD); real offsets stay below 2**27 bytes
MOVE_PAD = -(1 << 28)
#: a padded coordinate in element tables on the host (converted to MOVE_PAD)
PAD = -1

def move_error(g: Graph, op: Op, what: str, fix: str) -> TfcError:
    return TfcError(f"{op.name} '{out_name(g, op)}': {what}", fix)

def row_strides(shape: tuple[int, ...] | list[int]) -> list[int]:
    """Element strides of a contiguous tensor."""
    out, acc = [0] * len(shape), 1
    for d in range(len(shape) - 1, -1, -1):
        out[d] = acc
        acc *= int(shape[d])
    return out

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
        raise move_error(g, op, f"input is {g.t(x).dtype}, output {yt.dtype}", "re-export the model")
    if int(np.prod(walk.shape)) != yt.elements and yt.elements:
        raise move_error(g, op, f"computes {int(np.prod(walk.shape))} elements for an output of {yt.elements}",
                    "re-export the model (TFLite Micro rejects this op as it is)")
    if g.t(x).nbytes >= (1 << 27):
        raise move_error(g, op, "the input is larger than 128 MB", "split the tensor")
    simple, mult = walk.simplified()
    if len(simple.shape) > MOVE_DIMS:
        raise move_error(g, op, f"needs a {len(simple.shape)}-D walk (max {MOVE_DIMS})", "reshape to fewer dimensions")
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
    st = row_strides(in_shape)
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
    st = row_strides(in_shape)
    return Walk([int(in_shape[p]) for p in perm], [st[p] for p in perm])


def reverse_walk(in_shape: list[int], axes: list[int]) -> Walk:
    st = row_strides(in_shape)
    stride, off = list(st), 0
    for a in axes:
        stride[a] = -st[a]
        off += (int(in_shape[a]) - 1) * st[a]
    return Walk(list(in_shape), stride, offset=off)


def slice_walk(in_shape: list[int], begin: list[int], size: list[int]) -> Walk:
    st = row_strides(in_shape)
    shape = [int(in_shape[d]) - int(b) if int(s) == -1 else int(s)
             for d, (b, s) in enumerate(zip(begin, size, strict=True))]
    return Walk(shape, st, offset=sum(int(b) * s for b, s in zip(begin, st, strict=True)))


def broadcast_walk(in_shape: list[int], out_shape: list[int]) -> Walk:
    n = len(out_shape)
    full = [1] * (n - len(in_shape)) + list(in_shape)
    st = row_strides(full)
    return Walk(list(out_shape), [0 if full[d] == 1 and out_shape[d] != 1 else st[d] for d in range(n)])


def tile_walk(in_shape: list[int], multiples: list[int]) -> Walk:
    st = row_strides(in_shape)
    tables: list[np.ndarray | None] = []
    for d, m in enumerate(multiples):
        size = int(in_shape[d])
        tables.append(None if int(m) == 1 or size == 1 else (np.arange(size * int(m)) % size) * st[d])
    shape = [int(in_shape[d]) * int(m) for d, m in enumerate(multiples)]
    stride = [0 if int(in_shape[d]) == 1 else st[d] for d in range(len(shape))]
    return Walk(shape, stride, tables)


def pad_walk(in_shape: list[int], pads: np.ndarray) -> Walk:
    st = row_strides(in_shape)
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
    st = row_strides(in_shape)
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
