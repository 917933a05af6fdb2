"""Render model.c / model.h from the lowered ops and the memory layout (Jinja2 templates).

Every tensor an op reads or writes lives in one of three places (:class:`Layout`): the static
activation arena, the persistent state area (variable tensors, resource variables) or flash
(a constant operand, emitted once as a ``const`` array). ``ref()`` turns a tensor into the C
expression of its address.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tfcompress import __version__
from tfcompress.engine.ir import DTYPES, Graph, Tensor
from tfcompress.engine.lowered import CTYPES, ConstArray, LoweredOp, walk
from tfcompress.engine.planner import Plan
from tfcompress.resources import template_env
from tfcompress.textsafe import c_comment

#: largest rank of a model input/output in the generated tensor table
IO_MAX_DIMS = 6
#: longest tensor name kept in a comment of model.c (the op and shape follow it)
NAME_LIMIT = 160


@dataclass
class Layout:
    """Where each tensor lives: ``plan`` (arena offsets), ``state`` (offsets in the state area),
    ``consts`` (flash arrays of constant operands); ``reset`` is the C code that puts the state
    area into its reset value (TFLM's ``Reset()``), ``init`` what runs after it before the first
    inference (CALL_ONCE), both reading ``arrays``."""

    plan: Plan
    state: dict[int, int] = field(default_factory=dict)
    state_bytes: int = 0
    consts: dict[int, ConstArray] = field(default_factory=dict)
    reset: list[str] = field(default_factory=list)
    init: list[str] = field(default_factory=list)
    arrays: list[ConstArray] = field(default_factory=list)  # flash data of the reset / init code
    views: dict[int, dict[str, Any]] = field(default_factory=dict)  # control op -> its subgraph views

    def ref(self, index: int) -> str:
        """C expression (``int8_t *`` or const array name) of tensor ``index``'s storage."""
        if index in self.consts:
            return self.consts[index].name
        if index in self.state:
            return f"(s + {self.state[index]})"
        return f"(a + {self.plan.offsets[index]})"


def c_float(x: float) -> str:
    """A float32 C literal that reproduces ``x`` exactly."""
    v = float(np.float32(x))
    if not np.isfinite(v):
        return "(1.0f / 0.0f)" if v > 0 else ("(-1.0f / 0.0f)" if v < 0 else "(0.0f / 0.0f)")
    s = f"{v:.9g}"
    if "e" not in s and "." not in s:
        s += ".0"
    return s + "f"


def _literal(v: Any, dtype: np.dtype) -> str:
    if dtype == np.float32:
        return c_float(float(v))
    if dtype == np.bool_:
        return "1" if v else "0"
    iv = int(v)
    if dtype == np.int64 and not -(2**31) <= iv < 2**31:
        return f"{iv}LL" if iv != -(2**63) else "(-9223372036854775807LL - 1)"
    if dtype == np.int32 and iv == -(2**31):
        return "(-2147483647 - 1)"
    return str(iv)


#: integer types whose every value prints as str(int) (int32's one exception handled in _array_body)
_PLAIN_INTS = (np.int8, np.uint8, np.int16, np.uint16, np.int32)


def _array_body(data: np.ndarray, per_line: int = 24) -> str:
    if data.dtype in _PLAIN_INTS:  # _literal's result, without a call per element
        flat = [str(v) if v != -(2**31) else "(-2147483647 - 1)" for v in data.reshape(-1).tolist()]
    else:
        flat = [_literal(v, data.dtype) for v in data.reshape(-1)]
    return "\n".join("    " + ", ".join(flat[i:i + per_line]) + "," for i in range(0, len(flat), per_line))


def _value(v: Any) -> str:
    if isinstance(v, str):  # a C expression (kernel scratch address, tensor address)
        return v
    if isinstance(v, ConstArray):
        return v.name
    if isinstance(v, (list, tuple)):
        return "{" + ", ".join(_value(x) if isinstance(x, (str, float)) else str(int(x)) for x in v) + "}"
    if isinstance(v, float):
        return c_float(v)
    return str(int(v))


def _io(t: Tensor, offset_expr: str) -> dict[str, Any]:
    shape = list(t.shape) or [1]
    return dict(nbytes=t.nbytes, elements=t.elements, dtype_code=DTYPES[t.dtype][2], dtype=t.dtype,
                ndim=len(t.shape), shape=", ".join(str(d) for d in shape),
                shape_padded=", ".join(str(d) for d in (shape + [0] * IO_MAX_DIMS)[:IO_MAX_DIMS]),
                scale=c_float(t.scale), zero_point=t.zero_point, ref=offset_expr)


def _copies(g: Graph, layout: Layout, src: list[int], dst: list[int]) -> list[str]:
    """Byte copies tensor by tensor (TFLM's CopyOpInputsToSubgraphInputs and friends)."""
    return [f"tfc_copy_bytes({layout.ref(a)}, {layout.ref(b)}, {g.t(b).nbytes});"
            for a, b in zip(src, dst, strict=True) if layout.ref(a) != layout.ref(b)]


def _body(g: Graph, ops: list[LoweredOp], layout: Layout) -> list[str]:
    lines = []
    for lo in ops:
        lines.append(f"/* {c_comment(_describe(g, lo))} */")
        lines += _call(g, lo, layout).split("\n")
    return lines


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def _control(g: Graph, lo: LoweredOp, layout: Layout, views: dict[str, Any]) -> str:
    """The C control structure of IF / WHILE around its subgraphs' calls (engine/control.py)."""
    if lo.kernel == "if":
        cond, args = lo.inputs[0], lo.inputs[1:]
        lines = [f"if (*(const uint8_t *){layout.ref(cond)}) {{"]
        for role, head in (("then", None), ("else", "} else {")):
            if head:
                lines.append(head)
            sub = views[role]
            lines += _indent(_copies(g, layout, args, sub.inputs) + _body(g, lo.bodies[role], layout)
                             + _copies(g, layout, sub.outputs, lo.outputs))
        return "\n".join(lines + ["}"])
    cond, body = views["cond"], views["body"]
    flag = f"*(const uint8_t *){layout.ref(cond.outputs[0])}"
    run_cond = _body(g, lo.bodies["cond"], layout)
    lines = ["{"] + _indent(_copies(g, layout, lo.inputs, cond.inputs) + _copies(g, layout, lo.inputs, lo.outputs)
                            + run_cond + [f"while ({flag}) {{"]
                            + _indent(_copies(g, layout, lo.outputs, body.inputs) + _body(g, lo.bodies["body"], layout)
                                      + _copies(g, layout, body.outputs, lo.outputs)
                                      + _copies(g, layout, lo.outputs, cond.inputs) + run_cond)
                            + ["}"]) + ["}"]
    return "\n".join(lines)


def _call(g: Graph, lo: LoweredOp, layout: Layout) -> str:
    if lo.bodies:
        return _control(g, lo, layout, layout.views[lo.op.index])
    args = [f"&{lo.param_name}"] if lo.struct else []
    args += list(lo.pre_args)
    ins = []
    for i, t in enumerate(lo.inputs):
        ct = lo.in_ctypes[min(i, len(lo.in_ctypes) - 1)]
        ins.append("0" if t < 0 else f"(const {ct} *){layout.ref(t)}")
    if lo.inputs_as_array:
        ct = lo.in_ctypes[0]
        prefix = f"{{ const {ct} *const ins[{len(ins)}] = {{{', '.join(ins)}}}; "
        args.append("ins")
    else:
        prefix = ""
        args += ins
    outs = [f"({lo.out_ctype} *){layout.ref(t)}" for t in lo.outputs]
    if lo.outputs_as_array:
        arr = f"{lo.out_ctype} *const outs[{len(outs)}] = {{{', '.join(outs)}}}; "
        prefix = (prefix or "{ ") + arr
        args.append("outs")
    else:
        args += outs
    args += list(lo.extra_args)
    if lo.alias and all(layout.ref(t) == layout.ref(lo.inputs[0]) for t in lo.outputs):
        return f"/* {c_comment(lo.op.name)}: output aliases its input, nothing to do */"
    call = f"{lo.kernel}({', '.join(args)})"
    stmt = f"if ({call} != 0) return 1;" if lo.returns_status else f"{call};"
    return f"{prefix}{stmt}" + (" }" if prefix else "")


def _describe(g: Graph, lo: LoweredOp) -> str:
    """The op's comment line in model.c; names come from the .tflite, so they are comment text only
    (the template escapes the whole line again)."""
    out = g.t(lo.outputs[0]) if lo.outputs else None
    desc = f"#{lo.op.index} {c_comment(lo.op.name)}"
    if out is not None:
        desc += f" -> '{c_comment(out.name, NAME_LIMIT)}' {list(out.shape)}"
    if lo.fused:
        desc += " (fused with " + ", ".join(f"#{f.index} {c_comment(f.name)}" for f in lo.fused) + ")"
    return desc


def _io_copy(layout: Layout, t: Tensor, external: str, to_model: bool) -> str:
    here = layout.ref(t.index)
    if to_model:
        return f"tfc_copy_bytes({external}, {here}, {t.nbytes});"
    return f"tfc_copy_bytes({here}, {external}, {t.nbytes});"


def render(g: Graph, lowered: list[LoweredOp], layout: Layout, source_name: str) -> tuple[str, str]:
    """Return (model.c, model.h) source text."""
    plan = layout.plan
    all_arrays = list(layout.consts.values()) + layout.arrays + [a for lo in walk(lowered) for a in lo.arrays]
    arrays = [dict(ctype=a.ctype, name=a.name, length=max(a.data.size, 1),
                   body=_array_body(a.data if a.data.size else np.zeros(1, a.data.dtype)))
              for a in all_arrays]
    params, calls = [], []
    position = {id(lo): k for k, lo in enumerate(lowered)}
    for lo in walk(lowered):
        desc = _describe(g, lo)
        fields = dict(lo.fields)
        k = position.get(id(lo))
        if k in plan.scratch_offsets and lo.struct:
            fields["scratch"] = f"(void *)(tfc_arena + {plan.scratch_offsets[k]})"
        structs = lo.extra_structs + ([(lo.struct, lo.param_name, fields)] if lo.struct else [])  # theirs first: a
        # driver's block points to them
        for struct, name, fields in structs:
            body = "\n".join(f"    .{key} = {_value(v)}," for key, v in fields.items())
            params.append(dict(struct=struct, name=name, body=body, comment=desc))
    for lo in lowered:
        code = _call(g, lo, layout).replace("\n", "\n    ")
        calls.append(dict(code=code, comment=_describe(g, lo)))
    inputs = [_io(g.t(i), layout.ref(i)) for i in g.inputs]
    outputs = [_io(g.t(i), layout.ref(i)) for i in g.outputs]
    copy_in = [_io_copy(layout, g.t(i), f"inputs[{k}]", True) for k, i in enumerate(g.inputs)]
    copy_out = [_io_copy(layout, g.t(i), f"outputs[{k}]", False) for k, i in enumerate(g.outputs)]
    ctx = dict(version=__version__, source_name=source_name, model_hash=g.model_hash,
               n_ops=len(lowered), arena_bytes=plan.arena_bytes, arena_alloc=max(plan.arena_bytes, 4),
               state_bytes=layout.state_bytes, state_alloc=max(layout.state_bytes, 4),
               stateful=bool(layout.state_bytes or layout.reset), reset=layout.reset, init=layout.init,
               weights_bytes=sum(a.nbytes for a in all_arrays), inputs=inputs, outputs=outputs,
               copy_in=copy_in, copy_out=copy_out, io_max_dims=IO_MAX_DIMS,
               inputs_bytes=sum(t["nbytes"] for t in inputs), outputs_bytes=sum(t["nbytes"] for t in outputs),
               arrays=arrays, params=params, calls=calls)
    env = template_env()
    return env.get_template("engine/model.c.j2").render(**ctx), env.get_template("engine/model.h.j2").render(**ctx)


__all__ = ["CTYPES", "IO_MAX_DIMS", "Layout", "c_float", "render"]
