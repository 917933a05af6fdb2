"""Lowering of the data-movement ops that join, split, pick or fill pieces of tensors (any element
type): CONCATENATION, PACK, UNPACK, SPLIT, SPLIT_V (``tfc_concat`` / ``tfc_split``: chunks per outer
row), GATHER, GATHER_ND, EMBEDDING_LOOKUP (``tfc_gather``: index tables checked on the device like
TFLM), DYNAMIC_UPDATE_SLICE, FILL, ZEROS_LIKE and integer CAST. Like the walks in ``movement.py``,
none of them requantises in TFLM: values are copied bit for bit whatever the tensors' scales.
"""

from __future__ import annotations

import math

import numpy as np

from tfcompress.engine.ir import Graph, Op, Tensor, element_size
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.ops.common import MAX_DIMS
from tfcompress.engine.ops.movement import const_operand, option, same_types
from tfcompress.engine.ops.walk import MOVE_DIMS, Walk, move_error, move_op, row_strides

#: TFC_DTYPE_* codes of CAST (model.h codes, uint32 added)
CAST_CODES = {"int8": 1, "int16": 2, "float32": 3, "uint8": 4, "int32": 5, "int64": 6, "bool": 7, "uint32": 8}


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
        raise move_error(g, op, f"axis {axis} of a {ndim}-D tensor", "re-export the model")
    return a


def _same_quant(g: Graph, op: Op, tensors: list[Tensor], y: Tensor) -> None:
    """TFLM's CONCATENATION / PACK copy bytes and reject inputs quantised unlike the output
    (TFLite's kernels would rescale them)."""
    if y.dtype in ("int8", "int16", "uint8") and y.scales:
        for t in tensors:
            if t.scales and (t.scale != y.scale or t.zero_point != y.zero_point):
                raise move_error(g, op, f"input '{t.name}' is quantised differently from the output "
                            "(TFLite Micro does not rescale)",
                            "give the inputs the output's scale and zero point (e.g. convert with --mode int8)")


def lower_concatenation(g: Graph, op: Op) -> LoweredOp:
    """CONCATENATION (any element type): byte copies, as TFLM (no requantisation)."""
    y = g.t(op.outputs[0])
    xs = [g.t(i) for i in op.inputs]
    same_types(g, op, [*xs, y])
    if option(op, "fused_activation_function"):
        raise move_error(g, op, "has a fused activation", "apply the activation separately")
    _same_quant(g, op, xs, y)
    axis = _axis(g, op, option(op, "axis"), len(y.shape))
    return _chunks_op(g, op, "tfc_concat", y, xs, axis, [int(math.prod(t.shape[axis:])) for t in xs])


def lower_pack(g: Graph, op: Op) -> LoweredOp:
    y = g.t(op.outputs[0])
    xs = [g.t(i) for i in op.inputs]
    same_types(g, op, [*xs, y])
    _same_quant(g, op, xs, y)
    axis = _axis(g, op, option(op, "axis"), len(y.shape))
    return _chunks_op(g, op, "tfc_concat", y, xs, axis, [int(math.prod(t.shape[axis:])) for t in xs])


def lower_unpack(g: Graph, op: Op) -> LoweredOp:
    x = g.t(op.inputs[0])
    ys = [g.t(o) for o in op.outputs]
    same_types(g, op, [x, *ys])
    axis = _axis(g, op, option(op, "axis"), len(x.shape))
    return _chunks_op(g, op, "tfc_split", x, ys, axis, [int(math.prod(x.shape[axis + 1:]))] * len(ys))


def _lower_split(g: Graph, op: Op, x: Tensor, axis_value: np.ndarray) -> LoweredOp:
    ys = [g.t(o) for o in op.outputs]
    same_types(g, op, [x, *ys])
    axis = _axis(g, op, int(axis_value[0]), len(x.shape))
    if sum(t.shape[axis] for t in ys) != x.shape[axis]:
        raise move_error(g, op, "the outputs do not add up to the input", "re-export the model")
    return _chunks_op(g, op, "tfc_split", x, ys, axis, [int(math.prod(t.shape[axis:])) for t in ys])


def lower_split(g: Graph, op: Op) -> LoweredOp:
    """SPLIT (inputs: axis, tensor)."""
    return _lower_split(g, op, g.t(op.inputs[1]), const_operand(g, op, 0, "axis"))


def lower_split_v(g: Graph, op: Op) -> LoweredOp:
    """SPLIT_V (inputs: tensor, size_splits, axis); the output shapes carry the sizes."""
    return _lower_split(g, op, g.t(op.inputs[0]), const_operand(g, op, 2, "axis"))


def _gather_op(g: Graph, op: Op, params: Tensor, idx: Tensor, y: Tensor, *, batches: int, outer: int,
               coords: int, limits: list[int], steps: list[int], block: int, slice_elems: int) -> LoweredOp:
    if idx.dtype not in ("int32", "int64"):
        raise move_error(g, op, f"indices are {idx.dtype}", "use int32 or int64 indices")
    if len(limits) > MAX_DIMS:
        raise move_error(g, op, f"{len(limits)} index components (max {MAX_DIMS})", "re-export the model")
    es = element_size(params.dtype)
    fill = [0] * (MAX_DIMS - len(limits))
    fields = dict(batches=batches, outer=outer, coords=coords, nd=len(limits), idx_size=element_size(idx.dtype),
                  block=block * es, slice=slice_elems * es, limit=limits + fill, step=[s * es for s in steps] + fill)
    return LoweredOp(op, "tfc_gather", "tfc_gather_params", fields, [params.index, idx.index], [y.index],
                     in_ctypes=("void",), out_ctype="void")


def lower_gather(g: Graph, op: Op) -> LoweredOp:
    """GATHER (axis, batch_dims as TFLM): slices of the input picked by the indices."""
    params, idx, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    same_types(g, op, [params, y])
    n = len(params.shape)
    axis = _axis(g, op, option(op, "axis"), n)
    bd = option(op, "batch_dims")
    bd = bd + len(idx.shape) if bd < 0 else bd
    if not (0 <= bd <= axis and bd < n and bd <= len(idx.shape)) or list(params.shape[:bd]) != list(idx.shape[:bd]):
        raise move_error(g, op, f"batch_dims {bd} with axis {axis}", "re-export the model")
    shape = [int(s) for s in params.shape]
    batches, outer = math.prod(shape[:bd]), math.prod(shape[bd:axis])
    inner = math.prod(shape[axis + 1:])
    coords = math.prod(int(s) for s in idx.shape[bd:])
    return _gather_op(g, op, params, idx, y, batches=batches, outer=outer, coords=coords, limits=[shape[axis]],
                      steps=[inner], block=shape[axis] * inner, slice_elems=inner)


def lower_gather_nd(g: Graph, op: Op) -> LoweredOp:
    params, idx, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    same_types(g, op, [params, y])
    nd = int(idx.shape[-1]) if idx.shape else 0
    if not idx.shape or nd > len(params.shape):
        raise move_error(g, op, f"indices {list(idx.shape)} for params {list(params.shape)}", "re-export the model")
    st = row_strides(params.shape)
    return _gather_op(g, op, params, idx, y, batches=1, outer=1, coords=math.prod(idx.shape[:-1]),
                      limits=[int(s) for s in params.shape[:nd]], steps=st[:nd], block=0,
                      slice_elems=math.prod(params.shape[nd:]))


def lower_embedding_lookup(g: Graph, op: Op) -> LoweredOp:
    """EMBEDDING_LOOKUP: rows of the table (input 1) by the ids (input 0), same type in and out (the
    hybrid int8 table -> float32 output is a float op: ops/float32.py)."""
    ids, table, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    if len(ids.shape) != 1 or len(table.shape) < 2:
        raise move_error(g, op, f"ids {list(ids.shape)} and table {list(table.shape)}", "re-export the model")
    row = math.prod(table.shape[1:])
    same_types(g, op, [table, y])
    return _gather_op(g, op, table, ids, y, batches=1, outer=1, coords=ids.elements, limits=[int(table.shape[0])],
                      steps=[row], block=0, slice_elems=row)


def lower_dynamic_update_slice(g: Graph, op: Op) -> LoweredOp:
    x, upd, start, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.inputs[2]), g.t(op.outputs[0])
    same_types(g, op, [x, upd, y])
    n = len(x.shape)
    if n > MOVE_DIMS or len(upd.shape) != n or start.dtype not in ("int32", "int64") or start.elements != n:
        raise move_error(g, op, f"operand {list(x.shape)}, update {list(upd.shape)}, start {list(start.shape)}",
                    "re-export the model")
    fill = [1] * (MOVE_DIMS - n)
    fields = dict(ndim=n, esize=element_size(x.dtype), idx_size=element_size(start.dtype),
                  shape=list(x.shape) + fill, update=list(upd.shape) + fill)
    return LoweredOp(op, "tfc_dynamic_update_slice", "tfc_update_slice_params", fields,
                     [x.index, upd.index, start.index], [y.index], in_ctypes=("void",), out_ctype="void")


def lower_fill(g: Graph, op: Op) -> LoweredOp:
    """FILL with a run-time value: every output element reads the scalar (stride 0)."""
    value, y = g.t(op.inputs[1]), g.t(op.outputs[0])
    same_types(g, op, [value, y])
    return move_op(g, op, value.index, y.index, Walk([y.elements], [0]))


def lower_zeros_like(g: Graph, op: Op) -> LoweredOp:
    y = g.t(op.outputs[0])
    return LoweredOp(op, "tfc_fill_bytes", None, {}, [], [y.index], in_ctypes=("void",), out_ctype="void",
                     extra_args=("0", str(y.nbytes)))


def lower_cast(g: Graph, op: Op) -> LoweredOp:
    """CAST between integer types and bool (a CAST from or to float32 is a float op: ops/float32.py)."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype not in CAST_CODES or y.dtype not in CAST_CODES or "float32" in (x.dtype, y.dtype):
        raise move_error(g, op, f"casts {x.dtype} to {y.dtype}", f"use one of {', '.join(CAST_CODES)}")
    if x.dtype == y.dtype:
        return LoweredOp(op, "tfc_copy_bytes", None, {}, [x.index], [y.index], in_ctypes=("void",),
                         out_ctype="void", extra_args=(str(x.nbytes),))
    fields = dict(n=x.elements, in_type=CAST_CODES[x.dtype], out_type=CAST_CODES[y.dtype])
    return LoweredOp(op, "tfc_cast", "tfc_cast_params", fields, [x.index], [y.index], in_ctypes=("void",),
                     out_ctype="void")
