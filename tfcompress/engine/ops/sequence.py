"""Lowering of the stateful sequence ops, SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM (integer, as TFLite
Micro computes them). Their state is a variable tensor in the state area (engine/state.py, reset as
TFLM resets it); the kernel reads and updates it through its input pointer."""

from __future__ import annotations

import numpy as np

from tfcompress.engine.fixedpoint import SIGMOID_TABLE_U16
from tfcompress.engine.ir import Graph, Op, Tensor
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.ops.common import out_name
from tfcompress.engine.quant import quantize_multiplier, wrap_i32
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


#: TFLM's fixed scales of the integer LSTM: gate pre-activations Q3.12, gate outputs Q0.15
_GATE_IN_SCALE = float(np.float32(2.0 ** -12))
_GATE_OUT_SCALE = float(np.float32(2.0 ** -15))
#: input tensor positions of the gates' input weights, recurrent weights, biases (input, forget, cell, output)
_W_IN, _W_REC, _BIAS = (1, 2, 3, 4), (5, 6, 7, 8), (12, 13, 14, 15)
_UNSUPPORTED = {(9, 10, 11): "peephole connections", (16, 17): "a projection layer",
                (20, 21, 22, 23): "layer normalisation"}


def _log2_rounded(x: float) -> int:
    """TFLM's CheckedLog2: float32 log(x) / log(2), rounded half away from zero."""
    v = np.float32(np.log(np.float32(x))) * np.float32(np.float32(1.0) / np.float32(np.log(np.float32(2.0))))
    return int(np.sign(v) * np.floor(np.abs(v) + np.float32(0.5)))


def _lstm_tensors(g: Graph, op: Op) -> tuple[Tensor, Tensor, Tensor, Tensor, dict[int, Tensor]]:
    """Input, hidden state, cell state, output and the weight/bias tensors of an LSTM TFLM can run."""
    if len(op.inputs) != 24:
        raise _fail(g, op, f"has {len(op.inputs)} inputs; TFLM's LSTM takes 24")
    for positions, what in _UNSUPPORTED.items():
        if any(op.inputs[k] >= 0 for k in positions):
            raise _fail(g, op, f"uses {what}, which TFLite Micro's LSTM does not support",
                        "use a plain Keras LSTM layer, or deploy with the TensorFlow Lite runtime")
    x, h, c, y = _input(g, op, 0), _input(g, op, 18), _input(g, op, 19), g.t(op.outputs[0])
    tensors = {k: _input(g, op, k) for k in _W_IN + _W_REC + _BIAS}
    if x is None or h is None or c is None or any(t is None for t in tensors.values()):
        raise _fail(g, op, "lacks input, state, weight or bias tensors (CIFG LSTMs without input-gate "
                    "weights are not supported by TFLite Micro)", "use a plain Keras LSTM layer")
    act = x.dtype
    if act not in ("int8", "int16") or h.dtype != act or y.dtype != act or c.dtype != "int16":
        raise _fail(g, op, f"input/hidden/output/cell are {x.dtype}/{h.dtype}/{y.dtype}/{c.dtype}; the integer "
                    "LSTM needs int8 (or int16) activations and an int16 cell state",
                    "convert with --mode int8 (full integer quantisation)")
    if not (h.is_variable and c.is_variable):
        raise _fail(g, op, "the hidden and cell states must be variable tensors")
    bias_type = "int32" if act == "int8" else "int64"
    for k, t in tensors.items():
        if not t.is_const:
            raise _fail(g, op, f"'{t.name}' is not a constant", "freeze the weights before converting")
        want = bias_type if k in _BIAS else "int8"
        if t.dtype != want or (k not in _BIAS and (t.per_channel or any(t.zero_points))):
            raise _fail(g, op, f"tensor '{t.name}' is {t.dtype}{' per-channel' if t.per_channel else ''}; "
                        f"TFLM's LSTM needs per-tensor symmetric int8 weights and {bias_type} biases",
                        "convert with the default LSTM quantisation")
    if len(x.shape) != 3 or len(y.shape) != 3:
        raise _fail(g, op, "input and output must be 3-D")
    return x, h, c, y, tensors  # type: ignore[return-value]


def lower_lstm(g: Graph, op: Op) -> LoweredOp:
    """UNIDIRECTIONAL_SEQUENCE_LSTM: int8 (or int16) activations, int8 per-tensor weights, int16 cell
    state, tanh cell gate, cell clipping, time-major or batch-major."""
    x, h, c, y, tensors = _lstm_tensors(g, op)
    act = x.dtype
    time_major = bool(op.options.get("time_major"))
    steps, batches = (x.shape[0], x.shape[1]) if time_major else (x.shape[1], x.shape[0])
    n_in, n_cell = x.shape[2], tensors[_W_IN[0]].shape[0]
    for k in _W_IN + _W_REC + _BIAS:
        want = (n_cell, n_in) if k in _W_IN else (n_cell, n_cell) if k in _W_REC else (n_cell,)
        if tuple(tensors[k].shape) != want:
            raise _fail(g, op, f"tensor '{tensors[k].name}' is {list(tensors[k].shape)}, expected {list(want)}")
    if h.elements != batches * n_cell or c.elements != batches * n_cell or tuple(y.shape[:2]) != tuple(x.shape[:2]) \
            or y.shape[2] != n_cell:
        raise _fail(g, op, f"state/output shapes do not match (input {list(x.shape)}, output {list(y.shape)}, "
                    f"hidden {list(h.shape)}, cell {list(c.shape)})")
    activation = int(op.options.get("fused_activation_function", 0))
    if activation != 4:  # TANH: TFLM's integer LSTM leaves any other cell gate activation unapplied
        raise _fail(g, op, f"cell gate activation {activation}: TFLite Micro's integer LSTM computes tanh only",
                    "use activation='tanh' in the LSTM layer")
    wide = np.int32 if act == "int8" else np.int64
    bias, rec_bias = [], []
    in_q, rec_q = [], []
    for k_in, k_rec, k_b in zip(_W_IN, _W_REC, _BIAS, strict=True):
        w_in, w_rec = tensors[k_in].data.astype(np.int64), tensors[k_rec].data.astype(np.int64)
        bias.append(tensors[k_b].data.astype(np.int64) - x.zero_point * w_in.sum(axis=1))
        rec_bias.append(-h.zero_point * w_rec.sum(axis=1))
        in_q.append(quantize_multiplier(float(x.scale) * float(tensors[k_in].scale) / _GATE_IN_SCALE))
        rec_q.append(quantize_multiplier(float(h.scale) * float(tensors[k_rec].scale) / _GATE_IN_SCALE))
    b_all, rb_all = np.concatenate(bias), np.concatenate(rec_bias)
    if act == "int8":  # TFLM sums in int32: the folded terms wrap like its accumulator
        b_all, rb_all = wrap_i32(b_all), wrap_i32(rb_all)
    cell_scale = float(c.scale)
    fc = quantize_multiplier(_GATE_OUT_SCALE * cell_scale / cell_scale)
    ic = quantize_multiplier(_GATE_OUT_SCALE * _GATE_OUT_SCALE / cell_scale)
    hq = quantize_multiplier(_GATE_OUT_SCALE * _GATE_OUT_SCALE / float(h.scale))
    clip = float(op.options.get("cell_clip", 0.0) or 0.0)
    qclip = int(np.trunc(min(max(float(np.float32(clip)) / cell_scale, -32768.0), 32767.0))) if clip > 0 else -1
    shift = 15 + _log2_rounded(cell_scale) - 3
    mult = 0
    if shift < 0:
        shift, mult = -shift, 3
    if mult == 0:
        mult, shift = 3 << shift, 0
    info = np.iinfo(np.int8 if act == "int8" else np.int16)
    k = f"op{op.index}"
    arrays = [ConstArray(f"{k}_w_in", np.concatenate([tensors[i].data.reshape(-1) for i in _W_IN]).astype(np.int8)),
              ConstArray(f"{k}_w_rec", np.concatenate([tensors[i].data.reshape(-1) for i in _W_REC]).astype(np.int8)),
              ConstArray(f"{k}_bias", b_all.astype(wide)), ConstArray(f"{k}_rec_bias", rb_all.astype(wide)),
              ConstArray(f"{k}_table", np.array(SIGMOID_TABLE_U16, np.uint16))]
    narrow = act == "int8"
    fields = dict(batches=batches, steps=steps, n_input=n_in, n_cell=n_cell, time_major=int(time_major),
                  in_mult=[m for m, _ in in_q], in_shift=[s for _, s in in_q],
                  rec_mult=[m for m, _ in rec_q], rec_shift=[s for _, s in rec_q],
                  w_in=arrays[0], w_rec=arrays[1],
                  bias=arrays[2] if narrow else 0, rec_bias=arrays[3] if narrow else 0,
                  bias64=0 if narrow else arrays[2], rec_bias64=0 if narrow else arrays[3],
                  fc_mult=fc[0], fc_shift=fc[1], ic_mult=ic[0], ic_shift=ic[1],
                  h_mult=hq[0], h_shift=hq[1], h_zp=h.zero_point, h_min=int(info.min), h_max=int(info.max),
                  cell_clip=qclip, tanh_mult=mult, tanh_round=(1 << (shift - 1)) if shift > 0 else 0,
                  tanh_shift=shift, table=arrays[4])
    ct = _CTYPES[act]
    kernel = "tfc_lstm_s8" if narrow else "tfc_lstm_s16"
    return LoweredOp(op, kernel, "tfc_lstm_params", fields, [x.index, h.index, c.index], [y.index], arrays,
                     in_ctypes=(ct, ct, "int16_t"), out_ctype=ct)
