"""Bit-exactness check: the compiled engine vs TFLite Micro's host interpreter on the same inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tfcompress.engine.compiler import CompiledModel, compile_tflite
from tfcompress.engine.ir import DTYPES
from tfcompress.engine.runners import make_runner
from tfcompress.engine.tflm import TflmModel, tflm_arena_breakdown
from tfcompress.errors import TfcError


@dataclass
class ValidationResult:
    """Counts of differing output elements and the memory figures side by side."""

    samples: int
    output_elements: int
    mismatched_elements: int
    mismatched_samples: int
    max_abs_diff: int
    ram_bytes: int
    weights_bytes: int
    tflm_arena_bytes: int
    tflm_arena_head_bytes: int
    board: str
    per_output: list[dict[str, Any]] = field(default_factory=list)
    runner_stats: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.mismatched_elements == 0

    def as_dict(self) -> dict[str, Any]:
        d = dict(vars(self))
        d["ok"] = self.ok
        d["ram_vs_tflm"] = round(self.ram_bytes / self.tflm_arena_bytes, 4) if self.tflm_arena_bytes else None
        d.update(d.pop("runner_stats"))
        return d


def random_inputs(model: CompiledModel, n: int, seed: int) -> np.ndarray:
    """``n`` inputs uniformly random over the input dtype's full quantised range."""
    x = model.input
    dtype = DTYPES[x.dtype][0]
    rng = np.random.default_rng(seed)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max + 1, size=(n, *x.shape), dtype=dtype)
    lo, hi = float_input_range(model)
    return rng.uniform(lo, hi, size=(n, *x.shape)).astype(dtype)


def float_input_range(model: CompiledModel) -> tuple[float, float]:
    """Real range of a float input: what the QUANTIZE that consumes it can represent (+ margin)."""
    g = model.graph
    for op in g.ops:
        if op.name == "QUANTIZE" and op.inputs[0] == g.inputs[0]:
            q = g.t(op.outputs[0])
            lo, hi = (-128 - q.zero_point) * q.scale, (127 - q.zero_point) * q.scale
            margin = 0.1 * (hi - lo)
            return lo - margin, hi + margin
    return -1.0, 1.0


def load_inputs(model: CompiledModel, path: str | Path, n: int | None) -> np.ndarray:
    """Inputs from an .npz (first array, or 'x'/'x_test'): already quantised, or floats quantised
    with the model's input scale/zero point."""
    try:
        data = np.load(path)
    except (OSError, ValueError) as exc:
        raise TfcError(f"cannot read {path}: {exc}", "pass an .npz file with an array of inputs") from None
    keys = [k for k in ("x", "x_test", "inputs") if k in data] or list(data.keys())
    if not keys:
        raise TfcError(f"{path} holds no arrays", "save inputs with np.savez(path, x=...)")
    arr = np.asarray(data[keys[0]])
    t = model.input
    dtype = DTYPES[t.dtype][0]
    if np.issubdtype(arr.dtype, np.floating) and np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        arr = np.clip(np.round(arr / t.scale) + t.zero_point, info.min, info.max).astype(dtype)
    arr = arr.astype(dtype)
    per = t.elements
    if arr.size % per:
        raise TfcError(f"{path}: array {keys[0]} of shape {arr.shape} does not split into inputs of "
                       f"shape {list(t.shape)}", "save one input per row")
    arr = arr.reshape(-1, *t.shape)
    return arr[:n] if n else arr


def validate_model(path_or_bytes: str | Path | bytes, *, board: str = "host", samples: int = 20,
                   seed: int = 0, data: str | Path | None = None, kernels: str = "reference",
                   progress: Any = None, compress_weights: bool = False) -> ValidationResult:
    """Run engine and TFLM on the same inputs and count differing output elements."""
    model = compile_tflite(path_or_bytes, kernels=kernels, compress_weights=compress_weights)
    xs = load_inputs(model, data, samples) if data else random_inputs(model, samples, seed)
    runner = make_runner(board, model)
    oracle = TflmModel(model.model_bytes)
    bad = bad_samples = max_diff = 0
    try:
        items = progress(xs, "validate") if progress else xs
        for x in items:
            ours, ref = runner.run(x), oracle.run(x)
            diff = np.abs(ours.astype(np.int64) - ref.astype(np.int64).reshape(ours.shape))
            n_bad = int((diff != 0).sum())
            bad += n_bad
            bad_samples += int(n_bad > 0)
            max_diff = max(max_diff, int(diff.max(initial=0)))
        stats = dict(runner.stats()) if hasattr(runner, "stats") else {}
    finally:
        runner.close()
    arena = tflm_arena_breakdown(model.model_bytes)
    out = model.output
    per_output = [dict(name=out.name, shape=list(out.shape), elements=out.elements * len(xs),
                       mismatched_elements=bad)]
    return ValidationResult(len(xs), out.elements * len(xs), bad, bad_samples, max_diff, model.ram_bytes,
                            model.weights_bytes, arena["total"], arena.get("head", 0), board, per_output,
                            stats)
