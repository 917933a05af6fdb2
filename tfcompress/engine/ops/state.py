"""Lowering of the resource-variable ops (see :mod:`tfcompress.engine.state` for the layout):
reads and assignments are copies between the arena and the state area; VAR_HANDLE and CALL_ONCE
leave no code (their work is done by the layout and ``tfc_model_reset``)."""

from __future__ import annotations

from tfcompress.engine.ir import Graph, Op
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.ops.common import out_name
from tfcompress.errors import TfcError


def lower_nothing(g: Graph, op: Op) -> None:
    """VAR_HANDLE, CALL_ONCE: nothing to run."""
    return None


def _copy(op: Op, src: int, dst: int, nbytes: int) -> LoweredOp:
    return LoweredOp(op, "tfc_copy_bytes", None, {}, [src], [dst], in_ctypes=("void",), out_ctype="void",
                     extra_args=(str(nbytes),))


def lower_read_variable(g: Graph, op: Op) -> LoweredOp:
    """READ_VARIABLE: the variable's value into the arena."""
    handle, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if handle.dtype != "resource":
        raise TfcError(f"READ_VARIABLE '{out_name(g, op)}' reads tensor '{handle.name}', not a resource",
                       "re-export the model")
    return _copy(op, handle.index, y.index, y.nbytes)


def lower_assign_variable(g: Graph, op: Op) -> LoweredOp:
    """ASSIGN_VARIABLE: a tensor into the variable's storage."""
    handle, x = g.t(op.inputs[0]), g.t(op.inputs[1])
    if handle.dtype != "resource":
        raise TfcError(f"ASSIGN_VARIABLE writes tensor '{handle.name}', not a resource", "re-export the model")
    return LoweredOp(op, "tfc_copy_bytes", None, {}, [x.index], [handle.index], in_ctypes=("void",),
                     out_ctype="void", extra_args=(str(x.nbytes),))
