"""Op order before fusion: a residual ADD's shortcut conv runs late.

A ResNet block with a conv shortcut (``y = ADD(conv_b(conv_a(x)), conv_s(x))``) is converted with
the shortcut last, so the block input ``x`` lives through the whole main branch and the fused
CONV_2D+ADD is the 1x1 shortcut. :func:`late_shortcuts` moves the shortcut conv to just before the
main branch's last conv: ``x`` dies at the shortcut, and the ADD then fuses into the main branch's
last conv (``fusion.py``), which writes its result in place over the shortcut's output. At the
main conv the live tensors are its input and the shortcut's output (the ADD's shape) instead of
``x``, its input and its output, never more; its kernel scratch (e.g. decoded weight blocks, which
are large) then sits on fewer live bytes. Results are identical (the same ops, the ADD's operands
swapped with their parameters, as fusion does)."""

from __future__ import annotations

from tfcompress.engine.ir import Graph
from tfcompress.engine.lowered import LoweredOp, readers

#: kernels of the two ADD operands' producers this applies to (plain convs, before fusion)
CONV = "tfc_conv2d_s8"
ADD = "tfc_add_s8"


def late_shortcuts(g: Graph, lowered: list[LoweredOp]) -> list[LoweredOp]:
    """``lowered`` with each ADD's later conv operand moved to just before its earlier conv operand
    where both are plain convs used only by the ADD, of the ADD's shape, and the moved conv reads
    nothing computed at or after its new place (see the module docstring)."""
    out = list(lowered)
    users = readers(lowered)
    for add in lowered:
        if add.kernel != ADD or len(add.inputs) != 2 or add.inputs[0] == add.inputs[1]:
            continue
        pos = {t: k for k, lo in enumerate(out) for t in lo.outputs}
        if any(t not in pos or len(users.get(t, [])) != 1 or t in g.outputs for t in add.inputs):
            continue
        if any(g.t(t).shape != g.t(add.outputs[0]).shape for t in add.inputs):
            continue
        early, late = sorted(pos[t] for t in add.inputs)
        a, s = out[early], out[late]
        if a.kernel != CONV or s.kernel != CONV or s.bodies:
            continue
        if any(pos.get(t, -1) >= early for t in s.inputs):
            continue
        out.insert(early, out.pop(late))
    return out
