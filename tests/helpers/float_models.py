"""Small float32 models written straight into flatbuffers (the corpus's FlatModel): one op, or
several ops reading the same inputs into one output each. Used by the float-island tests."""

from __future__ import annotations

import numpy as np

from tests.corpus.families.handmade import FlatModel

__all__ = ["FlatModel", "many_ops", "one_op"]


def _options(m: FlatModel, name: str | None, **fields) -> tuple:
    if name is None:
        return None, "NONE"
    obj = getattr(m.fb, name + "T")()
    for k, v in fields.items():
        setattr(obj, k, v)
    return obj, name


def one_op(op: str, in_shapes: list[list[int]], out_shape: list[int], *, options: tuple = (None,),
           out_dtype: str = "float32", consts: dict[int, np.ndarray] | None = None) -> bytes:
    """A float32 model: inputs (or constants at the given positions) -> op -> output."""
    m = FlatModel()
    ins, live = [], []
    for k, shape in enumerate(in_shapes):
        if consts and k in consts:
            c = consts[k]
            ins.append(m.tensor(f"c{k}", list(c.shape), "int32" if c.dtype == np.int32 else "float32", data=c))
        else:
            ins.append(m.tensor(f"x{k}", shape, "float32"))
            live.append(ins[-1])
    y = m.tensor("y", out_shape, out_dtype)
    name, *fields = options
    m.op(op, ins, [y], *_options(m, name, **(fields[0] if fields else {})))
    return m.finish(live, [y])


def many_ops(in_shapes: list[list[int]], ops: list[tuple], out_dtype: str = "float32") -> bytes:
    """A float32 model: inputs -> several ops, each reading them (plus its constants) into its own
    output. ``ops``: (output name, op, options tuple, {position: constant}, output shape)."""
    m = FlatModel()
    xs = [m.tensor(f"x{k}", s, "float32") for k, s in enumerate(in_shapes)]
    outs = []
    for name, op, opts, consts, shape in ops:
        ins, live = [], iter(xs)
        for k in range(len(xs) + len(consts)):
            if k in consts:
                c = consts[k]
                ins.append(m.tensor(f"{name}_c{k}", list(c.shape), "int32" if c.dtype == np.int32 else "float32",
                                    data=c))
            else:
                ins.append(next(live))
        outs.append(m.tensor(name, shape, out_dtype))
        opt_name, *fields = opts
        m.op(op, ins, [outs[-1]], *_options(m, opt_name, **(fields[0] if fields else {})))
    return m.finish(xs, outs)
