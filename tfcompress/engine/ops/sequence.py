"""Lowering of the stateful sequence ops, SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM (integer, as TFLite
Micro computes them). Their state is a variable tensor in the state area (engine/state.py, reset as
TFLM resets it); the kernel reads and updates it through its input pointer."""

from __future__ import annotations

import numpy as np

from tfcompress.engine.ir import Graph, Op, Tensor
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.ops.common import out_name
from tfcompress.engine.quant import quantize_multiplier
from tfcompress.errors import TfcError

_CTYPES = {"int8": "int8_t", "int16": "int16_t", "int32": "int32_t", "int64": "int64_t"}


def _fail(g: Graph, op: Op, what: str, fix: str = "re-export the model") -> TfcError:
    return TfcError(f"{op.name} '{out_name(g, op)}': {what}", fix)


def _input(g: Graph, op: Op, pos: int) -> Tensor | None:
    return g.t(op.inputs[pos]) if pos < len(op.inputs) and op.inputs[pos] >= 0 else None


def _f32(x: float) -> np.float32:
    return np.float32(x)


def lower_svdf(g: Graph, op: Op) -> LoweredOp:
    """SVDF (int8 input and output, int8 feature weights, int8 or int16 time weights and state)."""
    x, wf, wt, bias, st = (_input(g, op, k) for k in range(5))
    y = g.t(op.outputs[0])
    if x is None or wf is None or wt is None or st is None:
        raise _fail(g, op, "needs input, feature weights, time weights and the activation state")
    if x.dtype != "int8" or y.dtype != "int8" or wf.dtype != "int8":
        raise _fail(g, op, f"input/feature weights/output are {x.dtype}/{wf.dtype}/{y.dtype}; the engine "
                    "runs the integer SVDF (int8)", "convert with --mode int8 (full integer quantisation)")
    if wt.dtype not in ("int8", "int16") or st.dtype != wt.dtype:
        raise _fail(g, op, f"time weights {wt.dtype} and state {st.dtype}: TFLM reads the state as the time "
                    "weights' type (int8 or int16)", "quantise the time weights and the state alike")
    if not st.is_variable:
        raise _fail(g, op, f"the activation state '{st.name}' is not a variable tensor")
    if not wf.is_const or not wt.is_const or (bias is not None and not bias.is_const):
        raise _fail(g, op, "the weights must be constants", "freeze the weights before converting")
    if bias is not None and bias.dtype != "int32":
        raise _fail(g, op, f"bias is {bias.dtype}, TFLM's integer SVDF needs int32")
    rank = int(op.options.get("rank", 1) or 1)
    if len(x.shape) != 2 or len(wf.shape) != 2 or len(wt.shape) != 2:
        raise _fail(g, op, "input and weights must be 2-D")
    batches, input_size = x.shape
    filters, memory = wt.shape
    if wf.shape != (filters, input_size) or filters % rank or y.elements != batches * (filters // rank) \
            or st.elements != batches * filters * memory:
        raise _fail(g, op, f"shapes do not match (input {list(x.shape)}, weights {list(wf.shape)} / "
                    f"{list(wt.shape)}, rank {rank}, state {list(st.shape)}, output {list(y.shape)})")
    # TFLM: the effective scales are float32 products and quotients, then QuantizeMultiplier(double)
    s1 = float(_f32(_f32(x.scale) * _f32(wf.scale)) / _f32(st.scale))
    s2 = float(_f32(_f32(st.scale) * _f32(wt.scale)) / _f32(y.scale))
    m1, sh1 = quantize_multiplier(s1)
    m2, sh2 = quantize_multiplier(s2)
    info = np.iinfo(np.int8 if st.dtype == "int8" else np.int16)
    fields = dict(batches=batches, input_size=input_size, filters=filters, rank=rank, memory=memory,
                  units=filters // rank, in_zp=x.zero_point, state_zp=st.zero_point, out_zp=y.zero_point,
                  state_min=int(info.min), state_max=int(info.max), mult1=m1, shift1=sh1, mult2=m2, shift2=sh2)
    ct = _CTYPES[st.dtype]
    kernel = "tfc_svdf_s8_s8" if st.dtype == "int8" else "tfc_svdf_s8_s16"
    ins = [x.index, wf.index, wt.index, bias.index if bias is not None else -1, st.index]
    return LoweredOp(op, kernel, "tfc_svdf_params", fields, ins, [y.index],
                     in_ctypes=("int8_t", "int8_t", ct, "int32_t", ct))
