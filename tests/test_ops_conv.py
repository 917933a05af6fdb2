"""Convolution, matrix multiplication and sequence ops against TFLite Micro, on small hand-written
models (tests/helpers/nn_models.py) that reach the cases the converted corpus models do not:
BATCH_MATMUL adj_x/adj_y, broadcasting and constant operands; FULLY_CONNECTED with run-time or int4
weights; TRANSPOSE_CONV paddings, activations and biases; SVDF and LSTM shapes and options."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import require_tool
from helpers.engine_checks import SAN_FLAGS
from helpers.nn_models import (
    FlatModel,
    batch_matmul,
    fully_connected_runtime_weights,
    int4_weights,
    int16_int32_bias,
    lstm,
    svdf,
    transpose_conv,
)

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.host import HostModel, build_executable
from tfcompress.engine.validate import validate_model


def _exact(model: bytes, samples: int = 3, kernels: tuple[str, ...] = ("reference",)) -> None:
    for k in kernels:
        res = validate_model(model, samples=samples, kernels=k)
        assert res.oracle == "tflm"
        assert res.mismatched_elements == 0, f"{k}: {res.mismatched_elements} of {res.output_elements} differ"


BMM_CASES = {
    "plain_4d": ([2, 3, 4, 5], [2, 3, 5, 6], [2, 3, 4, 6], {}),
    "adj_x": ([2, 5, 4], [2, 5, 6], [2, 4, 6], dict(adj_x=True)),
    "adj_y": ([3, 4, 5], [3, 6, 5], [3, 4, 6], dict(adj_y=True)),
    "adj_xy": ([1, 2, 5, 4], [1, 2, 6, 5], [1, 2, 4, 6], dict(adj_x=True, adj_y=True)),
    "broadcast": ([1, 3, 4, 5], [2, 1, 5, 6], [2, 3, 4, 6], {}),
    "rank_2_lhs": ([4, 5], [2, 3, 5, 6], [2, 3, 4, 6], {}),
    "rank_2_rhs": ([2, 3, 4, 5], [5, 6], [2, 3, 4, 6], {}),
    "rank_5": ([2, 1, 2, 3, 4], [1, 2, 1, 4, 3], [2, 2, 2, 3, 3], dict(adj_y=False)),
    "rhs_batch_one": ([2, 3, 4, 5], [2, 1, 5, 6], [2, 3, 4, 6], {}),  # TFLM flattens the batch here
    "rhs_batch_one_adj": ([2, 3, 5, 4], [2, 1, 6, 5], [2, 3, 4, 6], dict(adj_x=True, adj_y=True)),
    "const_rhs": ([1, 4, 5], [1, 5, 6], [1, 4, 6], dict(const="b")),
    "const_lhs_adj": ([2, 5, 4], [2, 5, 6], [2, 4, 6], dict(const="a", adj_x=True)),
}


@pytest.mark.parametrize("dtype", ["int8", "int16"])
@pytest.mark.parametrize("case", sorted(BMM_CASES))
def test_batch_matmul(case: str, dtype: str) -> None:
    a, b, y, kw = BMM_CASES[case]
    _exact(batch_matmul(a, b, y, dtype, **kw))


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


@pytest.mark.parametrize("dtype", ["int8", "int16"])
@pytest.mark.parametrize("kw", [dict(bias=False), dict(keep_num_dims=True), dict(w_zp=-9)], ids=str)
def test_fully_connected_runtime_weights(dtype: str, kw: dict) -> None:
    _exact(fully_connected_runtime_weights(dtype, **kw), kernels=("reference", "optimized"))


@pytest.mark.parametrize("op", ["FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D"])
def test_int4_weights(op: str) -> None:
    """INT4 constants are unpacked by the reader (as TFLM does); every kernel set and weight encoding
    gives TFLM's results."""
    model = int4_weights(op, seed=11)
    _exact(model, kernels=("reference", "optimized"))
    assert validate_model(model, samples=2, compress_weights=True).mismatched_elements == 0


@pytest.mark.parametrize("op", ["CONV_2D", "FULLY_CONNECTED"])
@pytest.mark.parametrize("kw", [dict(), dict(bias=False), dict(per_channel=False)], ids=str)
def test_int16_with_int32_bias(op: str, kw: dict) -> None:
    """TFLM's 16x8 CONV_2D / FULLY_CONNECTED with an int32 bias (or quantized_bias_type INT32) sum in 32
    bits and requantise with the 32-bit multiplier, unlike the int64-bias path."""
    _exact(int16_int32_bias(op, **kw), kernels=("reference", "optimized"))


@pytest.mark.parametrize("groups", [2, 6])
def test_grouped_int16_with_int32_bias(groups: int) -> None:
    """Grouped 16x8 CONV_2D with an int32 bias, on the full kernel (2 groups) and on the depthwise
    kernel (one input channel per group)."""
    _exact(int16_int32_bias("CONV_2D", groups=groups), kernels=("reference", "optimized"))


TCONV_CASES = {
    "int8_no_bias_valid": ("int8", dict(x_shape=[1, 3, 4, 5], out_shape=[1, 7, 9, 3], kernel=3, stride=2,
                                        padding="VALID")),
    "int8_relu6_per_tensor": ("int8", dict(x_shape=[2, 4, 4, 3], out_shape=[2, 8, 8, 4], kernel=2, stride=2,
                                           bias="int32", activation=3, per_channel=False)),
    "int8_s3_k5": ("int8", dict(x_shape=[1, 3, 3, 2], out_shape=[1, 9, 9, 3], kernel=5, stride=3, bias="int32")),
    "int16_bias16": ("int16", dict(x_shape=[1, 4, 3, 4], out_shape=[1, 8, 6, 2], kernel=3, stride=2,
                                   bias="int16")),
    "int16_bias64_relu": ("int16", dict(x_shape=[1, 5, 5, 2], out_shape=[1, 5, 5, 3], kernel=4, stride=1,
                                        bias="int64", activation=1)),
}


@pytest.mark.parametrize("case", sorted(TCONV_CASES))
def test_transpose_conv(case: str) -> None:
    dtype, kw = TCONV_CASES[case]
    _exact(transpose_conv(dtype, **kw), kernels=("reference", "optimized"))


CORPUS = Path(__file__).parent / "fixtures" / "corpus"
SANITIZED = {
    "lstm_int8": lambda: lstm(2, 3, 4, 5, "int8", time_major=True, cell_clip=0.3),
    "lstm_int16": lambda: lstm(2, 3, 4, 5, "int16"),
    "svdf_int8": lambda: svdf(2, 6, 3, 2, 4, "int8"),
    "fc_runtime_int16": lambda: fully_connected_runtime_weights("int16", w_zp=3),
    "bmm_broadcast_int16": lambda: batch_matmul([1, 3, 4, 5], [2, 1, 5, 6], [2, 3, 4, 6], "int16", adj_y=False),
    "tconv_int8": lambda: (CORPUS / "op_transpose_conv_even_same_int8.tflite").read_bytes(),
    "tconv_int16": lambda: (CORPUS / "op_transpose_conv_output_padding_int16x8.tflite").read_bytes(),
    "depthwise_int16": lambda: (CORPUS / "op_depthwise_conv2d_mult2_s2_int16x8.tflite").read_bytes(),
    "grouped_int8": lambda: (CORPUS / "op_conv2d_grouped_int8.tflite").read_bytes(),
}


#: the default run sanitises one model per new kernel family; the rest are slow
_SAN_FAST = ("lstm_int16", "svdf_int8", "fc_runtime_int16", "tconv_int8")


@pytest.mark.parametrize("name", [n if n in _SAN_FAST else pytest.param(n, marks=pytest.mark.slow)
                                  for n in sorted(SANITIZED)])
def test_clean_under_asan_ubsan(name: str, tmp_path: Path) -> None:
    """The kernels under AddressSanitizer + UBSan, a three-run sequence (state carried), same outputs
    as the plain host build."""
    require_tool("cc", "build-essential")
    model = compile_tflite(SANITIZED[name]())
    exe = build_executable(model, tmp_path / "build", SAN_FLAGS)
    rng = np.random.default_rng(5)
    xs = [rng.integers(np.iinfo(t.np_dtype).min, np.iinfo(t.np_dtype).max + 1, t.shape).astype(t.np_dtype)
          for t in model.inputs]
    (tmp_path / "in.bin").write_bytes(b"".join(x.tobytes() for x in xs))
    proc = subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin"), "3"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "runtime error" not in proc.stderr, proc.stderr[-3000:]
    host = HostModel(model)
    want = b"".join(y.tobytes() for _ in range(3) for y in host.invoke(xs))
    assert (tmp_path / "out.bin").read_bytes() == want
