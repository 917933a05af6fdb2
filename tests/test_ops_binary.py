"""Element-wise binary ops, comparisons, logical ops and selects: bit-exact with the oracle (TFLite
Micro; TFLite's reference kernels where TFLM has no kernel for the type) in both kernel sets, on
hand-written one-op models with random quantisation, broadcasting, constant operands and fused
activations. Several independent ops share one model, so one C build checks many parameter sets.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import require_tool
from helpers.engine_checks import SAN_FLAGS
from helpers.op_models import Net, check, random_values
from hypothesis import given, settings
from hypothesis import strategies as st

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.host import HostModel, build_executable
from tfcompress.engine.ir import Graph, Op, Tensor
from tfcompress.engine.ops.elementwise import BCAST_DIMS, broadcast
from tfcompress.errors import TfcError

COMPARISONS = ("EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL")
QUANTISED = ("int8", "int16")


def _q(rng: np.random.Generator, dtype: str) -> tuple[float, int]:
    """A random scale and zero point (int16: zero point 0, as TFLM requires)."""
    scale = float(np.float32(10 ** rng.uniform(-3.5, -0.5)))
    return scale, (int(rng.integers(-128, 128)) if dtype == "int8" else 0)


# ---- broadcasting on the host ---------------------------------------------------------------

def _walk(shape: list[int], strides: list[int]) -> np.ndarray:
    """The element offsets a kernel reads, in output order."""
    idx = np.indices(shape).reshape(len(shape), -1)
    return (np.asarray(strides)[:, None] * idx).sum(axis=0)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_broadcast_walks_numpy_broadcasting(data) -> None:
    rank = data.draw(st.integers(1, 8))
    out = data.draw(st.lists(st.integers(1, 3), min_size=rank, max_size=rank))
    shapes = []
    for _ in range(3):
        keep = data.draw(st.lists(st.booleans(), min_size=rank, max_size=rank))
        r = data.draw(st.integers(0, rank))
        shapes.append(tuple(d if k else 1 for d, k in zip(out, keep, strict=True))[rank - r:])
    ts = [Tensor(i, f"x{i}", s, "int8") for i, s in enumerate(shapes)]
    y = Tensor(9, "y", tuple(out), "int8")
    op = Op(0, "SELECT_V2", {}, [0, 1, 2], [9])
    try:
        loop, strides = broadcast(Graph.__new__(Graph), op, ts, y)
    except TfcError as err:
        assert "loop levels" in err.what and rank > 6  # TFLM's ranks (<= 6) always fit
        return
    assert len(loop) <= BCAST_DIMS and int(np.prod(loop)) == int(np.prod(out))
    for t, s in zip(ts, strides, strict=True):
        want = np.broadcast_to(np.arange(int(np.prod(t.shape))).reshape(t.shape), out).reshape(-1)
        assert np.array_equal(_walk(loop, s), want), (t.shape, out, loop, s)


def test_broadcast_merges_dimensions_and_names_impossible_shapes() -> None:
    ts = [Tensor(0, "a", (2, 3, 1, 1, 5, 1, 1, 7), "int8"), Tensor(1, "b", (1, 1, 4, 6, 5, 1, 2, 7), "int8")]
    y = Tensor(2, "y", (2, 3, 4, 6, 5, 1, 2, 7), "int8")
    loop, strides = broadcast(Graph.__new__(Graph), Op(0, "ADD", {}, [0, 1], [2]), ts, y)
    assert loop == [6, 24, 5, 2, 7] and strides == [[35, 0, 7, 0, 1], [0, 70, 14, 7, 1]]
    bad = [Tensor(0, "a", (3, 4), "int8"), Tensor(1, "b", (2, 4), "int8")]
    with pytest.raises(TfcError, match="do not broadcast"):
        broadcast(Graph.__new__(Graph), Op(0, "ADD", {}, [0, 1], [2]), bad, Tensor(2, "y", (3, 4), "int8"))


# ---- quantised arithmetic -------------------------------------------------------------------

#: (shape of a, shape of b, output shape): equal, scalar, row, column, rank-mismatched, 5-D
SHAPES = [((2, 3, 4), (2, 3, 4), (2, 3, 4)), ((2, 3, 4), (), (2, 3, 4)), ((1, 3, 1), (2, 1, 4), (2, 3, 4)),
          ((4,), (2, 3, 4), (2, 3, 4)), ((2, 1, 3, 1, 2), (1, 2, 1, 2, 2), (2, 2, 3, 2, 2))]


def _arith_net(op: str, dtype: str, seed: int, const: bool = False) -> Net:
    rng = np.random.default_rng(seed)
    net = Net()
    for k, (sa, sb, sy) in enumerate(SHAPES):
        qa, qb, qy = (_q(rng, dtype) for _ in range(3))
        if op in ("MAXIMUM", "MINIMUM"):
            qb = qy = qa
        a = net.input(sa, dtype, qa)
        b = net.operand(sb, dtype, qb, rng, const)
        act = int(rng.integers(0, 4)) if op in ("ADD", "SUB", "MUL", "DIV") else 0
        ins = [b, a] if k % 2 else [a, b]
        net.op(op, ins, sy, dtype, qy, act=act)
    return net


@pytest.mark.parametrize("op,dtype", [("SUB", "int8"), ("SUB", "int16"), ("ADD", "int8"), ("ADD", "int16"),
                                      ("MUL", "int8"), ("MUL", "int16"), ("SQUARED_DIFFERENCE", "int8"),
                                      ("SQUARED_DIFFERENCE", "int16"), ("MAXIMUM", "int8"), ("MAXIMUM", "int16"),
                                      ("MINIMUM", "int8"), ("MINIMUM", "int16")])
def test_quantised_binary_ops_random_quantisation(op: str, dtype: str) -> None:
    for seed in range(2):
        check(_arith_net(op, dtype, seed, const=seed == 1), seed=seed, oracle="tflm")


def test_int16_many_pairs() -> None:
    """32768 random int16 pairs (a row against a column) per op, two random quantisations each:
    the rare rounding boundaries where Q31 multipliers one step apart give different results."""
    rng = np.random.default_rng(19)
    net = Net()
    for name in ("ADD", "SUB", "MUL", "SQUARED_DIFFERENCE") * 2:
        qa, qb, qy = (_q(rng, "int16") for _ in range(3))
        a = net.input((1, 256), "int16", qa)
        b = net.input((128, 1), "int16", qb)
        net.op(name, [a, b], (128, 256), "int16", qy)
    for _ in range(2):  # PRELU: int16 input against every int8 alpha
        qx, qa, qy = _q(rng, "int16"), _q(rng, "int8"), _q(rng, "int16")
        alpha = net.const(np.arange(-128, 128, dtype=np.int8).reshape(1, 256), "int8", qa)
        net.op("PRELU", [net.input((128, 1), "int16", qx), alpha], (128, 256), "int16", qy)
    check(net, samples=2, oracle="tflm")


def test_div_int8_random_quantisation_and_zero_divisors() -> None:
    """TFLM's int8 DIV, including divisors equal to their zero point (a zero denominator) and
    dividends near zero (the final rounding shift above 31)."""
    rng = np.random.default_rng(5)
    net = Net()
    for k, (sa, sb, sy) in enumerate(SHAPES):
        qa, qb, qy = (_q(rng, "int8") for _ in range(3))
        a = net.input(sa, "int8", qa)
        b = net.input(sb, "int8", qb) if k % 2 and sb else net.const(
            np.clip(qb[1] + rng.integers(-3, 4, sb), -128, 127).astype(np.int8), "int8", qb)
        net.op("DIV", [a, b], sy, "int8", qy, act=int(rng.integers(0, 4)))
    near = net.input((6, 7), "int8", (0.02, 3), value_range=(0, 6))  # dividends -3 .. 3
    den = net.const(np.arange(-100, 110, 5)[:42].reshape(6, 7).astype(np.int8), "int8", (0.5, -1))
    net.op("DIV", [near, den], (6, 7), "int8", (0.001, 0))
    check(net, samples=6, oracle="tflm")


def test_prelu_alpha_broadcast() -> None:
    rng = np.random.default_rng(2)
    for dtype in ("int8", "int16"):
        net = Net()
        for alpha_shape in [(5,), (1, 1, 5), (3, 4, 5), (3, 1, 1)]:
            qx, qa, qy = _q(rng, dtype), _q(rng, "int8"), _q(rng, dtype)
            x = net.input((3, 4, 5), dtype, qx)
            alpha = net.const(rng.integers(-128, 128, alpha_shape).astype(np.int8), "int8", qa)
            net.op("PRELU", [x, alpha], (3, 4, 5), dtype, qy)
        check(net, oracle="tflm")


def test_sub_multipliers_in_double_precision() -> None:
    """The TFLM package computes SUB's multipliers in double, as ADD's (an older tree's float
    arithmetic gives Q31 multipliers one step apart, and here -4727 instead of -4726)."""
    net = Net()
    a = net.const(np.array([-16399], np.int16), "int16", (0.00317170936614275, 0))
    b = net.input((1,), "int16", (0.02077758125960827, 0), values=np.array([5311]))
    net.op("SUB", [a, b], (1,), "int16", (0.03435155004262924, 0))
    check(net, samples=1, oracle="tflm")


def test_every_int8_pair() -> None:
    """Every pair of int8 values (a row against a column: 65536 elements per op) through the
    quantised ops and the comparisons, with random quantisation."""
    rng = np.random.default_rng(11)
    values = np.arange(-128, 128, dtype=np.int8)
    net = Net()
    for name in ("ADD", "SUB", "MUL", "SQUARED_DIFFERENCE", "DIV", "PRELU", "LESS", "EQUAL", "GREATER_EQUAL"):
        qa, qb, qy = (_q(rng, "int8") for _ in range(3))
        a = net.input((1, 256), "int8", qa, values=values)
        b = net.input((256, 1), "int8", qb, values=values)
        comparison = name in COMPARISONS
        net.op(name, [a, b], (256, 256), "bool" if comparison else "int8", None if comparison else qy)
    check(net, samples=1, oracle="tflm")


# ---- comparisons ----------------------------------------------------------------------------

def test_int8_comparisons_follow_tflm_rescaling() -> None:
    """int8 operands are compared after TFLM's (v - zp) << 8 times scale: close values of
    different scales can compare otherwise than their real values do."""
    rng = np.random.default_rng(3)
    net = Net()
    for k, name in enumerate(COMPARISONS * 2):
        sa, sb, sy = SHAPES[k % len(SHAPES)]
        qa, qb = _q(rng, "int8"), _q(rng, "int8")
        if k < len(COMPARISONS):
            qb = (qa[0] * float(rng.choice([1.0, 0.5, 2.0])), qa[1])  # many exact ties
        a = net.input(sa, "int8", qa)
        b = net.operand(sb, "int8", qb, rng, k % 3 == 0)
        net.op(name, [a, b], sy, "bool")
    check(net, samples=6, oracle="tflm")


def test_int16_greater_is_tflms() -> None:
    """TFLM's int16 GREATER rescales with parameters its Prepare never sets (zero): always false.
    The engine matches the oracle, not numpy."""
    net = Net()
    x = net.input((1, 4, 6), "int16", (0.0005, 0))
    c = net.const(np.array([-20000, -5, 0, 7, 900, 20000], np.int16), "int16", (0.0005, 0))
    net.op("GREATER", [x, c], (1, 4, 6), "bool")
    net.op("GREATER", [c, x], (1, 4, 6), "bool")
    check(net, samples=4, oracle="tflm")


@pytest.mark.parametrize("dtype", ["int16", "int32", "bool"])
def test_comparisons_of_other_types(dtype: str) -> None:
    """int32 and bool compare raw values in TFLM; int16 (other than GREATER) runs on
    TFLite's reference kernels (at most 4-D there), which rescale EQUAL / NOT_EQUAL like int8 and
    compare raw values otherwise."""
    rng = np.random.default_rng(4)
    names = ("EQUAL", "NOT_EQUAL") if dtype == "bool" else COMPARISONS
    if dtype == "int16":
        names = tuple(n for n in names if n != "GREATER")
    q = (0.001, 0) if dtype == "int16" else None
    net = Net()
    shapes = SHAPES[:4] if dtype == "int16" else SHAPES
    for k, name in enumerate(names * 2 if dtype == "int16" else names):
        sa, sb, sy = shapes[k % len(shapes)]
        rngs = (-5, 5)  # many ties
        a = net.input(sa, dtype, q, value_range=rngs)
        b = net.operand(sb, dtype, q, rng, k % 2 == 0, rngs)
        net.op(name, [a, b], sy, "bool")
    check(net, samples=4, oracle="tflite-reference" if dtype == "int16" else "tflm")


# ---- logical ops and selects ----------------------------------------------------------------

def test_logical_ops_broadcast() -> None:
    net = Net()
    rng = np.random.default_rng(15)
    for k, (sa, sb, sy) in enumerate(SHAPES):
        a, b = net.input(sa, "bool"), net.operand(sb, "bool", None, rng, False)
        net.op("LOGICAL_AND" if k % 2 else "LOGICAL_OR", [a, b], sy, "bool")
        net.op("LOGICAL_OR" if k % 2 else "LOGICAL_AND", [b, a], sy, "bool")
    net.op("LOGICAL_NOT", [net.inputs[0]], SHAPES[0][0], "bool")
    check(net, oracle="tflm")


#: (condition, x, y, output) shapes of a three-way broadcast
SELECT_SHAPES = [((2, 3, 4),) * 4, ((), (2, 3, 4), (2, 3, 4), (2, 3, 4)), ((2, 1, 4), (1, 3, 1), (4,), (2, 3, 4)),
                 ((3, 1), (2, 1, 2), (1, 3, 2), (2, 3, 2))]


@pytest.mark.parametrize("dtype,oracle", [("int8", "tflm"), ("int16", "tflm"), ("float32", "tflm"),
                                          ("int32", "tflite-reference"), ("bool", "tflite-reference")])
def test_select_v2_three_way_broadcast(dtype: str, oracle: str) -> None:
    rng = np.random.default_rng(6)
    q = (0.02, 3) if dtype == "int8" else (0.001, 0) if dtype == "int16" else None
    net = Net()
    for k, (sc, sx, sy, so) in enumerate(SELECT_SHAPES):
        c = net.operand(sc, "bool", None, rng, False)
        x = net.input(sx, dtype, q)
        y = net.operand(sy, dtype, q, rng, k % 2 == 1)
        net.op("SELECT_V2", [c, x, y], so, dtype, q)
    net.integer_anchor()
    check(net, oracle=oracle)


def test_select_v1_rank_one_condition() -> None:
    """SELECT (TFLite's reference kernels: TFLM has no SELECT): a condition of x's shape, a scalar,
    or one flag per row of x."""
    net = Net()
    rng = np.random.default_rng(13)
    for sc in [(3, 4), (), (3,)]:
        c = net.operand(sc, "bool", None, rng, False)
        x, y = net.input((3, 4), "int8", (0.02, 1)), net.input((3, 4), "int8", (0.02, 1))
        net.op("SELECT", [c, x, y], (3, 4), "int8", (0.02, 1))
    check(net, oracle="tflite-reference")


# ---- int32, float and ADD_N -----------------------------------------------------------------

def test_int32_arithmetic_with_activations() -> None:
    """ADD (no activation in TFLM), SUB, MUL, DIV (truncating), SQUARED_DIFFERENCE, MAXIMUM and
    MINIMUM on unquantised int32, wrapping where TFLM wraps."""
    rng = np.random.default_rng(8)
    net = Net()
    for k, name in enumerate(["ADD", "SUB", "MUL", "DIV", "SQUARED_DIFFERENCE", "MAXIMUM", "MINIMUM"] * 2):
        sa, sb, sy = SHAPES[k % len(SHAPES)]
        a = net.input(sa, "int32")
        if name == "DIV":  # a zero divisor traps in TFLM: constant divisors without zeros
            d = rng.integers(1, 60, sb) * rng.choice([-1, 1], sb)
            b = net.const(np.asarray(d, np.int32), "int32")
        else:
            b = net.operand(sb, "int32", None, rng, False)
        act = int(rng.integers(0, 4)) if name in ("ADD", "SUB", "MUL", "DIV") else 0
        net.op(name, [a, b], sy, "int32", act=act)
    big = net.input((8,), "int32", value_range=(2**31 - 2000, 2**31 - 1))  # wrapping sums and products
    net.op("ADD", [big, big], (8,), "int32")
    net.op("MUL", [big, big], (8,), "int32")
    net.op("SUB", [net.const(np.full(8, -2**31 + 5, np.int32), "int32"), big], (8,), "int32")
    check(net, oracle="tflm")


def test_floor_div_floor_mod_int32() -> None:
    """int32 (TFLite's reference kernels) with every sign combination; constant divisors without
    zeros (a zero divisor traps in TFLite)."""
    rng = np.random.default_rng(16)
    net = Net()
    for sa, sb, sy in SHAPES[:4]:
        a = net.input(sa, "int32", value_range=(-50, 50))
        b = net.const(np.asarray(rng.integers(1, 9, sb) * rng.choice([-1, 1], sb)), "int32")
        net.op("FLOOR_DIV", [a, b], sy, "int32")
        net.op("FLOOR_MOD", [a, b], sy, "int32")
    check(net, samples=4, oracle="tflite-reference")


@pytest.mark.parametrize("dtype,oracle", [("int8", "tflm"), ("int32", "tflite-reference")])
def test_add_n(dtype: str, oracle: str) -> None:
    rng = np.random.default_rng(9)
    net = Net()
    for n in (2, 3, 5):
        q = _q(rng, "int8") if dtype == "int8" else None
        ins = [net.input((3, 4), dtype, q) for _ in range(n - 1)] + [net.const(random_values(dtype, (3, 4), rng), dtype, q)]
        net.op("ADD_N", ins, (3, 4), dtype, _q(rng, "int8") if dtype == "int8" else None)
    check(net, oracle=oracle)


# ---- broadcasting in the models, constants, errors ------------------------------------------

def test_six_dimensional_broadcast() -> None:
    """Rank 6 (TFLM's limit) with broadcasting on alternating dimensions: merged to at most five
    loop levels."""
    rng = np.random.default_rng(10)
    net = Net()
    shapes = [((2, 1, 3, 1, 2, 2), (1, 2, 3, 2, 1, 2), (2, 2, 3, 2, 2, 2)),
              ((1, 1, 1, 1, 1, 3), (2, 2, 1, 2, 2, 3), (2, 2, 1, 2, 2, 3))]
    for sa, sb, sy in shapes:
        for name in ("ADD", "SUB", "MUL", "MAXIMUM", "GREATER_EQUAL"):
            qa = _q(rng, "int8")
            qb = qa if name == "MAXIMUM" else _q(rng, "int8")
            qy = None if name == "GREATER_EQUAL" else (qa if name == "MAXIMUM" else _q(rng, "int8"))
            a, b = net.input(sa, "int8", qa), net.input(sb, "int8", qb)
            net.op(name, [a, b], sy, "bool" if qy is None else "int8", qy)
    check(net, oracle="tflm")


def test_both_operands_constant() -> None:
    """An op whose operands are both constants is folded at compile time; the result is the
    oracle's."""
    rng = np.random.default_rng(12)
    net = Net()
    x = net.input((2, 3), "int8", (0.05, 0))
    c1 = net.const(random_values("int8", (2, 3), rng), "int8", (0.05, 0))
    c2 = net.const(random_values("int8", (3,), rng), "int8", (0.03, 2))
    d = net.op("SUB", [c1, c2], (2, 3), "int8", (0.06, -1))
    net.outputs.pop()
    net.op("MAXIMUM", [x, d], (2, 3), "int8", (0.05, 0))
    check(net, oracle="tflm")


def test_unsupported_types_name_the_op_and_tensor() -> None:
    net = Net()
    a, b = net.input((4,), "uint8", (0.1, 128)), net.input((4,), "uint8", (0.1, 128))
    net.op("SUB", [a, b], (4,), "uint8", (0.1, 128))
    with pytest.raises(TfcError, match=r"SUB 't2'.*uint8"):
        compile_tflite(net.bytes())


def _kernels_of(data: bytes) -> set[str]:
    return {lo.kernel for lo in compile_tflite(data).lowered}


def test_int8_add_mul_keep_their_kernels() -> None:
    """ADD/MUL int8 still lower to tfc_add_s8 / tfc_mul_s8 (replaced by the optimised set)."""
    net = Net()
    a, b = net.input((4, 4), "int8", (0.1, 1)), net.input((4, 4), "int8", (0.2, -3))
    net.op("ADD", [a, b], (4, 4), "int8", (0.2, 0))
    net.op("MUL", [a, b], (4, 4), "int8", (0.2, 0))
    assert _kernels_of(net.bytes()) == {"tfc_add_s8", "tfc_mul_s8"}


def _every_kernel_net() -> Net:
    """One model calling every kernel of the family, with int32 operands at their limits."""
    rng = np.random.default_rng(17)
    net = Net()
    for dtype in ("int8", "int16"):
        q = [_q(rng, dtype) for _ in range(3)]
        a, b = net.input((3, 4), dtype, q[0]), net.input((4,), dtype, q[1])
        for name in ("ADD", "SUB", "MUL", "SQUARED_DIFFERENCE", "EQUAL", "GREATER", "LESS_EQUAL"):
            comparison = name in COMPARISONS
            net.op(name, [a, b], (3, 4), "bool" if comparison else dtype, None if comparison else q[2])
        same = net.input((4,), dtype, q[0])
        net.op("MAXIMUM", [a, same], (3, 4), dtype, q[0])
        net.op("MINIMUM", [same, a], (3, 4), dtype, q[0])
        alpha = net.const(rng.integers(-128, 128, (4,)).astype(np.int8), "int8", _q(rng, "int8"))
        net.op("PRELU", [a, alpha], (3, 4), dtype, q[2])
        cond = net.input((3, 1), "bool")
        net.op("SELECT_V2", [cond, a, same], (3, 4), dtype, q[0])
    a8, b8 = net.input((3, 4), "int8", (0.05, 3)), net.input((3, 4), "int8", (0.02, -7))
    net.op("DIV", [a8, b8], (3, 4), "int8", (0.1, 0))
    net.op("ADD_N", [a8, a8, a8], (3, 4), "int8", (0.2, 1))
    limits = np.array([-2**31, -2**31 + 1, -1, 0, 1, 2**31 - 1], np.int64)
    x = net.input((2, 6), "int32", values=np.concatenate([limits, limits[::-1]]))
    y = net.input((6,), "int32", values=np.array([-1, 0, 2**31 - 1, -2**31, 1, -1], np.int64))
    for name in ("ADD", "SUB", "MUL", "DIV", "SQUARED_DIFFERENCE", "FLOOR_DIV", "FLOOR_MOD", "MAXIMUM",
                 "MINIMUM", "LESS", "NOT_EQUAL"):
        net.op(name, [x, y], (2, 6), "bool" if name in COMPARISONS else "int32")
    net.op("ADD_N", [x, x], (2, 6), "int32")
    c1, c2 = net.input((2, 6), "bool"), net.input((6,), "bool")
    for name in ("LOGICAL_AND", "LOGICAL_OR", "EQUAL"):
        net.op(name, [c1, c2], (2, 6), "bool")
    net.op("LOGICAL_NOT", [c1], (2, 6), "bool")
    net.op("SELECT", [net.input((2,), "bool"), x, x], (2, 6), "int32")
    return net


def test_kernels_clean_under_asan_ubsan(tmp_path: Path) -> None:
    """Every kernel of the family (wrapping int32 arithmetic, zero and -1 divisors, INT32_MIN) under
    AddressSanitizer + UBSan: no undefined behaviour, the same outputs as the plain build."""
    require_tool("cc", "build-essential")
    net = _every_kernel_net()
    model = compile_tflite(net.bytes())
    exe = build_executable(model, tmp_path / "build", SAN_FLAGS)
    rng = np.random.default_rng(18)
    specs = [(model.graph.t(i).dtype, tuple(net.m.tensors[i].shape)) for i in net.inputs]
    host = HostModel(model)
    for k in range(3):
        xs = [random_values(dt, shape, rng, r) for (dt, shape), r in zip(specs, net.ranges, strict=True)]
        (tmp_path / "in.bin").write_bytes(b"".join(np.ascontiguousarray(x).tobytes() for x in xs))
        proc = subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0 and "runtime error" not in proc.stderr, proc.stderr[-3000:]
        want = b"".join(np.ascontiguousarray(y).tobytes() for y in host.invoke(xs))
        assert (tmp_path / "out.bin").read_bytes() == want, f"sample {k}"


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2, 12))
def test_random_quantisation_sweep(seed: int) -> None:
    for op in ("SUB", "ADD", "MUL", "SQUARED_DIFFERENCE"):
        for dtype in QUANTISED:
            check(_arith_net(op, dtype, seed, const=seed % 2 == 0), samples=6, seed=seed)
    check(_arith_net("DIV", "int8", seed), samples=6, seed=seed)
