"""Compile-time folding: ops whose outputs do not depend on the model's inputs become constants.

The converter leaves shape arithmetic in graphs (SHAPE -> STRIDED_SLICE -> PACK feeding a RESHAPE
or a TRANSPOSE_CONV output shape; FILL; TILE of anchor boxes; constant subgraphs): with a batch of
1 and static shapes, their values are known on the host. An op folds when every input is a
constant (or folded), or when it only reads its input's static shape (SHAPE, RANK); it never
folds when it touches state (variables, resource variables) or control flow.

Values come from plain numpy where the op is data movement or exact integer arithmetic (the
common shape ops), and otherwise from the oracle itself (TFLite Micro's host interpreter with
every tensor preserved; TFLite's reference kernels where TFLM cannot run the model), so a folded
value is TFLM's value, bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tfcompress.engine.ir import DTYPES, Graph, Op, Tensor
from tfcompress.errors import TfcError

#: ops that never fold: state, control flow
NEVER = frozenset({"VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE", "WHILE", "IF", "CALL",
                   "DELEGATE", "CUSTOM"})
#: ops whose outputs depend only on their input's static shape
SHAPE_ONLY = frozenset({"SHAPE", "RANK"})


def _foldable(g: Graph, op: Op, known: set[int]) -> bool:
    if op.name in NEVER or op.name.startswith("CUSTOM:") or not op.outputs:
        return False
    if any(g.t(o).is_variable or g.t(o).dtype == "resource" for o in op.outputs):
        return False
    if op.name in SHAPE_ONLY:
        return True
    ins = [i for i in op.inputs if i >= 0]
    return bool(ins) and all(i in known for i in ins)


def _quantized(t: Tensor) -> bool:
    """Whether ``t`` carries quantisation parameters (then its arithmetic is TFLM's, not numpy's)."""
    return bool(t.scales)


def _opt(op: Op, key: str, default: Any = 0) -> Any:
    value = op.options.get(key, default)
    return default if value is None else value


def _reshaped(g: Graph, op: Op, x: np.ndarray) -> np.ndarray | None:
    shape = g.t(op.outputs[0]).shape
    return x.reshape(shape) if int(np.prod(shape)) == x.size else None


def _axis(op: Op, ndim: int) -> int:
    axis = int(_opt(op, "axis"))
    return axis + ndim if axis < 0 else axis


def _elementwise(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Callable[..., list[np.ndarray] | None]:
    """An integer binary op that folds in numpy when nothing is quantised and no activation is fused."""

    def run(g: Graph, op: Op, xs: list[np.ndarray]) -> list[np.ndarray] | None:
        tensors = [g.t(i) for i in op.inputs] + [g.t(op.outputs[0])]
        if int(_opt(op, "fused_activation_function")) or any(_quantized(t) for t in tensors):
            return None
        if any(t.dtype not in ("int32", "int64") for t in tensors):
            return None
        a, b = xs
        with np.errstate(all="ignore"):
            return [fn(a, b).astype(a.dtype)]

    return run


def _floor_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if np.any(b == 0):
        raise ZeroDivisionError
    return np.floor_divide(a, b)


def _floor_mod(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if np.any(b == 0):
        raise ZeroDivisionError
    return np.mod(a, b)


def _movement(fn: Callable[..., np.ndarray | None]) -> Callable[..., list[np.ndarray] | None]:
    """A data-movement op: any dtype, quantisation unchanged (checked), numpy does it exactly."""

    def run(g: Graph, op: Op, xs: list[np.ndarray]) -> list[np.ndarray] | None:
        y = g.t(op.outputs[0])
        x = g.t(op.inputs[0])
        if _quantized(y) and (x.scales != y.scales or x.zero_points != y.zero_points):
            return None
        out = fn(g, op, xs)
        return None if out is None else [out]

    return run


def _concat(g: Graph, op: Op, xs: list[np.ndarray]) -> list[np.ndarray] | None:
    y = g.t(op.outputs[0])
    if int(_opt(op, "fused_activation_function")):
        return None
    if _quantized(y) and any(g.t(i).scales != y.scales or g.t(i).zero_points != y.zero_points for i in op.inputs):
        return None
    return [np.concatenate(xs, axis=_axis(op, xs[0].ndim))]


def _pack(g: Graph, op: Op, xs: list[np.ndarray]) -> list[np.ndarray] | None:
    y = g.t(op.outputs[0])
    if _quantized(y) and any(g.t(i).scales != y.scales for i in op.inputs):
        return None
    return [np.stack(xs, axis=_axis(op, xs[0].ndim + 1))]


def _unpack(g: Graph, op: Op, xs: list[np.ndarray]) -> list[np.ndarray] | None:
    x = xs[0]
    axis = _axis(op, x.ndim)
    return [np.take(x, k, axis=axis) for k in range(x.shape[axis])]


def _gather(g: Graph, op: Op, xs: list[np.ndarray]) -> list[np.ndarray] | None:
    if int(_opt(op, "batch_dims")):
        return None
    params, idx = xs
    axis = _axis(op, params.ndim)
    if np.any(idx < 0) or np.any(idx >= params.shape[axis]):
        return None
    return [np.take(params, idx.astype(np.int64), axis=axis)]


def _shape(g: Graph, op: Op, xs: list[np.ndarray]) -> list[np.ndarray] | None:
    y = g.t(op.outputs[0])
    return [np.array(g.t(op.inputs[0]).shape, dtype=DTYPES[y.dtype][0])]


def _rank(g: Graph, op: Op, xs: list[np.ndarray]) -> list[np.ndarray] | None:
    return [np.array(len(g.t(op.inputs[0]).shape), dtype=np.int32)]


def _fill(g: Graph, op: Op, xs: list[np.ndarray]) -> list[np.ndarray] | None:
    dims, value = xs
    return [np.full(tuple(int(d) for d in dims.reshape(-1)), value.reshape(-1)[0], dtype=value.dtype)]


def _cast(g: Graph, op: Op, xs: list[np.ndarray]) -> list[np.ndarray] | None:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype.startswith("float") and not np.all(np.isfinite(xs[0])):
        return None
    with np.errstate(all="ignore"):
        return [xs[0].astype(DTYPES[y.dtype][0])]


def _range(g: Graph, op: Op, xs: list[np.ndarray]) -> list[np.ndarray] | None:
    start, limit, delta = (v.reshape(-1)[0] for v in xs)
    if delta == 0:
        return None
    return [np.arange(start, limit, delta, dtype=xs[0].dtype)]


def _strided_slice(g: Graph, op: Op, xs: list[np.ndarray]) -> np.ndarray | None:
    """TFLM's STRIDED_SLICE (the geometry the engine's kernel uses, ops/walk.py); ellipsis,
    new-axis and offset are left to the oracle."""
    from tfcompress.engine.ops.walk import strided_slice_walk

    if _opt(op, "ellipsis_mask") or _opt(op, "new_axis_mask") or _opt(op, "offset", False):
        return None
    x, begin, end, strides = xs[0], *(v.reshape(-1).astype(np.int64).tolist() for v in xs[1:4])
    if not len(begin) == len(end) == len(strides) == x.ndim or 0 in strides:
        return None
    shrink = int(_opt(op, "shrink_axis_mask"))
    walk = strided_slice_walk(list(x.shape), begin, end, strides, int(_opt(op, "begin_mask")),
                              int(_opt(op, "end_mask")), shrink)
    return walk.apply(x).reshape([n for a, n in enumerate(walk.shape) if not shrink >> a & 1])


def _slice(g: Graph, op: Op, xs: list[np.ndarray]) -> np.ndarray | None:
    x, begin, size = xs[0], xs[1].reshape(-1).astype(np.int64), xs[2].reshape(-1).astype(np.int64)
    if len(begin) != x.ndim or len(size) != x.ndim or np.any(begin < 0) or np.any(size < -1):
        return None
    if np.any((size >= 0) & (begin + size > np.array(x.shape))):
        return None
    return x[tuple(slice(int(b), x.shape[d] if s == -1 else int(b + s)) for d, (b, s) in enumerate(zip(begin, size,
                                                                                                     strict=True)))]


def _zeros_like(g: Graph, op: Op, xs: list[np.ndarray]) -> list[np.ndarray] | None:
    return [np.zeros_like(xs[0])]


#: op -> numpy evaluation (None: not exactly expressible here; the interpreter folds it)
NUMPY: dict[str, Callable[[Graph, Op, list[np.ndarray]], list[np.ndarray] | None]] = {
    "SHAPE": _shape,
    "RANK": _rank,
    "RESHAPE": _movement(lambda g, op, xs: _reshaped(g, op, xs[0])),
    "SQUEEZE": _movement(lambda g, op, xs: _reshaped(g, op, xs[0])),
    "EXPAND_DIMS": _movement(lambda g, op, xs: _reshaped(g, op, xs[0])),
    "TRANSPOSE": _movement(lambda g, op, xs: np.transpose(xs[0], [int(p) for p in xs[1].reshape(-1)])),
    "TILE": _movement(lambda g, op, xs: np.tile(xs[0], [int(m) for m in xs[1].reshape(-1)])),
    "BROADCAST_TO": _movement(lambda g, op, xs: np.broadcast_to(xs[0], [int(d) for d in xs[1].reshape(-1)]).copy()),
    "STRIDED_SLICE": _movement(_strided_slice),
    "SLICE": _movement(_slice),
    "CONCATENATION": _concat,
    "PACK": _pack,
    "UNPACK": _unpack,
    "GATHER": _gather,
    "FILL": _fill,
    "CAST": _cast,
    "RANGE": _range,
    "ZEROS_LIKE": _zeros_like,
    "ADD": _elementwise(np.add),
    "SUB": _elementwise(np.subtract),
    "MUL": _elementwise(np.multiply),
    "MAXIMUM": _elementwise(np.maximum),
    "MINIMUM": _elementwise(np.minimum),
    "FLOOR_DIV": _elementwise(_floor_div),
    "FLOOR_MOD": _elementwise(_floor_mod),
}


def _from_oracle(g: Graph, model_bytes: bytes, wanted: list[int]) -> dict[int, np.ndarray]:
    """Values of tensors ``wanted`` from one inference of the oracle (inputs all zero: the wanted
    tensors do not depend on them)."""
    from tfcompress.tflm import OracleError, TfliteRefModel, TflmModel

    zeros = [np.zeros(g.t(i).shape, DTYPES[g.t(i).dtype][0]) for i in g.inputs]
    errors = []
    for make in (lambda: TflmModel(model_bytes, preserve_all=True), lambda: TfliteRefModel(model_bytes)):
        try:
            oracle = make()
            oracle.invoke(zeros)
            return {t: oracle.tensor(t) for t in wanted}
        except (OracleError, RuntimeError, ValueError) as err:
            errors.append(str(err))
    raise TfcError("constant subgraph (e.g. shape arithmetic) could not be evaluated at compile time: "
                   + "; ".join(errors)[:400], "check that the model runs in TFLite Micro")


def fold_constants(g: Graph, model_bytes: bytes, use_oracle: bool = True) -> list[Op]:
    """Fold every foldable op of ``g``: its outputs get their constant values (``Tensor.data``) and
    the op leaves ``g.ops``. Returns the folded ops. Without ``use_oracle`` (subgraphs reached
    through control flow, whose tensors the oracle does not keep) only what numpy evaluates folds."""
    known = {t.index for t in g.tensors if t.is_const}
    folded: list[Op] = []
    for op in g.ops:
        if _foldable(g, op, known):
            folded.append(op)
            known.update(op.outputs)
    if not folded:
        return []
    values: dict[int, np.ndarray] = {}
    need_oracle = False
    kept: list[Op] = []
    for op in folded:
        xs = [values[i] if i in values else g.t(i).data for i in op.inputs if i >= 0]
        fn = NUMPY.get(op.name)
        out = None
        if fn is not None and (op.name in SHAPE_ONLY or all(x is not None for x in xs)):
            try:
                out = fn(g, op, xs)
            except (ValueError, IndexError, ZeroDivisionError, OverflowError):
                out = None
        if out is None or len(out) != len(op.outputs):
            if use_oracle:
                need_oracle = True
                break
            continue  # not folded; ops reading its outputs find no value and stay too
        values.update(zip(op.outputs, out, strict=True))
        kept.append(op)
    if need_oracle:
        values = _from_oracle(g, model_bytes, [o for op in folded for o in op.outputs])
        kept = folded
    for op in kept:
        for o in op.outputs:
            t = g.t(o)
            v = np.asarray(values[o]).astype(DTYPES[t.dtype][0], copy=False)
            if t.shape and int(np.prod(t.shape)) == v.size:
                v = v.reshape(t.shape)
            else:
                t.shape = tuple(v.shape)
            t.data = np.ascontiguousarray(v)
    ids = {id(op) for op in kept}
    g.ops = [op for op in g.ops if id(op) not in ids]
    return kept
