"""Device stage with --jobs 1 vs --jobs N: wall time, CPU time, load average, identical results.

Run:  .venv/bin/python benchmarks/device_jobs.py [--out runs/eye-gaze] [--jobs 1 2]
      [--runtime engine,tflm --tflm-dir ../shared/tflm/cmsis-nn]   (what `make demo` measures)

For each --jobs value, back to back: the run's firmware/ folder is removed (so every variant is
built and measured again; the training stages stay cached: run `make demo` or the pipeline once
first), then `tfcompress pipeline --recipe default --board mps2-an500 --jobs N` runs. Prints the
device stage's wall time (the pipeline's own stage timer), the process's CPU time (its children,
gcc and QEMU, included), /proc/loadavg before and after, and whether results.json is identical
to the first run's apart from timings.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

#: results.json keys that say when, not what: the run's timestamp and stage timings
_WHEN = ("timings", "created")


def _diff(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) if not (path == "" and k in _WHEN) and k != "timings"
                for d in _diff(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("runs/eye-gaze"))
    ap.add_argument("--recipe", default="default")
    ap.add_argument("--board", default="mps2-an500")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--runtime", default=None)
    ap.add_argument("--tflm-dir", default=None)
    ap.add_argument("--logs", type=Path, default=None, help="keep each run's log (stderr) as DIR/jobs-N.log")
    args = ap.parse_args()
    extra = (["--runtime", args.runtime] if args.runtime else []) + (["--tflm-dir", args.tflm_dir] if args.tflm_dir else [])
    first: dict[str, Any] | None = None
    rows = []
    for jobs in args.jobs:
        shutil.rmtree(args.out / "firmware", ignore_errors=True)
        cmd = [sys.executable, "-m", "tfcompress.cli", "pipeline", "--recipe", args.recipe, "--board", args.board,
               "--out", str(args.out), "--jobs", str(jobs), *extra]
        before, cpu0, t0 = _loadavg(), resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=os.environ)
        wall = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if args.logs:
            args.logs.mkdir(parents=True, exist_ok=True)
            (args.logs / f"jobs-{jobs}.log").write_text(proc.stderr)
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            return 1
        results = json.loads((args.out / "results.json").read_text())
        stage = next(v for k, v in results["timings"].items() if k.startswith("device"))
        same = "reference" if first is None else ("identical" if not (d := _diff(first, results)) else f"{len(d)} differ")
        if first is None:
            first = results
        elif d:
            print("\n".join(d[:20]), file=sys.stderr)
        rows.append({"jobs": jobs, "device_stage_s": stage, "process_wall_s": round(wall, 1),
                     "cpu_s": round(cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime, 1),
                     "loadavg_before": before, "loadavg_after": _loadavg(), "results": same})
        print(json.dumps(rows[-1]), flush=True)
    if len(rows) > 1:
        print(f"device stage --jobs {rows[-1]['jobs']} / --jobs {rows[0]['jobs']}: "
              f"{rows[-1]['device_stage_s'] / rows[0]['device_stage_s']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
