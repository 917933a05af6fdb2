"""Engine RAM vs TFLite Micro's arena on the MLPerf Tiny models (measured in the same run).

Usage: .venv/bin/python benchmarks/engine_ram.py [MODEL_DIR] [--json]
Prints per model: our peak RAM (arena + scratch + state), the plain greedy plan, TFLM's arena
(recording allocator total and its activation 'head'), the ratio, and constant bytes in flash.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tfcompress.console import emit_json, format_table
from tfcompress.engine import compile_tflite
from tfcompress.engine.tflm import tflm_arena_breakdown

DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "models" / "mlperf-tiny"


def measure(model_dir: Path) -> list[dict]:
    """One row per .tflite in ``model_dir``."""
    rows = []
    for path in sorted(model_dir.glob("*.tflite")):
        data = path.read_bytes()
        m = compile_tflite(data)
        tflm = tflm_arena_breakdown(data)
        rows.append(dict(model=path.stem, ram_bytes=m.ram_bytes, greedy_bytes=m.plan.greedy_bytes,
                         tflm_arena_bytes=tflm["total"], tflm_head_bytes=tflm["head"],
                         ratio=round(m.ram_bytes / tflm["total"], 3), weights_bytes=m.weights_bytes,
                         tflite_bytes=len(data)))
    return rows


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    model_dir = Path(args[0]) if args else DEFAULT_DIR
    if not model_dir.is_dir():
        print(f"no models at {model_dir}", file=sys.stderr)
        return 2
    rows = measure(model_dir)
    if "--json" in argv:
        emit_json({"models": rows})
    else:
        print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
