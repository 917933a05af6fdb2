"""Control flow: IF and WHILE run other subgraphs of the model.

The subgraphs an IF or WHILE reaches are *flattened* into the main graph (:func:`flatten`): their
tensors are appended to the main tensor list and their ops renumbered, so every tensor of the
model has one global index and one place in the memory layout. The control op's lowering names
the subgraphs it runs (``LoweredOp.subgraphs``); the compiler lowers them into
``LoweredOp.bodies`` and the emitter writes the C control structure around their calls, copying
tensors between the op and its subgraphs exactly as TFLite Micro does (``if.cc``, ``while.cc``):

* IF: inputs 1.. copied to the chosen branch's inputs, the branch runs, its outputs are copied to
  the IF's outputs;
* WHILE: inputs copied to the condition's inputs and to the WHILE's outputs (the loop variables);
  the condition runs; while its boolean output is true: loop variables -> body inputs, body runs,
  body outputs -> loop variables, loop variables -> condition inputs, condition runs.

For memory planning, every tensor of a flattened subgraph lives during its control op's step
(they never share memory with each other), and the loop variables are the WHILE's own outputs.
"""

from __future__ import annotations

import dataclasses

from tfcompress.engine.ir import Graph, Op
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.ops.common import out_name
from tfcompress.errors import TfcError

#: control op -> its subgraph roles and the option naming each
ROLES: dict[str, dict[str, str]] = {
    "IF": {"then": "then_subgraph_index", "else": "else_subgraph_index"},
    "WHILE": {"cond": "cond_subgraph_index", "body": "body_subgraph_index"},
}


def _subgraph_indices(g: Graph, op: Op) -> dict[str, int]:
    out = {}
    for role, key in ROLES[op.name].items():
        index = int(op.options.get(key, -1))
        if not 0 < index < len(g.subgraphs):
            raise TfcError(f"{op.name} '{out_name(g, op)}' names subgraph {index}, which does not exist",
                           "re-export the model; the .tflite looks corrupt")
        out[role] = index
    return out


def flatten(g: Graph) -> dict[int, Graph]:
    """Append the tensors of every subgraph reached from ``g``'s control ops (recursively) to
    ``g.tensors`` and return, per subgraph index, a view of it with global tensor indices and op
    indices continuing after the main graph's (so generated names stay unique)."""
    views: dict[int, Graph] = {}
    next_op = max((op.index for op in g.ops), default=-1) + 1

    def view(index: int, stack: tuple[int, ...]) -> None:
        nonlocal next_op
        if index in views:
            return
        if index in stack:
            raise TfcError(f"subgraph {index} runs itself (recursion)", "TFLite Micro cannot run it either")
        sub = g.subgraphs[index]
        offset = len(g.tensors)
        for t in sub.tensors:
            g.tensors.append(dataclasses.replace(t, index=t.index + offset))

        def remap(ids: list[int]) -> list[int]:
            return [i + offset if i >= 0 else -1 for i in ids]

        ops = []
        for op in sub.ops:
            ops.append(Op(next_op, op.name, dict(op.options), remap(op.inputs), remap(op.outputs),
                          remap(op.intermediates)))
            next_op += 1
        views[index] = Graph(g.tensors, ops, remap(sub.inputs), remap(sub.outputs), g.model_hash, g.subgraphs)
        for op in ops:
            if op.name in ROLES:
                for child in _subgraph_indices(g, op).values():
                    view(child, (*stack, index))

    for op in g.ops:
        if op.name in ROLES:
            for index in _subgraph_indices(g, op).values():
                view(index, (0,))
    return views


def _check_wiring(g: Graph, op: Op, views: dict[str, Graph], n_in: int) -> None:
    for role, sub in views.items():
        want_out = 1 if role == "cond" else len(op.outputs)
        if len(sub.inputs) != n_in or len(sub.outputs) != want_out:
            raise TfcError(f"{op.name} '{out_name(g, op)}': its {role} subgraph takes {len(sub.inputs)} inputs "
                           f"and gives {len(sub.outputs)} outputs, the op has {n_in} and {want_out}",
                           "re-export the model; the .tflite looks corrupt")
        for a, b in zip(sub.inputs, op.inputs[len(op.inputs) - n_in:], strict=True):
            if g.t(a).nbytes != g.t(b).nbytes:
                raise TfcError(f"{op.name} '{out_name(g, op)}': subgraph input '{g.t(a).name}' has "
                               f"{g.t(a).nbytes} bytes, the op's input '{g.t(b).name}' {g.t(b).nbytes}",
                               "give every loop variable and branch input a static shape")


def lower_if(g: Graph, op: Op) -> LoweredOp:
    """IF(cond, inputs...): runs the then or else subgraph."""
    cond = g.t(op.inputs[0])
    if cond.dtype != "bool" or cond.elements != 1:
        raise TfcError(f"IF '{out_name(g, op)}': the condition is {cond.dtype} {list(cond.shape)}",
                       "the condition must be one bool")
    subs = _subgraph_indices(g, op)
    return LoweredOp(op, "if", None, {}, list(op.inputs), list(op.outputs), subgraphs=subs)


def lower_while(g: Graph, op: Op) -> LoweredOp:
    """WHILE(inputs...): loop variables through the cond and body subgraphs."""
    if len(op.inputs) != len(op.outputs):
        raise TfcError(f"WHILE '{out_name(g, op)}' has {len(op.inputs)} inputs and {len(op.outputs)} outputs",
                       "re-export the model; the .tflite looks corrupt")
    subs = _subgraph_indices(g, op)
    return LoweredOp(op, "while", None, {}, list(op.inputs), list(op.outputs), subgraphs=subs)


def check(g: Graph, lo: LoweredOp, views: dict[int, Graph]) -> None:
    """The subgraphs of a control op take and give what the op passes (TFLM's prepare checks)."""
    subs = {role: views[index] for role, index in lo.subgraphs.items()}
    n_in = len(lo.op.inputs) - (1 if lo.op.name == "IF" else 0)
    _check_wiring(g, lo.op, subs, n_in)
    if lo.op.name == "WHILE" and g.t(subs["cond"].outputs[0]).dtype != "bool":
        raise TfcError(f"WHILE '{out_name(g, lo.op)}': the condition subgraph does not return a bool",
                       "re-export the model")
