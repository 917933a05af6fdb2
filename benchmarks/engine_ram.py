"""Engine RAM vs TFLite Micro's arena on the MLPerf Tiny models (measured in the same run).

Usage: .venv/bin/python benchmarks/engine_ram.py [MODEL_DIR] [--kernels reference,optimized] [--json]
Prints per model and kernel set: our peak RAM (arena + stack scratch + state; optimised kernels'
scratch normally lives in the arena), the plain greedy plan, TFLM's arena (recording allocator
total and its activation 'head'), the ratio, and constant bytes in flash.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tfcompress.console import emit_json, format_table
from tfcompress.engine.compiler import compile_tflite
from tfcompress.tflm import tflm_arena_breakdown

DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "models" / "mlperf-tiny"


def measure(model_dir: Path, kernel_sets: tuple[str, ...] = ("reference",)) -> list[dict]:
    """One row per .tflite in ``model_dir`` and kernel set."""
    rows = []
    for path in sorted(model_dir.glob("*.tflite")):
        data = path.read_bytes()
        tflm = tflm_arena_breakdown(data)
        for kernels in kernel_sets:
            m = compile_tflite(data, kernels=kernels)
            rows.append(dict(model=path.stem, kernels=kernels, ram_bytes=m.ram_bytes,
                             arena_bytes=m.plan.arena_bytes, stack_scratch_bytes=m.scratch_bytes,
                             greedy_bytes=m.plan.greedy_bytes, tflm_arena_bytes=tflm["total"],
                             tflm_head_bytes=tflm["head"], ratio=round(m.ram_bytes / tflm["total"], 3),
                             weights_bytes=m.weights_bytes, tflite_bytes=len(data)))
    return rows


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description="Engine RAM vs TFLite Micro's arena")
    ap.add_argument("model_dir", nargs="?", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--kernels", default="reference", help="kernel sets, comma-separated (reference,optimized)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    model_dir = args.model_dir
    if not model_dir.is_dir():
        print(f"no models at {model_dir}", file=sys.stderr)
        return 2
    rows = measure(model_dir, tuple(k.strip() for k in args.kernels.split(",") if k.strip()))
    if args.json:
        emit_json({"models": rows})
    else:
        print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
