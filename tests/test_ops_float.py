"""Float32 ops ("float islands", engine/ops/float32.py) bit for bit against TFLM's host interpreter.

Each op runs as a one-op model on thousands of float32 values — special ones (signed zeros,
halves, infinities, NaN, denormals, the largest floats, each kernel's cut-offs) and random ones
over many magnitudes and raw bit patterns — and every output element must have TFLM's exact
bits (any NaN equals any NaN: x86 keeps one payload of two NaN operands depending on operand
order, which the C standard leaves to the compiler). Shapes, broadcasting, axes and options are
drawn by hypothesis where they change the arithmetic. The corpus entries (float_*_int8) check the
same ops inside int8 models."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.float_models import FlatModel, many_ops, one_op
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.host import HostModel
from tfcompress.engine.ops.float32 import UNARY_KERNELS
from tfcompress.errors import TfcError
from tfcompress.tflm import TflmModel

F32 = np.float32
MAX = np.finfo(F32).max
SPECIAL = np.array([0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 1.0, -1.0, 3.0, -3.0, 6.0, -6.0, 6.5, 1e-45, -1e-45,
                    1e-40, -1e-40, np.finfo(F32).tiny, MAX, -MAX, np.inf, -np.inf, np.nan, 16.619047, 16.619048,
                    16.7, -9.0, -9.000001, -8.99999, 88.72, 88.73, -87.3, -103.9, -104.0, 1e30, -1e30, 8388607.5,
                    -8388607.5, 8388608.0, 2147483648.0, -2147483648.0, 4.5e15, 0.49999997, -0.49999997,
                    np.pi, -np.pi, 1e5 * np.pi, 0.1, -0.1], F32)


def values(n: int, seed: int) -> np.ndarray:
    """The special values, then n random float32: a third raw bit patterns, a third log-uniform
    magnitudes over 1e-8..1e8 with random signs, a third uniform in [-10, 10] (halves included)."""
    rng = np.random.default_rng(seed)
    k = n // 3
    bits = rng.integers(0, 2**32, k, dtype=np.uint64).astype(np.uint32).view(F32)
    mags = (10.0 ** rng.uniform(-8, 8, k) * rng.choice([-1.0, 1.0], k)).astype(F32)
    near = rng.uniform(-10, 10, n - 2 * k).astype(F32)
    near[::7] = np.round(near[::7] * 2) / 2
    return np.concatenate([SPECIAL, bits, mags, near]).astype(F32)


def same_bits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a), np.asarray(b).reshape(np.shape(a))
    if a.dtype != F32:
        return a == b
    return (a.view(np.uint32) == b.view(np.uint32)) | (np.isnan(a) & np.isnan(b))


def check(model: bytes, inputs: list[np.ndarray]) -> None:
    compiled = compile_tflite(model)
    ours, ref = HostModel(compiled), TflmModel(model)
    got, want = ours.invoke(inputs), ref.invoke(inputs)
    for t, a, b in zip(compiled.outputs, got, want, strict=True):
        ok = same_bits(a, b)
        if not ok.all():
            i = int(np.flatnonzero(~ok.reshape(-1))[0])
            xs = [x.reshape(-1)[i % x.size] for x in inputs]
            raise AssertionError(f"output '{t.name}': {int((~ok).sum())} of {ok.size} elements differ; first at {i}: "
                                 f"inputs {xs} -> {a.reshape(-1)[i]!r}, TFLM {np.asarray(b).reshape(-1)[i]!r}")


# ---- element-wise unary ops


def test_unary_ops_bit_exact() -> None:
    """Every unary op (one model, one output per op) on the same values."""
    x = values(3000, seed=1)
    ops = [(op.lower(), op, ("LeakyReluOptions", {"alpha": 0.3}) if op == "LEAKY_RELU" else (None,), {}, [x.size])
           for op in sorted(UNARY_KERNELS)]
    check(many_ops([[x.size]], ops), [x])


def test_leaky_relu_alphas() -> None:
    x = values(300, seed=1)
    ops = [(f"alpha{k}", "LEAKY_RELU", ("LeakyReluOptions", {"alpha": a}), {}, [x.size])
           for k, a in enumerate([-1.7, 0.0, 1.0, 2.5, 1e-3])]
    check(many_ops([[x.size]], ops), [x])


# ---- binary ops

_ARITH = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions", "DIV": "DivOptions"}
_OTHER = {"MAXIMUM": "MaximumMinimumOptions", "MINIMUM": "MaximumMinimumOptions",
          "SQUARED_DIFFERENCE": "SquaredDifferenceOptions", "FLOOR_MOD": "FloorModOptions",
          "FLOOR_DIV": "FloorDivOptions"}
_CMP = {"EQUAL": "EqualOptions", "NOT_EQUAL": "NotEqualOptions", "GREATER": "GreaterOptions",
        "GREATER_EQUAL": "GreaterEqualOptions", "LESS": "LessOptions", "LESS_EQUAL": "LessEqualOptions"}


def _pairs(n: int, seed: int, *, nonzero_b: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Every special value against every special value, then random pairs (some equal)."""
    a0, b0 = np.meshgrid(SPECIAL, SPECIAL)
    a = np.concatenate([a0.reshape(-1), values(n, seed)])
    b = np.concatenate([b0.reshape(-1), np.random.default_rng(seed + 1).permutation(values(n, seed + 2))])
    b[-n // 10:] = a[-n // 10:]
    if nonzero_b:  # FLOOR_DIV: TFLM fails on a zero denominator
        b[b == 0] = 0.75
    return a.astype(F32), b.astype(F32)


@pytest.mark.parametrize("kind", ["arithmetic", "comparison"])
def test_binary_ops_bit_exact(kind: str) -> None:
    """Every special value against every special value, then random pairs; FLOOR_DIV's
    denominators avoid zero (TFLM fails on a zero denominator)."""
    a, b = _pairs(3000, seed=len(kind), nonzero_b=True)
    table = {**_ARITH, **_OTHER} if kind == "arithmetic" else _CMP
    ops = [(op.lower(), op, (opts,), {}, [a.size]) for op, opts in table.items()]
    check(many_ops([[a.size], [b.size]], ops, out_dtype="float32" if kind == "arithmetic" else "bool"), [a, b])


def test_binary_ops_with_zero_denominators() -> None:
    a, b = _pairs(600, seed=5)
    ops = [(op.lower(), op, (opts,), {}, [a.size]) for op, opts in {**_ARITH, **_OTHER}.items() if op != "FLOOR_DIV"]
    check(many_ops([[a.size], [b.size]], ops), [a, b])


def test_fused_activations() -> None:
    """RELU, RELU_N1_TO_1, RELU6 clamp; TANH (4) is not applied by TFLite's float kernels."""
    a, b = _pairs(600, seed=7)
    ops = [(f"{op.lower()}_{act}", op, (opts, {"fusedActivationFunction": act}), {}, [a.size])
           for op, opts in _ARITH.items() for act in (1, 2, 3, 4)]
    check(many_ops([[a.size], [b.size]], ops), [a, b])


def _shapes(draw, ndim_max: int = 5) -> tuple[list[int], list[int], list[int]]:
    nd = draw(st.integers(1, ndim_max))
    out = draw(st.lists(st.integers(1, 4), min_size=nd, max_size=nd))

    def operand() -> list[int]:
        keep = draw(st.integers(1, nd))  # leading dims dropped (rank broadcasting)
        return [d if draw(st.booleans()) else 1 for d in out[nd - keep:]]

    return operand(), operand(), out


@st.composite
def _broadcast_case(draw):
    op = draw(st.sampled_from(["ADD", "SUB", "MUL", "DIV", "MAXIMUM", "SQUARED_DIFFERENCE", "FLOOR_MOD", "LESS"]))
    s1, s2, out = _shapes(draw, 4)
    full = np.broadcast_shapes(tuple(s1), tuple(s2))
    out = list(full)
    return op, s1, s2, out, draw(st.integers(0, 2**16)), draw(st.booleans())


@settings(max_examples=14, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_broadcast_case())
def test_broadcasting_bit_exact(case) -> None:
    """Random broadcasting shapes (up to 4-D: TFLM's float kernels broadcast 4-D), one operand
    constant or both live."""
    op, s1, s2, out, seed, const = case
    rng = np.random.default_rng(seed)
    a = rng.uniform(-5, 5, s1).astype(F32)
    b = rng.uniform(-5, 5, s2).astype(F32)
    b[b == 0] = 1.0
    opts = {**_ARITH, **_OTHER, **_CMP}[op]
    model = one_op(op, [s1, s2], out, options=(opts,), out_dtype="bool" if op in _CMP else "float32",
                   consts={1: b} if const else None)
    check(model, [a] if const else [a, b])


def test_five_d_broadcasting() -> None:
    a, b = values(2 * 3 * 1 * 4 * 5, 3)[:120].reshape(2, 3, 1, 4, 5), values(60, 4)[:60].reshape(1, 3, 4, 1, 5)
    ours = HostModel(compile_tflite(one_op("MUL", [[2, 3, 1, 4, 5], [1, 3, 4, 1, 5]], [2, 3, 4, 4, 5],
                                           options=("MulOptions",))))
    with np.errstate(over="ignore", invalid="ignore"):
        want = (np.broadcast_to(a, (2, 3, 4, 4, 5)) * np.broadcast_to(b, (2, 3, 4, 4, 5))).astype(F32)
    assert same_bits(ours.invoke([a, b])[0], np.clip(want, -MAX, MAX)).all()


# ---- ADD_N, reductions, cumulative sums, softmax


def test_add_n_bit_exact() -> None:
    xs = [values(900, s) for s in range(4)]
    n = min(x.size for x in xs)
    xs = [x[:n] for x in xs]
    check(one_op("ADD_N", [[n]] * 4, [n], options=("AddNOptions",)), xs)


@st.composite
def _reduce_case(draw):
    op = draw(st.sampled_from(["SUM", "MEAN", "REDUCE_MAX", "REDUCE_MIN"]))
    nd = draw(st.integers(1, 4))
    shape = draw(st.lists(st.integers(1, 6), min_size=nd, max_size=nd))
    axes = draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd))
    return op, shape, axes, draw(st.booleans()), draw(st.integers(0, 2**16))


@settings(max_examples=16, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_reduce_case())
def test_reductions_bit_exact(case) -> None:
    """Summation order matters in float: every output must add its inputs in TFLM's order."""
    op, shape, axes, keep, seed = case
    red = {a % len(shape) for a in axes}
    out = [1 if d in red else s for d, s in enumerate(shape)] if keep else [s for d, s in enumerate(shape)
                                                                            if d not in red]
    x = (np.random.default_rng(seed).standard_normal(shape) * 10.0 ** np.random.default_rng(seed).uniform(
        -3, 3, shape)).astype(F32)
    model = one_op(op, [shape, [len(axes)]], out, options=("ReducerOptions", {"keepDims": keep}),
                   consts={1: np.array(axes, np.int32)})
    check(model, [x])


def test_mean_spatial_4d_and_specials() -> None:
    x = values(4 * 5 * 6 * 3, 9)[:360].reshape(4, 5, 6, 3)
    model = one_op("MEAN", [[4, 5, 6, 3], [2]], [4, 1, 1, 3], options=("ReducerOptions", {"keepDims": True}),
                   consts={1: np.array([2, 1], np.int32)})
    check(model, [x])


def test_cumsum_bit_exact() -> None:
    x = values(400, 5)[:3 * 7 * 19].reshape(3, 7, 19)
    ops = [(f"cumsum_{axis}_{int(e)}{int(r)}", "CUMSUM", ("CumsumOptions", {"exclusive": e, "reverse": r}),
            {1: np.array(axis, np.int32)}, [3, 7, 19])
           for axis in (0, 1, -1) for e in (False, True) for r in (False, True)]
    check(many_ops([[3, 7, 19]], ops), [x])


def test_softmax_bit_exact() -> None:
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((40, 17)) * 10.0 ** rng.uniform(-2, 1.5, (40, 1))).astype(F32)
    x[0, 3], x[1, :] = np.inf, 7.0  # an infinite logit; a constant row
    ops = [(f"softmax_{k}", "SOFTMAX", ("SoftmaxOptions", {"beta": beta}), {}, [40, 17])
           for k, beta in enumerate([1.0, 0.3, 2.7])]
    ops.append(("log_softmax", "LOG_SOFTMAX", ("LogSoftmaxOptions",), {}, [40, 17]))
    check(many_ops([[40, 17]], ops), [x])


# ---- CAST with a float32 side

_INT_RANGES = {"int8": np.int8, "int16": np.int16, "int32": np.int32, "uint32": np.uint32}


def _tensor(m: FlatModel, name: str, shape: list[int], dtype: str) -> int:
    if dtype != "uint32":
        return m.tensor(name, shape, dtype)
    k = m.tensor(name, shape, "int32")
    m.tensors[k].type = m.fb.TensorType.UINT32
    return k


def _casts(chain: list[str], x: np.ndarray) -> None:
    """x (chain[0]) -> CAST -> chain[1] -> CAST -> ... -> output."""
    m = FlatModel()
    ts = [_tensor(m, f"t{k}", [x.size], d) for k, d in enumerate(chain)]
    for a, b in zip(ts[:-1], ts[1:], strict=True):
        m.op("CAST", [a], [b], m.fb.CastOptionsT(), "CastOptions")
    check(m.finish([ts[0]], [ts[-1]]), [x])


@pytest.mark.parametrize("src", ["int8", "int16", "int32", "bool"])
def test_cast_to_float(src: str) -> None:
    rng = np.random.default_rng(len(src))
    if src == "bool":
        x = rng.integers(0, 2, 500).astype(np.bool_)
    else:
        info = np.iinfo(_INT_RANGES[src])
        x = np.concatenate([[info.min, info.max, 0, 1, -1],
                            rng.integers(info.min, info.max, 500, dtype=np.int64, endpoint=True)])
        if src == "int32":
            x = np.concatenate([x, [16777217, -16777217, 2**31 - 65, 2**31 - 64, 123456789]])
        x = x.astype(_INT_RANGES[src])
    _casts([src, "float32"], x)


@pytest.mark.parametrize("dst", ["int8", "int16", "int32", "uint32"])
def test_cast_from_float(dst: str) -> None:
    """Truncation toward zero, saturating outside the type (NaN -> 0) like TFLM's host build;
    uint32 goes back to float32 (uint32 is no model output type)."""
    edges = np.array([127.9, 128.0, -128.9, -129.0, 255.0, 256.0, 32767.5, 32768.0, -32768.9, -32769.0,
                      2147483520.0, 2147483648.0, -2147483648.0, -2147483904.0, 4294967040.0, 4294967296.0,
                      -0.99, -1.0, 3e9, 1e10, -1e10], F32)
    v = np.concatenate([values(3000, seed=len(dst)), edges])
    _casts(["float32", dst, "float32"] if dst == "uint32" else ["float32", dst], v)


def test_cast_float_to_float_copies() -> None:
    _casts(["float32", "float32"], values(500, seed=3))


# ---- which models are float, and how unsupported float ops are named


def test_float_model_error_names_an_op_without_float_kernel() -> None:
    m = FlatModel()
    x = m.tensor("x", [1, 8], "float32")
    w = m.tensor("w", [4, 8], "float32", data=np.ones((4, 8), F32))
    h = m.tensor("h", [1, 4], "float32")
    y = m.tensor("y", [1, 4], "float32")
    m.op("FULLY_CONNECTED", [x, w, -1], [h], m.fb.FullyConnectedOptionsT(), "FullyConnectedOptions")
    m.op("TANH", [h], [y], None, "NONE")
    with pytest.raises(TfcError, match="the model is float .*FULLY_CONNECTED"):
        compile_tflite(m.finish([x], [y]))


def test_float_op_without_kernel_in_an_int8_model_names_op_and_type() -> None:
    m = FlatModel()
    q = m.tensor("q", [1, 8], "int8", scale=0.1, zero_point=0)
    f = m.tensor("f", [1, 8], "float32")
    y = m.tensor("y", [1, 8], "float32")
    m.op("DEQUANTIZE", [q], [f], None, "NONE")
    m.op("GELU", [f], [y], m.fb.GeluOptionsT(), "GeluOptions")
    with pytest.raises(TfcError, match=r"GELU .*float32\) is not supported"):
        compile_tflite(m.finish([q], [y]))


def test_all_float_model_of_float_kernels_compiles() -> None:
    """Every op has a float32 kernel (here the hybrid EMBEDDING_LOOKUP's int8 table): it compiles."""
    m = FlatModel()
    ids = m.tensor("ids", [3], "int32")
    table = m.tensor("table", [5, 4], "int8", scale=0.25, zero_point=0,
                     data=np.arange(-10, 10, dtype=np.int8).reshape(5, 4))
    y = m.tensor("y", [3, 4], "float32")
    m.op("EMBEDDING_LOOKUP", [ids, table], [y], None, "NONE")
    data = m.finish([ids], [y])
    check(data, [np.array([4, 0, 2], np.int32)])


@pytest.mark.toolchain
def test_float_island_firmware_links_libm(tmp_path) -> None:
    """The generated firmware links newlib's libm (expf, fmodf, ...) for the float kernels."""
    from conftest import require_tool

    from tfcompress.boards import load_board
    from tfcompress.project import build_project, generate_project

    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi libnewlib-arm-none-eabi")
    m = FlatModel()
    q = m.tensor("q", [2, 8], "int8", scale=0.1, zero_point=0)
    f = m.tensor("f", [2, 8], "float32")
    e = m.tensor("e", [2, 8], "float32")
    y = m.tensor("y", [2, 8], "float32")
    m.op("DEQUANTIZE", [q], [f], None, "NONE")
    m.op("EXP", [f], [e], None, "NONE")
    m.op("FLOOR_MOD", [e, f], [y], m.fb.FloorModOptionsT(), "FloorModOptions")
    compile_tflite(m.finish([q], [y])).write(tmp_path / "model")
    info = generate_project(tmp_path / "model", load_board("netduinoplus2"), tmp_path / "fw")
    assert build_project(info.path).elf.is_file()


def test_every_float_kernel_is_clean_under_asan_ubsan(tmp_path) -> None:
    """One model that calls every float kernel file, built with AddressSanitizer + UBSan."""
    import subprocess

    from conftest import require_tool
    from helpers.engine_checks import SAN_FLAGS

    from tfcompress.engine.host import build_executable

    require_tool("cc", "build-essential")
    m = FlatModel()
    fb = m.fb
    shape = [2, 3, 8]
    q = m.tensor("q", shape, "int8", scale=0.07, zero_point=3)
    ids = m.tensor("ids", [4], "int32")
    f = m.tensor("f", shape, "float32")
    m.op("DEQUANTIZE", [q], [f], None, "NONE")
    c8 = m.tensor("c8", [8], "float32", data=np.linspace(-2, 2, 8).astype(F32))
    outs = []

    def out(name: str, op: str, ins: list[int], opts=None, opt_type="NONE", shp=None, dtype="float32") -> None:
        y = m.tensor(name, shp or shape, dtype)
        m.op(op, ins, [y], opts, opt_type)
        outs.append(y)

    add_opts = fb.AddOptionsT()
    add_opts.fusedActivationFunction = 3
    red = fb.ReducerOptionsT()
    cs = fb.CumsumOptionsT()
    cs.exclusive, cs.reverse = True, True
    sm = fb.SoftmaxOptionsT()
    sm.beta = 0.8
    out("sin", "SIN", [f])
    out("add", "ADD", [f, c8], add_opts, "AddOptions")
    out("mean", "MEAN", [f, m.tensor("ax", [1], "int32", data=np.array([1], np.int32))], red, "ReducerOptions",
        [2, 8])
    out("cumsum", "CUMSUM", [f, m.tensor("axis", [], "int32", data=np.array(2, np.int32))], cs, "CumsumOptions")
    out("softmax", "SOFTMAX", [f], sm, "SoftmaxOptions")
    out("log_softmax", "LOG_SOFTMAX", [f], fb.LogSoftmaxOptionsT(), "LogSoftmaxOptions")
    out("add_n", "ADD_N", [f, f, f], fb.AddNOptionsT(), "AddNOptions")
    out("cast", "CAST", [f], fb.CastOptionsT(), "CastOptions", dtype="int16")
    out("less", "LESS", [f, c8], fb.LessOptionsT(), "LessOptions", dtype="bool")
    table = m.tensor("table", [6, 5], "int8", scale=0.5, zero_point=0,
                     data=np.arange(30, dtype=np.int8).reshape(6, 5) - 15)
    out("lookup", "EMBEDDING_LOOKUP", [ids, table], shp=[4, 5])
    model = compile_tflite(m.finish([q, ids], outs))
    exe = build_executable(model, tmp_path / "build", SAN_FLAGS)
    rng = np.random.default_rng(0)
    x = [rng.integers(-128, 128, shape).astype(np.int8), np.array([5, 0, 3, 1], np.int32)]
    (tmp_path / "in.bin").write_bytes(b"".join(a.tobytes() for a in x))
    proc = subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0 and "runtime error" not in proc.stderr, proc.stderr[-3000:]
    got, at = (tmp_path / "out.bin").read_bytes(), 0
    for t, want in zip(model.outputs, TflmModel(model.model_bytes).invoke(x), strict=True):
        a = np.frombuffer(got[at:at + t.nbytes], dtype=t.np_dtype)
        at += t.nbytes
        assert same_bits(a, np.asarray(want).reshape(-1)).all(), t.name
