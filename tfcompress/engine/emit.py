"""Render model.c / model.h from the lowered ops and the arena plan (Jinja2 templates)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tfcompress import __version__
from tfcompress.engine.ir import DTYPES, Graph, Tensor
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.planner import Plan
from tfcompress.resources import template_env
from tfcompress.textsafe import c_comment

#: longest tensor name kept in a comment of model.c (the op and shape follow it)
NAME_LIMIT = 160


def _c_float(x: float) -> str:
    s = f"{float(np.float32(x)):.9g}"
    if "e" not in s and "." not in s:
        s += ".0"
    return s + "f"


def _array_body(data: np.ndarray, per_line: int = 24) -> str:
    if data.dtype == np.float32:
        flat = [_c_float(float(v)) for v in data.reshape(-1)]
    else:
        flat = [str(int(v)) for v in data.reshape(-1)]
    return "\n".join("    " + ", ".join(flat[i:i + per_line]) + "," for i in range(0, len(flat), per_line))


def _value(v: Any) -> str:
    if isinstance(v, str):  # a C expression (kernel scratch address)
        return v
    if isinstance(v, ConstArray):
        return v.name
    if isinstance(v, (list, tuple)):
        return "{" + ", ".join(str(int(x)) for x in v) + "}"
    if isinstance(v, float):
        return _c_float(v)
    return str(int(v))


def _io(t: Tensor) -> dict[str, Any]:
    return dict(nbytes=t.nbytes, elements=t.elements, dtype_macro=DTYPES[t.dtype][2] or 0,
                ndim=len(t.shape), shape=", ".join(str(d) for d in t.shape) or "1",
                scale=_c_float(t.scale), zero_point=t.zero_point)


def _call(g: Graph, lo: LoweredOp, plan: Plan) -> str:
    args = [f"&{lo.param_name}"] if lo.struct else []
    args += list(lo.pre_args)
    ins = []
    for i, t in enumerate(lo.inputs):
        ct = lo.in_ctypes[min(i, len(lo.in_ctypes) - 1)]
        ins.append(f"(const {ct} *)(a + {plan.offsets[t]})")
    if lo.inputs_as_array:
        ct = lo.in_ctypes[0]
        prefix = f"{{ const {ct} *const ins[{len(ins)}] = {{{', '.join(ins)}}}; "
        args.append("ins")
    else:
        prefix = ""
        args += ins
    for t in lo.outputs:
        args.append(f"({lo.out_ctype} *)(a + {plan.offsets[t]})")
    args += list(lo.extra_args)
    if lo.alias and all(plan.offsets[t] == plan.offsets[lo.inputs[0]] for t in lo.outputs):
        return f"/* {c_comment(lo.op.name)}: output aliases its input, nothing to do */"
    return f"{prefix}{lo.kernel}({', '.join(args)});" + (" }" if prefix else "")


def render(g: Graph, lowered: list[LoweredOp], plan: Plan, source_name: str) -> tuple[str, str]:
    """Return (model.c, model.h) source text."""
    arrays = [dict(ctype=a.ctype, name=a.name, length=a.data.size, body=_array_body(a.data))
              for lo in lowered for a in lo.arrays]
    params, calls = [], []
    for k, lo in enumerate(lowered):
        out = g.t(lo.outputs[0])
        # names come from the .tflite: comment text only (the template escapes the whole line again)
        desc = f"#{lo.op.index} {c_comment(lo.op.name)} -> '{c_comment(out.name, NAME_LIMIT)}' {list(out.shape)}"
        if lo.fused:
            desc += " (fused with " + ", ".join(f"#{f.index} {c_comment(f.name)}" for f in lo.fused) + ")"
        fields = dict(lo.fields)
        if k in plan.scratch_offsets and lo.struct:
            fields["scratch"] = f"(void *)(tfc_arena + {plan.scratch_offsets[k]})"
        structs = ([(lo.struct, lo.param_name, fields)] if lo.struct else []) + lo.extra_structs
        for struct, name, fields in structs:
            body = "\n".join(f"    .{k} = {_value(v)}," for k, v in fields.items())
            params.append(dict(struct=struct, name=name, body=body, comment=desc))
        calls.append(dict(code=_call(g, lo, plan), comment=desc))
    x, y = g.t(g.inputs[0]), g.t(g.outputs[0])
    ctx = dict(version=__version__, source_name=source_name, model_hash=g.model_hash,
               n_ops=len(lowered), arena_bytes=plan.arena_bytes, arena_alloc=max(plan.arena_bytes, 4),
               weights_bytes=sum(a.nbytes for lo in lowered for a in lo.arrays),
               input=_io(x), output=_io(y), input_offset=plan.offsets[x.index],
               output_offset=plan.offsets[y.index], arrays=arrays, params=params, calls=calls)
    env = template_env()
    return env.get_template("engine/model.c.j2").render(**ctx), env.get_template("engine/model.h.j2").render(**ctx)
