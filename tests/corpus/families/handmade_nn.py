"""Hand-written convolution, matmul and sequence models (registered with the ``ops_nn`` family):
cases the converter does not produce — 16x8 LSTMs, time-major LSTMs, BATCH_MATMUL with a constant
broadcast operand, int4 weights, FULLY_CONNECTED with run-time weights. The builders are also used
by tests/test_ops_conv.py for wider sweeps."""

from __future__ import annotations

import numpy as np

from ..registry import add
from .handmade import FlatModel

INFO = {"int8": np.iinfo(np.int8), "int16": np.iinfo(np.int16)}


def batch_matmul(a_shape: list[int], b_shape: list[int], out_shape: list[int], dtype: str, *, adj_x: bool = False,
                 adj_y: bool = False, const: str = "", seed: int = 0) -> bytes:
    """One BATCH_MATMUL; ``const`` names the operands ("a", "b") that are constants."""
    rng = np.random.default_rng(seed)
    info = INFO[dtype]
    zp = (lambda: int(rng.integers(-20, 20))) if dtype == "int8" else (lambda: 0)
    m = FlatModel()
    ins, tensors = [], []
    for name, shape, scale in (("a", a_shape, 0.02), ("b", b_shape, 0.03)):
        data = rng.integers(info.min, info.max + 1, shape).astype(info.dtype) if name in const else None
        t = m.tensor(name, shape, dtype, scale=scale if dtype == "int8" else scale / 256, zero_point=zp(), data=data)
        tensors.append(t)
        if data is None:
            ins.append(t)
    depth = a_shape[-2] if adj_x else a_shape[-1]
    real_std = (0.02 * 74) * (0.03 * 74) * depth ** 0.5  # uniform random operands
    y = m.tensor("y", out_shape, dtype, scale=3 * real_std / (info.max + 1), zero_point=zp())
    opts = m.fb.BatchMatMulOptionsT()
    opts.adjX, opts.adjY = adj_x, adj_y
    m.op("BATCH_MATMUL", tensors, [y], opts, "BatchMatMulOptions")
    return m.finish(ins, [y])


def svdf(batches: int, input_size: int, units: int, rank: int, memory: int, state: str, seed: int = 0) -> bytes:
    """One int8 SVDF with ``state`` (int8/int16) time weights and activation state."""
    rng = np.random.default_rng(seed)
    info = INFO[state]
    filters = units * rank
    m = FlatModel()
    s_state = 0.01 if state == "int16" else 0.05
    s_wt = 0.8 / (info.max + 1)
    x = m.tensor("x", [batches, input_size], "int8", scale=0.02, zero_point=-5)
    wf = m.tensor("wf", [filters, input_size], "int8", scale=0.01,
                  data=rng.integers(-127, 128, (filters, input_size)).astype(np.int8))
    wt = m.tensor("wt", [filters, memory], state, scale=s_wt,
                  data=rng.integers(info.min + 1, info.max + 1, (filters, memory)).astype(info.dtype))
    b = m.tensor("bias", [units], "int32", scale=s_state * s_wt,
                 data=rng.integers(-3000, 3000, (units,)).astype(np.int32))
    st = m.tensor("state", [batches, filters * memory], state, scale=s_state,
                  zero_point=0 if state == "int16" else -7, variable=True)
    y = m.tensor("y", [batches, units], "int8", scale=0.04, zero_point=3)
    opts = m.fb.SVDFOptionsT()
    opts.rank = rank
    m.op("SVDF", [x, wf, wt, b, st], [y], opts, "SVDFOptions")
    return m.finish([x], [y])


def lstm(batches: int, steps: int, n_in: int, n_cell: int, act: str = "int8", *, time_major: bool = False,
         cell_clip: float = 0.0, cell_scale: float = 2.0 ** -11, activation: int = 4, seed: int = 0) -> bytes:
    """One UNIDIRECTIONAL_SEQUENCE_LSTM as TFLM runs it (no peephole/projection/layer norm); ``act``
    int8 or int16 activations, int16 cell state, hidden and cell states as variable tensors."""
    rng = np.random.default_rng(seed)
    m = FlatModel()
    i8 = act == "int8"
    q = 1 if i8 else 256
    x_zp, h_zp = (int(rng.integers(-10, 10)), int(rng.integers(-20, 20))) if i8 else (0, 0)
    shape = [steps, batches, n_in] if time_major else [batches, steps, n_in]
    x = m.tensor("x", shape, act, scale=0.02 / q, zero_point=x_zp)
    ins = [x]
    w_scales = rng.uniform(0.004, 0.012, 8)
    for k in range(8):
        cols = n_in if k < 4 else n_cell
        ins.append(m.tensor(f"w{k}", [n_cell, cols], "int8", scale=float(w_scales[k]),
                            data=rng.integers(-127, 128, (n_cell, cols)).astype(np.int8)))
    ins += [-1, -1, -1]
    for k in range(4):
        s = 0.02 / q * float(w_scales[k])
        data = rng.integers(-4000 * q, 4000 * q, n_cell)
        ins.append(m.tensor(f"b{k}", [n_cell], "int32" if i8 else "int64", scale=s,
                            data=data.astype(np.int32 if i8 else np.int64)))
    ins += [-1, -1]
    ins.append(m.tensor("h", [batches, n_cell], act, scale=0.006 / q, zero_point=h_zp, variable=True))
    ins.append(m.tensor("c", [batches, n_cell], "int16", scale=cell_scale, variable=True))
    ins += [-1, -1, -1, -1]
    y = m.tensor("y", shape[:2] + [n_cell], act, scale=0.006 / q, zero_point=h_zp)
    opts = m.fb.UnidirectionalSequenceLSTMOptionsT()
    opts.fusedActivationFunction = activation
    opts.cellClip, opts.timeMajor = cell_clip, time_major
    m.op("UNIDIRECTIONAL_SEQUENCE_LSTM", ins, [y], opts, "UnidirectionalSequenceLSTMOptions")
    return m.finish([x], [y])


def _pack_int4(values: np.ndarray) -> np.ndarray:
    """Two signed 4-bit values per byte, low nibble first (the flatbuffer's INT4 layout)."""
    v = (values.reshape(-1).astype(np.int16) & 15).astype(np.uint8)
    if v.size % 2:
        v = np.append(v, np.uint8(0))
    return (v[0::2] | (v[1::2] << 4)).astype(np.uint8)


def int4_weights(op: str, seed: int = 0) -> bytes:
    """FULLY_CONNECTED, CONV_2D or DEPTHWISE_CONV_2D (int8) with INT4 weights (TFLM unpacks them)."""
    rng = np.random.default_rng(seed)
    m = FlatModel()
    fb = m.fb
    if op == "FULLY_CONNECTED":
        xs, ws, ys, channels = [2, 12], [7, 12], [2, 7], 7
    elif op == "CONV_2D":
        xs, ws, ys, channels = [1, 6, 6, 3], [5, 3, 3, 3], [1, 6, 6, 5], 5
    else:
        xs, ws, ys, channels = [1, 6, 6, 4], [1, 3, 3, 8], [1, 4, 4, 8], 8
    w = rng.integers(-8, 8, ws).astype(np.int8)
    per_channel = op != "FULLY_CONNECTED"  # TFLM: per-channel int4 only for convolutions
    w_scale = list(rng.uniform(0.05, 0.1, channels)) if per_channel else 0.08
    x = m.tensor("x", xs, "int8", scale=0.02, zero_point=-4)
    wt = m.tensor("w", ws, "int8", scale=w_scale, zero_point=[0] * channels if per_channel else 0,
                  data=_pack_int4(w))
    m.tensors[wt].type = fb.TensorType.INT4
    if per_channel:
        m.tensors[wt].quantization.quantizedDimension = 3 if op == "DEPTHWISE_CONV_2D" else 0
    bscale = [0.02 * s for s in w_scale] if per_channel else 0.02 * w_scale
    b = m.tensor("b", [channels], "int32", scale=bscale, zero_point=[0] * channels if per_channel else 0,
                 data=rng.integers(-300, 300, channels).astype(np.int32))
    y = m.tensor("y", ys, "int8", scale=0.1, zero_point=6)
    if op == "FULLY_CONNECTED":
        opts = fb.FullyConnectedOptionsT()
        m.op(op, [x, wt, b], [y], opts, "FullyConnectedOptions")
    elif op == "CONV_2D":
        opts = fb.Conv2DOptionsT()
        opts.padding, opts.strideW, opts.strideH = fb.Padding.SAME, 1, 1
        opts.dilationWFactor = opts.dilationHFactor = 1
        m.op(op, [x, wt, b], [y], opts, "Conv2DOptions")
    else:
        opts = fb.DepthwiseConv2DOptionsT()
        opts.padding, opts.strideW, opts.strideH, opts.depthMultiplier = fb.Padding.VALID, 1, 1, 2
        opts.dilationWFactor = opts.dilationHFactor = 1
        m.op(op, [x, wt, b], [y], opts, "DepthwiseConv2DOptions")
    return m.finish([x], [y])


def fully_connected_runtime_weights(dtype: str, *, bias: bool = True, keep_num_dims: bool = False, w_zp: int = 0,
                                    seed: int = 0) -> bytes:
    """FULLY_CONNECTED whose weights are a model input (TFLM reads them like any tensor)."""
    rng = np.random.default_rng(seed)
    info = INFO[dtype]
    q = 1 if dtype == "int8" else 256
    m = FlatModel()
    x = m.tensor("x", [1, 3, 10], dtype, scale=0.02 / q, zero_point=5 if dtype == "int8" else 0)
    w = m.tensor("w", [6, 10], "int8", scale=0.03, zero_point=w_zp)  # TFLM: int8 weights for int16 activations too
    ins = [x, w]
    if bias:
        bdt = "int32" if dtype == "int8" else "int64"
        ins.append(m.tensor("b", [6], bdt, scale=0.02 * 0.03 / q,
                            data=rng.integers(-2000 * q, 2000 * q, 6).astype(np.int32 if bdt == "int32" else np.int64)))
    else:
        ins.append(-1)
    out_shape = [1, 3, 6] if keep_num_dims else [3, 6]
    real_std = (0.02 * 74) * (0.03 * 74) * 10 ** 0.5  # uniform random operands
    y = m.tensor("y", out_shape, dtype, scale=3 * real_std / (info.max + 1), zero_point=-3 if dtype == "int8" else 0)
    opts = m.fb.FullyConnectedOptionsT()
    opts.keepNumDims = keep_num_dims
    opts.fusedActivationFunction = m.fb.ActivationFunctionType.RELU
    m.op("FULLY_CONNECTED", ins, [y], opts, "FullyConnectedOptions")
    return m.finish([x, w], [y])


def transpose_conv(dtype: str, *, x_shape: list[int], out_shape: list[int], kernel: int, stride: int,
                   padding: str = "SAME", bias: str | None = None, activation: int = 0,
                   per_channel: bool = True, seed: int = 0) -> bytes:
    """One TRANSPOSE_CONV; ``bias`` None or the bias dtype (int32 for int8; int16/int64 for int16)."""
    rng = np.random.default_rng(seed)
    m = FlatModel()
    fb = m.fb
    i8 = dtype == "int8"
    q = 1 if i8 else 256
    ic, oc = x_shape[-1], out_shape[-1]
    shape = m.tensor("output_shape", [4], "int32", data=np.array(out_shape, np.int32))
    scales = list(rng.uniform(0.004, 0.01, oc)) if per_channel else float(rng.uniform(0.004, 0.01))
    zps = [0] * oc if per_channel else 0
    w = m.tensor("w", [oc, kernel, kernel, ic], "int8", scale=scales, zero_point=zps,
                 data=rng.integers(-127, 128, (oc, kernel, kernel, ic)).astype(np.int8))
    x = m.tensor("x", x_shape, dtype, scale=0.02 / q, zero_point=-6 if i8 else 0)
    ins = [shape, w, x]
    if bias is not None:
        bs = [0.02 / q * s for s in scales] if per_channel else 0.02 / q * scales
        np_t = {"int32": np.int32, "int16": np.int16, "int64": np.int64}[bias]
        lim = 3000 if bias != "int16" else 2000
        ins.append(m.tensor("b", [oc], bias, scale=bs, zero_point=zps,
                            data=rng.integers(-lim, lim, oc).astype(np_t)))
    real_std = 0.02 * 74 * 0.007 * 74 * (kernel * kernel * ic / stride / stride) ** 0.5
    y = m.tensor("y", out_shape, dtype, scale=3 * real_std / (128 * q), zero_point=9 if i8 else 0)
    opts = fb.TransposeConvOptionsT()
    opts.padding = getattr(fb.Padding, padding)
    opts.strideW = opts.strideH = stride
    opts.fusedActivationFunction = activation
    m.op("TRANSPOSE_CONV", ins, [y], opts, "TransposeConvOptions")
    return m.finish([x], [y])


def int16_int32_bias(op: str, *, bias: bool = True, per_channel: bool = True, groups: int = 1,
                     seed: int = 0) -> bytes:
    """CONV_2D (``groups`` of the 6 input channels) or FULLY_CONNECTED 16x8 with an int32 bias (or none
    and quantized_bias_type INT32): TFLM then accumulates in 32 bits and requantises with the 32-bit
    multiplier."""
    rng = np.random.default_rng(seed)
    m = FlatModel()
    fb = m.fb
    if op == "CONV_2D" and groups > 1:
        xs, ws, ys, oc = [1, 5, 5, 6], [12, 3, 3, 6 // groups], [1, 5, 5, 12], 12
    elif op == "CONV_2D":
        xs, ws, ys, oc = [1, 5, 5, 6], [4, 3, 3, 6], [1, 5, 5, 4], 4
    else:
        xs, ws, ys, oc = [2, 24], [5, 24], [2, 5], 5
    scales = list(rng.uniform(0.004, 0.01, oc)) if per_channel else 0.007
    zps = [0] * oc if per_channel else 0
    x = m.tensor("x", xs, "int16", scale=0.02 / 256)
    w = m.tensor("w", ws, "int8", scale=scales, zero_point=zps, data=rng.integers(-127, 128, ws).astype(np.int8))
    ins = [x, w]
    if bias:
        bs = [0.02 / 256 * v for v in scales] if per_channel else 0.02 / 256 * scales
        ins.append(m.tensor("b", [oc], "int32", scale=bs, zero_point=zps,
                            data=rng.integers(-400000, 400000, oc).astype(np.int32)))
    else:
        ins.append(-1)
    depth = int(np.prod(ws[1:]))
    y = m.tensor("y", ys, "int16", scale=3 * 0.02 * 74 * 0.007 * 74 * depth ** 0.5 / 32768)
    if op == "CONV_2D":
        opts = fb.Conv2DOptionsT()
        opts.padding, opts.strideW, opts.strideH = fb.Padding.SAME, 1, 1
        opts.dilationWFactor = opts.dilationHFactor = 1
        opts.quantizedBiasType = fb.TensorType.INT32
        m.op(op, ins, [y], opts, "Conv2DOptions")
    else:
        opts = fb.FullyConnectedOptionsT()
        opts.quantizedBiasType = fb.TensorType.INT32
        m.op(op, ins, [y], opts, "FullyConnectedOptions")
    return m.finish([x], [y])


_NOTE = "written directly into a flatbuffer (the converter does not produce this case)"
_STATE = "the hidden and cell states are variable tensors carried across invocations"
for _mode, _dt in (("int8", "int8"), ("int16x8", "int16")):
    add(f"op_batch_matmul_const_broadcast_handmade_{_mode}", (_mode, "const-operand"),
        lambda dt=_dt: batch_matmul([2, 5, 4], [1, 5, 6], [2, 4, 6], dt, adj_x=True, const="b", seed=3),
        expect_ops=("BATCH_MATMUL",), note="constant right operand broadcast over the batch, adj_x; " + _NOTE)
    add(f"op_fully_connected_runtime_weights_handmade_{_mode}", (_mode, "multi-input"),
        lambda dt=_dt: fully_connected_runtime_weights(dt, keep_num_dims=True, seed=4),
        expect_ops=("FULLY_CONNECTED",), note="weights are a model input, keep_num_dims; " + _NOTE)
add("op_lstm_handmade_int16x8", ("int16x8", "stateful"), lambda: lstm(1, 5, 6, 8, "int16", seed=5),
    invocations=3, expect_ops=("UNIDIRECTIONAL_SEQUENCE_LSTM",),
    note="16x8 LSTM (the converter does not quantise LSTMs to 16x8); " + _STATE)
add("op_lstm_time_major_clip_handmade_int8", ("int8", "stateful"),
    lambda: lstm(2, 4, 5, 6, "int8", time_major=True, cell_clip=0.5, cell_scale=2.0 ** -15, seed=6),
    invocations=3, expect_ops=("UNIDIRECTIONAL_SEQUENCE_LSTM",),
    note="time-major, two batch rows, cell clipping; " + _STATE)
for _op in ("FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D"):
    add(f"op_{_op.lower()}_int4_weights_handmade_int8".replace("conv_2d", "conv2d"), ("int8",),
        lambda op=_op: int4_weights(op, seed=7), expect_ops=(_op,), note="INT4 weights; " + _NOTE)
for _op in ("CONV_2D", "FULLY_CONNECTED"):
    add(f"op_{_op.lower()}_int32_bias_handmade_int16x8".replace("conv_2d", "conv2d"), ("int16x8",),
        lambda op=_op: int16_int32_bias(op, seed=8), expect_ops=(_op,),
        note="16x8 with an int32 bias: TFLM's 32-bit accumulator variant; " + _NOTE)
