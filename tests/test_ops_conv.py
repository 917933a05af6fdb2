"""Convolution, matrix multiplication and sequence ops against TFLite Micro, on small hand-written
models (tests/corpus/families/handmade.py's FlatModel) that reach the cases the converted corpus
models do not: BATCH_MATMUL adj_x/adj_y, broadcasting and constant operands; TRANSPOSE_CONV paddings,
activations and biases; SVDF and LSTM options."""

from __future__ import annotations

import numpy as np
import pytest

from tests.corpus.families.handmade import FlatModel
from tfcompress.engine.validate import validate_model

INFO = {"int8": np.iinfo(np.int8), "int16": np.iinfo(np.int16)}


def _exact(model: bytes, samples: int = 3, kernels: tuple[str, ...] = ("reference",)) -> None:
    for k in kernels:
        res = validate_model(model, samples=samples, kernels=k)
        assert res.oracle == "tflm"
        assert res.mismatched_elements == 0, f"{k}: {res.mismatched_elements} of {res.output_elements} differ"


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


BMM_CASES = {
    "plain_4d": ([2, 3, 4, 5], [2, 3, 5, 6], [2, 3, 4, 6], {}),
    "adj_x": ([2, 5, 4], [2, 5, 6], [2, 4, 6], dict(adj_x=True)),
    "adj_y": ([3, 4, 5], [3, 6, 5], [3, 4, 6], dict(adj_y=True)),
    "adj_xy": ([1, 2, 5, 4], [1, 2, 6, 5], [1, 2, 4, 6], dict(adj_x=True, adj_y=True)),
    "broadcast": ([1, 3, 4, 5], [2, 1, 5, 6], [2, 3, 4, 6], {}),
    "rank_2_lhs": ([4, 5], [2, 3, 5, 6], [2, 3, 4, 6], {}),
    "rank_2_rhs": ([2, 3, 4, 5], [5, 6], [2, 3, 4, 6], {}),
    "rank_5": ([2, 1, 2, 3, 4], [1, 2, 1, 4, 3], [2, 2, 2, 3, 3], dict(adj_y=False)),
    "const_rhs": ([1, 4, 5], [1, 5, 6], [1, 4, 6], dict(const="b")),
    "const_lhs_adj": ([2, 5, 4], [2, 5, 6], [2, 4, 6], dict(const="a", adj_x=True)),
}


@pytest.mark.parametrize("dtype", ["int8", "int16"])
@pytest.mark.parametrize("case", sorted(BMM_CASES))
def test_batch_matmul(case: str, dtype: str) -> None:
    a, b, y, kw = BMM_CASES[case]
    _exact(batch_matmul(a, b, y, dtype, **kw))


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


@pytest.mark.parametrize("state", ["int8", "int16"])
@pytest.mark.parametrize("shape", [(1, 10, 4, 1, 3), (2, 6, 3, 2, 5), (3, 5, 2, 3, 1)])
def test_svdf_sequence_and_reset(shape: tuple[int, ...], state: str) -> None:
    _exact(svdf(*shape, state=state), samples=6)


@pytest.mark.parametrize("op", ["LOGISTIC", "TANH"])
def test_int16_gate_functions_match_tflm(op: str) -> None:
    """fixedpoint.logistic_s16 / tanh_s16 (and so the sigmoid table the LSTM kernel reads) equal TFLM's
    int16 LOGISTIC / TANH with a Q3.12 input on every int16 value."""
    from tfcompress.engine import fixedpoint
    from tfcompress.tflm import TflmModel

    m = FlatModel()
    x = m.tensor("x", [65536], "int16", scale=2.0 ** -12)
    y = m.tensor("y", [65536], "int16", scale=2.0 ** -15)
    m.op(op, [x], [y], None, "NONE")
    xs = np.arange(-32768, 32768, dtype=np.int16)
    got = TflmModel(m.finish([x], [y])).run(xs)
    fn = fixedpoint.logistic_s16 if op == "LOGISTIC" else fixedpoint.tanh_s16
    want = np.array([fn(int(v)) for v in xs], np.int64).astype(np.int16)
    assert np.array_equal(got, want), f"{int((got != want).sum())} values differ"


def lstm(batches: int, steps: int, n_in: int, n_cell: int, act: str = "int8", *, time_major: bool = False,
         cell_clip: float = 0.0, cell_scale: float = 2.0 ** -11, activation: int = 4, seed: int = 0) -> bytes:
    """One UNIDIRECTIONAL_SEQUENCE_LSTM as TFLM runs it (no peephole/projection/layer norm)."""
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


LSTM_CASES = {
    "batch_major": ((1, 5, 6, 8), {}),
    "two_batches": ((2, 4, 5, 7), {}),
    "time_major": ((3, 4, 5, 6), dict(time_major=True)),
    "cell_clip": ((1, 6, 4, 5), dict(cell_clip=0.4, cell_scale=2.0 ** -15)),
    "wide_state": ((1, 4, 4, 20), dict(cell_scale=2.0 ** -13)),
    "cell_scale_not_pot": ((2, 3, 5, 4), dict(cell_scale=0.00037)),
}


@pytest.mark.parametrize("act", ["int8", "int16"])
@pytest.mark.parametrize("case", sorted(LSTM_CASES))
def test_lstm_sequence_and_reset(case: str, act: str) -> None:
    shape, kw = LSTM_CASES[case]
    _exact(lstm(*shape, act, **kw), samples=4)


def test_lstm_cell_activation_other_than_tanh_is_refused() -> None:
    """TFLM's integer LSTM computes a tanh cell gate only (any other activation is left unapplied in
    release builds and aborts in debug builds): the engine refuses it up front."""
    from tfcompress.engine.compiler import compile_tflite
    from tfcompress.errors import TfcError

    with pytest.raises(TfcError, match="tanh only"):
        compile_tflite(lstm(1, 3, 4, 5, activation=1))
