"""Graph-level fusion of lowered ops: CONV_2D followed by its only consumer ADD.

The fused kernel computes the conv's int8 result and feeds it straight into the ADD arithmetic,
so the conv output is never stored (one buffer less at the peak, e.g. ResNet blocks) and the
ADD can run in place on its other operand. Results are identical to the unfused pair.
"""

from __future__ import annotations

from tfcompress.engine.ir import Graph
from tfcompress.engine.lowered import LoweredOp, readers

_SWAP = [("in1_offset", "in2_offset"), ("in1_mult", "in2_mult"), ("in1_shift", "in2_shift")]


def fuse_conv_add(g: Graph, lowered: list[LoweredOp]) -> list[LoweredOp]:
    """Return the op list with every eligible CONV_2D -> ADD pair replaced by one fused op."""
    consumers = readers(lowered)
    produced_at = {t: k for k, lo in enumerate(lowered) for t in lo.outputs}
    fused_adds: set[int] = set()
    out: list[LoweredOp] = []
    for k, lo in enumerate(lowered):
        if id(lo) in fused_adds:
            continue
        t = lo.outputs[0] if lo.outputs else -1
        users = consumers.get(t, [])
        add = users[0] if len(users) == 1 else None
        if (lo.kernel != "tfc_conv2d_s8" or add is None or add.kernel != "tfc_add_s8"
                or t in g.outputs or add.inputs[0] == add.inputs[1] or id(add) in fused_adds):
            out.append(lo)
            continue
        y = g.t(add.outputs[0])
        if any(g.t(i).shape != y.shape for i in add.inputs):
            out.append(lo)  # broadcasting ADD: keep separate
            continue
        fields = dict(add.fields)
        if add.inputs[1] == t:  # make the conv result ADD input 1
            for a, b in _SWAP:
                fields[a], fields[b] = add.fields[b], add.fields[a]
        residual = add.inputs[0] if add.inputs[1] == t else add.inputs[1]
        if produced_at.get(residual, -1) >= k:  # the other operand is computed later: keep the pair
            out.append(lo)
            continue
        name = f"op{add.op.index}_p"
        overlap = dict(lo.overlap)
        overlap[residual] = 0
        out.append(LoweredOp(lo.op, "tfc_conv2d_add_s8", lo.struct, lo.fields, [lo.inputs[0], residual],
                             list(add.outputs), lo.arrays, overlap, pre_args=(f"&{name}",),
                             extra_structs=[(add.struct or "", name, fields)], fused=[add.op]))
        fused_adds.add(id(add))
    return out
