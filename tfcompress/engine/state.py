"""Persistent state: variable tensors and resource variables, laid out in one state area.

TFLite keeps state two ways, and TFLite Micro resets both in ``MicroInterpreter::Reset()``:

* **variable tensors** (``is_variable``: SVDF and LSTM state): read and written in place by their
  op; reset to the tensor's zero point (int8) or to 0 (any other type);
* **resource variables**: ``VAR_HANDLE`` names one (container, shared name); ``ASSIGN_VARIABLE``
  copies a tensor into it, ``READ_VARIABLE`` copies it out; ``CALL_ONCE`` runs an initialisation
  subgraph (usually ``VAR_HANDLE`` + ``ASSIGN_VARIABLE`` of constants) on the first invocation
  after a reset. TFLM sizes a resource by the first ``ASSIGN_VARIABLE`` it prepares (subgraphs in
  order) and resets it by ``memset`` with that tensor's zero point cast to a byte.

Here the initialisation subgraph is evaluated on the host. Before the first inference the
generated ``tfc_model_run`` writes the reset values and then the initial assignments (``init``);
``tfc_model_reset()`` writes the reset values only, because that is what TFLM's ``Reset()`` does:
CALL_ONCE has no reset hook, so after a reset TFLM does not run the initialisation again and the
variables keep their reset fill. ``VAR_HANDLE`` and ``CALL_ONCE`` leave no code; reads and
assignments are copies between the arena and the state area.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tfcompress.engine.fold import fold_constants
from tfcompress.engine.ir import Graph, Op, Tensor
from tfcompress.engine.lowered import ConstArray
from tfcompress.errors import TfcError

ALIGN = 16


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


@dataclass
class Resource:
    """One resource variable: its storage and reset value."""

    key: tuple[str, str]
    bytes: int = 0
    fill: int = 0           # reset byte (TFLM: the first assigned tensor's zero point, as a byte)
    offset: int = 0
    init: np.ndarray | None = None  # value assigned by the CALL_ONCE subgraph (raw bytes)


@dataclass
class StateLayout:
    """Offsets of every state tensor (variable tensors and resource handles) in the state area,
    its size, the C statements that reset it (``reset``) and that run once before the first
    inference after them (``init``: CALL_ONCE), and the constant arrays those read."""

    offsets: dict[int, int] = field(default_factory=dict)
    bytes: int = 0
    reset: list[str] = field(default_factory=list)
    init: list[str] = field(default_factory=list)
    arrays: list[ConstArray] = field(default_factory=list)


def _key(op: Op) -> tuple[str, str]:
    return (str(op.options.get("container") or ""), str(op.options.get("shared_name") or ""))


def _handles(g: Graph) -> dict[int, tuple[str, str]]:
    """Resource tensor -> resource key, for every VAR_HANDLE of ``g``."""
    return {op.outputs[0]: _key(op) for op in g.ops if op.name == "VAR_HANDLE"}


def _fill_byte(t: Tensor) -> int:
    return (t.zero_point & 0xFF) if t.scales else 0


def _resources(g: Graph, model_bytes: bytes) -> dict[tuple[str, str], Resource]:
    """Resources of every subgraph, sized and filled as TFLM's prepare does, with the initial values
    the main graph's CALL_ONCE subgraphs assign."""
    found: dict[tuple[str, str], Resource] = {}
    for sub in g.subgraphs or [g]:
        handles = _handles(sub)
        for op in sub.ops:
            if op.name == "ASSIGN_VARIABLE":
                key = handles.get(op.inputs[0])
                value = sub.t(op.inputs[1])
                if key is not None and key not in found:
                    found[key] = Resource(key, value.nbytes, _fill_byte(value))
            elif op.name == "READ_VARIABLE":
                key = handles.get(op.inputs[0])
                if key is not None and key not in found:
                    found[key] = Resource(key, sub.t(op.outputs[0]).nbytes, 0)
    for op in g.ops:
        if op.name == "CALL_ONCE":
            _run_init(g, op, found, model_bytes)
    return found


def _run_init(g: Graph, call: Op, found: dict[tuple[str, str], Resource], model_bytes: bytes) -> None:
    """Evaluate CALL_ONCE's initialisation subgraph on the host: it may only assign constants
    (after folding) to resource variables."""
    index = int(call.options.get("init_subgraph_index", -1))
    if not 0 < index < len(g.subgraphs):
        raise TfcError(f"CALL_ONCE (#{call.index}) names subgraph {index}, which does not exist",
                       "re-export the model; the .tflite looks corrupt")
    sub = g.subgraphs[index]
    fold_constants(sub, model_bytes)
    handles = _handles(sub)
    for op in sub.ops:
        if op.name == "VAR_HANDLE":
            continue
        if op.name != "ASSIGN_VARIABLE" or op.inputs[0] not in handles or not sub.t(op.inputs[1]).is_const:
            raise TfcError(f"the initialisation subgraph of CALL_ONCE (#{call.index}) runs {op.name}; the engine "
                           "evaluates initialisation subgraphs that assign constants to variables",
                           "initialise variables with constant values, or deploy with the TFLite Micro runtime")
        res = found[handles[op.inputs[0]]]
        data = np.ascontiguousarray(sub.t(op.inputs[1]).data)
        if data.nbytes != res.bytes:
            raise TfcError(f"resource variable '{res.key[1]}' is assigned {data.nbytes} bytes, sized {res.bytes}",
                           "re-export the model")
        res.init = data.reshape(-1).view(np.uint8)


def plan_state(g: Graph, model_bytes: bytes) -> StateLayout:
    """Lay out the state of ``g`` (main subgraph) and the code that resets it."""
    layout = StateLayout()
    offset = 0
    used = {i for op in g.ops for i in op.inputs + op.outputs if i >= 0}
    for t in g.tensors:
        if t.is_variable and t.index in used:
            layout.offsets[t.index] = offset
            layout.reset.append(f"tfc_fill_bytes(s + {offset}, {_fill_byte(t) if t.dtype == 'int8' else 0}, "
                                f"{t.nbytes});")
            offset += _align(t.nbytes)
    if any(op.name in ("VAR_HANDLE", "CALL_ONCE") for op in g.ops):
        resources = _resources(g, model_bytes)
        for res in resources.values():
            res.offset = offset
            offset += _align(res.bytes)
            layout.reset.append(f"tfc_fill_bytes(s + {res.offset}, {res.fill}, {res.bytes});")
        for res in resources.values():
            if res.init is not None:
                arr = ConstArray(f"state{res.offset}_init", res.init.copy())
                layout.arrays.append(arr)
                layout.init.append(f"tfc_copy_bytes({arr.name}, s + {res.offset}, {res.bytes});")
        for t, key in _handles(g).items():
            if key not in resources:
                raise TfcError(f"resource variable '{key[1]}' is never assigned or read",
                               "re-export the model")
            layout.offsets[t] = resources[key].offset
    layout.bytes = offset
    return layout
