"""Bit-exactness check: the compiled engine vs TFLite Micro's host interpreter on the same inputs.

Every output of every sample is compared element by element. Stateful models run their samples
as one sequence in both (state carries over), then both are reset and the first sample is run
again, so a wrong reset shows up too. Where TFLM cannot run a model, TFLite's reference kernels
are the oracle (reported as ``oracle``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tfcompress.engine.compiler import CompiledModel, compile_tflite
from tfcompress.engine.ir import DTYPES, Graph, Tensor
from tfcompress.engine.runners import make_runner
from tfcompress.errors import TfcError
from tfcompress.tflm import OracleError, make_oracle, tflm_arena_breakdown, undefined_rows_blanker


@dataclass
class ValidationResult:
    """Counts of differing output elements and the memory figures side by side."""

    samples: int
    output_elements: int
    mismatched_elements: int
    mismatched_samples: int
    max_abs_diff: float
    ram_bytes: int
    weights_bytes: int
    tflm_arena_bytes: int
    tflm_arena_head_bytes: int
    board: str
    per_output: list[dict[str, Any]] = field(default_factory=list)
    runner_stats: dict[str, Any] = field(default_factory=dict)
    oracle: str = "tflm"
    stateful: bool = False
    runtime: str = "engine"  # on the device: "engine" or "tflm" (TensorFlow Lite Micro)
    float_tolerance: dict[str, float] | None = None  # None: exact (see tfcompress.compare)
    localization: dict[str, Any] | None = None  # first diverging op, host or emulated board (engine/debug.py)
    memory: dict[str, Any] | None = None  # the engine's memory timeline (engine/memory.py)

    @property
    def ok(self) -> bool:
        return self.mismatched_elements == 0

    def as_dict(self) -> dict[str, Any]:
        d = dict(vars(self))
        d["ok"] = self.ok
        d["ram_vs_tflm"] = round(self.ram_bytes / self.tflm_arena_bytes, 4) if self.tflm_arena_bytes else None
        d.update(d.pop("runner_stats"))
        return d


def _value_range(g: Graph, t: Tensor) -> tuple[float, float]:
    """Real range of a float input: what the QUANTIZE that consumes it can represent (+ margin)."""
    for op in g.ops:
        if op.name == "QUANTIZE" and op.inputs[0] == t.index:
            q = g.t(op.outputs[0])
            info = np.iinfo(DTYPES[q.dtype][0])
            lo, hi = (info.min - q.zero_point) * q.scale, (info.max - q.zero_point) * q.scale
            margin = 0.1 * (hi - lo)
            return lo - margin, hi + margin
    return -1.0, 1.0


def _index_range(g: Graph, t: Tensor) -> tuple[int, int] | None:
    """[0, rows - 1] when int input ``t`` is the ids of an EMBEDDING_LOOKUP or the indices of a
    GATHER (an id out of range makes TFLM fail, so random ids stay inside the table)."""
    bounds = []
    for op in g.ops:
        if op.name == "EMBEDDING_LOOKUP" and op.inputs[0] == t.index and len(op.inputs) > 1:
            bounds.append(g.t(op.inputs[1]).shape[0] if g.t(op.inputs[1]).shape else 0)
        elif op.name == "GATHER" and len(op.inputs) > 1 and op.inputs[1] == t.index:
            params = g.t(op.inputs[0]).shape
            axis = int(op.options.get("axis", 0))
            bounds.append(params[axis % len(params)] if params else 0)
        elif t.index in op.inputs:
            return None
    return (0, min(bounds) - 1) if bounds and min(bounds) > 0 else None


def random_input(g: Graph, t: Tensor, rng: np.random.Generator) -> np.ndarray:
    """One random value of input ``t``: integers over the dtype's full range (int32/int64: a
    small range around zero, or the valid rows when they are EMBEDDING_LOOKUP / GATHER indices),
    booleans, floats over what the consuming QUANTIZE represents."""
    dtype = DTYPES[t.dtype][0]
    if dtype == np.bool_:
        return rng.integers(0, 2, size=t.shape).astype(np.bool_)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        lo, hi = (info.min, info.max) if info.bits <= 16 else (_index_range(g, t) or (-1000, 1000))
        return rng.integers(lo, hi + 1, size=t.shape, dtype=np.int64).astype(dtype)
    lo, hi = _value_range(g, t)
    return rng.uniform(lo, hi, size=t.shape).astype(dtype)


def random_inputs(model: CompiledModel, n: int, seed: int) -> list[list[np.ndarray]]:
    """``n`` samples, each one random array per model input."""
    rng = np.random.default_rng(seed)
    return [[random_input(model.graph, t, rng) for t in model.inputs] for _ in range(n)]


def float_input_range(model: CompiledModel) -> tuple[float, float]:
    """Real range of input 0 when it is float (see :func:`random_input`)."""
    return _value_range(model.graph, model.input)


def load_inputs(model: CompiledModel, path: str | Path, n: int | None) -> list[list[np.ndarray]]:
    """Samples from an .npz: one array per model input, named ``x`` / ``x_test`` / ``inputs`` for a
    single input, or ``x0``, ``x1``, ... (or the inputs' tensor names) for several. Floats are
    quantised with each input's scale/zero point."""
    try:
        data = np.load(path)
    except (OSError, ValueError) as exc:
        raise TfcError(f"cannot read {path}: {exc}", "pass an .npz file with an array of inputs") from None
    tensors = model.inputs
    if len(tensors) == 1:
        keys = [k for k in ("x", "x_test", "inputs", "x0", tensors[0].name) if k in data] or list(data.keys())[:1]
    else:
        keys = []
        for i, t in enumerate(tensors):
            key = next((k for k in (f"x{i}", t.name) if k in data), None)
            if key is None:
                raise TfcError(f"{path} has no array for input {i} ('{t.name}')",
                               "save one array per input: np.savez(path, x0=..., x1=..., ...)")
            keys.append(key)
    if not keys:
        raise TfcError(f"{path} holds no arrays", "save inputs with np.savez(path, x=...)")
    per_input = []
    for key, t in zip(keys, tensors, strict=False):
        arr = np.asarray(data[key])
        dtype = DTYPES[t.dtype][0]
        if np.issubdtype(arr.dtype, np.floating) and np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            arr = np.clip(np.round(arr / t.scale) + t.zero_point, info.min, info.max)
        arr = arr.astype(dtype)
        if arr.size % t.elements:
            raise TfcError(f"{path}: array {key} of shape {arr.shape} does not split into inputs of "
                           f"shape {list(t.shape)}", "save one input per row")
        per_input.append(arr.reshape(-1, *t.shape))
    count = min(len(a) for a in per_input)
    samples = [[a[k] for a in per_input] for k in range(count)]
    return samples[:n] if n else samples


def _compare(ours: list[np.ndarray], ref: list[np.ndarray],
             tolerance: dict[str, float] | None = None) -> list[tuple[int, float]]:
    """(differing elements, max |difference|) per output (floats within ``tolerance`` when given)."""
    from tfcompress.compare import max_abs_diff, same_elements

    out = []
    for a, b in zip(ours, ref, strict=True):
        b = np.asarray(b).reshape(a.shape)
        out.append((int((~same_elements(a, b, tolerance)).sum()), max_abs_diff(a, b)))
    return out


def _emulated(board: str) -> bool:
    from tfcompress.boards import load_board

    try:
        return bool(load_board(board).emulated)
    except TfcError:
        return False


def _memory(model: CompiledModel, firmware: Any, board: str) -> dict[str, Any]:
    """The memory timeline; with the firmware the runner built, each op's kernel code from its map."""
    from tfcompress.engine.memory import attach_code_bytes, memory_timeline

    mem = memory_timeline(model)
    if firmware is not None:
        from tfcompress.project.mapfile import kernel_code_bytes

        attach_code_bytes(mem, kernel_code_bytes(firmware.project.path / "firmware.map"), f"firmware for {board}")
    return mem


def validate_model(path_or_bytes: str | Path | bytes, *, board: str = "host", samples: int = 20,
                   seed: int = 0, data: str | Path | None = None, kernels: str = "reference",
                   progress: Any = None, compress_weights: bool = False, runtime: str = "engine",
                   tflm_dir: str | Path | None = None, profile: bool = False,
                   localize: bool | None = None) -> ValidationResult:
    """Run engine (or, ``runtime="tflm"``, TensorFlow Lite Micro built from ``tflm_dir`` in
    firmware) and TFLM's host interpreter on the same inputs and count differing output elements.

    ``profile``: a profiling build on the board; the result's runner stats then hold ``layers``
    (per-op counts) and ``profile`` (how they add up to the whole run). ``localize``: also compare
    every op's output (the engine's debug build on the host, or its debug firmware on the board,
    against TFLM with every tensor kept) and name the first op that differs; None (default) does it
    when the outputs differ. Only for the engine runtime."""
    from tfcompress.compare import tolerance_for

    if runtime == "tflm":
        from tfcompress.project.tflm import prepare_tflm, resolve_tree

        model: Any = prepare_tflm(path_or_bytes, resolve_tree(tflm_dir))
    else:
        model = compile_tflite(path_or_bytes, kernels=kernels, compress_weights=compress_weights)
    tolerance = tolerance_for(runtime)
    xs = load_inputs(model, data, samples) if data else random_inputs(model, samples, seed)
    oracle = make_oracle(model.model_bytes, probe=xs[0] if xs else None)
    runner = make_runner(board, model, runtime, profile=profile)
    n_out = len(model.outputs)
    bad = [0] * n_out
    bad_samples, max_diff = 0, 0.0
    sequence = list(xs) + ([xs[0]] if model.stateful and xs else [])
    # TFLM on the device leaves some output rows undefined, as the oracle does (which reports them as 0)
    device_tflm = undefined_rows_blanker(model.model_bytes) if runtime == "tflm" else (lambda outs: outs)
    try:
        items = progress(sequence, "validate") if progress else sequence
        for k, x in enumerate(items):
            if model.stateful and k == len(xs):  # after the sequence: reset both, run sample 0 again
                runner.reset()
                oracle.reset()
            ours = device_tflm(runner.invoke(x))
            ref = oracle.invoke(x)
            cmp = _compare(ours, ref, tolerance)
            n_bad = sum(c[0] for c in cmp)
            for i, (nb, _) in enumerate(cmp):
                bad[i] += nb
            bad_samples += int(n_bad > 0)
            max_diff = max([max_diff] + [c[1] for c in cmp])
        stats = dict(runner.stats()) if hasattr(runner, "stats") else {}
        firmware = getattr(runner, "firmware", None)
    finally:
        runner.close()
    try:
        arena = tflm_arena_breakdown(model.model_bytes)
    except OracleError:
        arena = {"total": 0, "head": 0}
    per_output = [dict(name=t.name, shape=list(t.shape), dtype=t.dtype, elements=t.elements * len(sequence),
                       mismatched_elements=bad[i]) for i, t in enumerate(model.outputs)]
    total = sum(t.elements for t in model.outputs) * len(sequence)
    if not any(t.dtype.startswith("float") for t in model.outputs):
        max_diff = int(max_diff)
    where = None
    if runtime == "engine" and (localize or (localize is None and sum(bad))):
        from tfcompress.engine.debug import localize as run_localize

        # on an emulated board its debug firmware; elsewhere the engine's debug build on the host
        scope = board if board != "host" and _emulated(board) else "host"
        where = run_localize(model, xs, board=scope).as_dict()
        if scope != board:
            where["note"] = (f"compared on the host: the debug firmware runs on emulated boards, not on {board}; "
                             "a mismatch the host build does not show comes from the run on the board")
    # TFLM: the RAM figure is the arena the firmware reports it uses (arena_used_bytes())
    ram = int(stats.get("arena_used_bytes") or model.ram_bytes) if runtime == "tflm" else model.ram_bytes
    return ValidationResult(len(sequence), total, sum(bad), bad_samples, max_diff, ram,
                            model.weights_bytes, arena["total"], arena.get("head", 0), board, per_output,
                            stats, oracle.name, model.stateful, runtime,
                            tolerance if any(t.dtype.startswith("float") for t in model.outputs) else None,
                            where, _memory(model, firmware, board) if runtime == "engine" else None)
