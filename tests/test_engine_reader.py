"""Reader and compiler errors: every bad input is one TfcError, never a crash (incl. fuzzing)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.reader import read_graph
from tfcompress.engine.schema import schema
from tfcompress.errors import TfcError

REPO = Path(__file__).resolve().parents[1]
MLPERF = REPO.parent / "shared" / "models" / "mlperf-tiny"


def _small_model() -> bytes:
    """A tiny int8 model built with the flatbuffer object API (no TensorFlow needed)."""
    import flatbuffers

    fb = schema()

    def tensor(name: str, shape: list[int], ttype: int, buffer: int, scale: list[float] | None = None):
        t = fb.TensorT()
        t.name, t.shape, t.type, t.buffer = name.encode(), shape, ttype, buffer
        if scale is not None:
            q = fb.QuantizationParametersT()
            q.scale, q.zeroPoint = scale, [0] * len(scale)
            t.quantization = q
        return t

    m = fb.ModelT()
    m.version = 3
    code = fb.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = fb.BuiltinOperator.FULLY_CONNECTED
    m.operatorCodes = [code]
    bufs = [fb.BufferT() for _ in range(4)]
    bufs[2].data = list(np.arange(12, dtype=np.int8).view(np.uint8))
    bufs[3].data = list(np.array([1, -2, 3], dtype=np.int32).view(np.uint8))
    m.buffers = bufs
    sg = fb.SubGraphT()
    sg.tensors = [tensor("x", [1, 4], fb.TensorType.INT8, 0, [0.05]),
                  tensor("w", [3, 4], fb.TensorType.INT8, 2, [0.01]),
                  tensor("b", [3], fb.TensorType.INT32, 3, [0.0005]),
                  tensor("y", [1, 3], fb.TensorType.INT8, 0, [0.1])]
    op = fb.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, [0, 1, 2], [3]
    op.builtinOptionsType = fb.BuiltinOptions.FullyConnectedOptions
    op.builtinOptions = fb.FullyConnectedOptionsT()
    sg.operators, sg.inputs, sg.outputs = [op], [0], [3]
    m.subgraphs = [sg]
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _mutate(data: bytes, fn) -> bytes:
    fb = schema()
    m = fb.ModelT.InitFromObj(fb.Model.GetRootAsModel(data, 0))
    fn(m, fb)
    import flatbuffers

    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def test_small_model_compiles_and_is_bit_exact() -> None:
    from tfcompress.engine.host import HostModel
    from tfcompress.tflm import TflmModel

    data = _small_model()
    m = compile_tflite(data)
    x = np.array([[5, -7, 100, -128]], dtype=np.int8)
    assert np.array_equal(HostModel(m).run(x), TflmModel(data).run(x))


@pytest.mark.parametrize("data", [b"", b"abc", b"\0" * 64, b"1234TFL3" + b"\xff" * 100])
def test_garbage_is_a_tfc_error(data: bytes) -> None:
    with pytest.raises(TfcError):
        compile_tflite(data)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TfcError, match="not found"):
        compile_tflite(tmp_path / "nope.tflite")


def test_truncated() -> None:
    data = _small_model()
    for cut in (8, len(data) // 3, len(data) // 2, len(data) - 9):
        with pytest.raises(TfcError):
            compile_tflite(data[:cut])


def test_unused_extra_subgraph_is_ignored_like_tflm() -> None:
    """TFLM runs subgraph 0 and only enters others through CALL_ONCE / WHILE / IF: so do we."""
    import copy

    from tfcompress.engine.host import HostModel
    from tfcompress.tflm import TflmModel

    data = _mutate(_small_model(), lambda m, fb: m.subgraphs.append(copy.deepcopy(m.subgraphs[0])))
    g = read_graph(data)
    assert len(g.subgraphs) == 2 and g.subgraphs[0] is g
    x = np.array([[5, -7, 100, -128]], dtype=np.int8)
    assert np.array_equal(HostModel(compile_tflite(data)).run(x), TflmModel(data).run(x))


def test_per_tensor_quantized_dimension_out_of_range_is_tolerated() -> None:
    """A per-tensor bias whose quantized_dimension exceeds its rank (one of TFLM's own example
    models has it): TFLM ignores the field, so the model must compile, not be called corrupt."""
    from tfcompress.engine.host import HostModel
    from tfcompress.tflm import TflmModel

    def bad_qdim(m, fb):
        m.subgraphs[0].tensors[2].quantization.quantizedDimension = 3

    data = _mutate(_small_model(), bad_qdim)
    x = np.array([[5, -7, 100, -128]], dtype=np.int8)
    assert np.array_equal(HostModel(compile_tflite(data)).run(x), TflmModel(data).run(x))


def test_float_model_says_convert_int8() -> None:
    def to_float(m, fb):
        for t in m.subgraphs[0].tensors:
            t.type = fb.TensorType.FLOAT32
            t.quantization = None
        m.buffers[2].data = list(np.ones(12, np.float32).view(np.uint8))
        m.buffers[3].data = list(np.ones(3, np.float32).view(np.uint8))

    with pytest.raises(TfcError, match="--mode int8"):
        compile_tflite(_mutate(_small_model(), to_float))


def test_unsupported_op_names_op_tensor_and_alternative() -> None:
    def to_hardswish(m, fb):
        m.operatorCodes[0].builtinCode = fb.BuiltinOperator.SPACE_TO_DEPTH
        m.operatorCodes[0].deprecatedBuiltinCode = fb.BuiltinOperator.SPACE_TO_DEPTH

    with pytest.raises(TfcError) as err:
        compile_tflite(_mutate(_small_model(), to_hardswish))
    assert "SPACE_TO_DEPTH" in str(err.value) and "'y'" in str(err.value) and "—" in str(err.value)


def test_unknown_kernel_set() -> None:
    with pytest.raises(TfcError, match="kernel set"):
        compile_tflite(_small_model(), kernels="turbo")


def _seeds() -> list[bytes]:
    seeds = [_small_model()]
    kws = MLPERF / "kws_dscnn_int8.tflite"
    if kws.is_file():
        seeds.append(kws.read_bytes())
    return seeds


def _fuzz_once(data: st.DataObject) -> None:
    seeds = _seeds()
    buf = bytearray(seeds[data.draw(st.integers(0, len(seeds) - 1))])
    for _ in range(data.draw(st.integers(1, 8))):
        kind = data.draw(st.sampled_from(["flip", "byte", "cut", "word"]))
        n_header = min(len(buf), 4096)  # mostly the flatbuffer tables/vectors, not weight bytes
        pos = data.draw(st.integers(0, n_header - 1)) if data.draw(st.booleans()) else \
            data.draw(st.integers(0, len(buf) - 1))
        if kind == "flip":
            buf[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "byte":
            buf[pos] = data.draw(st.integers(0, 255))
        elif kind == "word" and pos + 4 <= len(buf):
            buf[pos:pos + 4] = data.draw(st.integers(0, 2**32 - 1)).to_bytes(4, "little")
        elif kind == "cut":
            del buf[pos:]
            if not buf:
                break
    try:
        compile_tflite(bytes(buf))
    except TfcError:
        pass


@settings(max_examples=60, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.data())
def test_fuzz_mutated_flatbuffers_only_raise_tfc_error(data: st.DataObject) -> None:
    _fuzz_once(data)


@pytest.mark.slow
@settings(max_examples=1500, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.data())
def test_fuzz_mutated_flatbuffers_many(data: st.DataObject) -> None:
    _fuzz_once(data)
