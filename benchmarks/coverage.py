"""Coverage: which models TFLM's host interpreter runs, which the engine compiles, which match TFLM
bit for bit.

Usage (from the repository root, PYTHONPATH=. or an editable install):
    .venv/bin/python benchmarks/coverage.py                     # the committed corpus
    .venv/bin/python benchmarks/coverage.py --zoo               # + the large generated models (cached)
    .venv/bin/python benchmarks/coverage.py DIR [DIR ...]       # + every .tflite under these folders
    .venv/bin/python benchmarks/coverage.py --no-corpus ../shared/models/mlperf-tiny
Options: --kernels reference|optimized, --samples N (engine vs TFLM inputs), --only TEXT, --json,
--timeout S (per model). Where TFLM fails, TFLite's reference kernels (BUILTIN_REF) are tried as the
second oracle ("fails, ref runs"). Each model runs in a worker process, so a crash in native code costs one
row ("crash: ..."), never the run. A TfcError from the engine is "engine rejects: <its line>"; any
other exception is reported as a crash (an engine bug), never hidden.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # the corpus lives in tests/corpus
    sys.path.insert(0, str(REPO))

from tests.corpus.build import FIXTURES, cache_dir  # noqa: E402
from tests.corpus.measure import evaluate  # noqa: E402
from tests.corpus.worker import Worker, WorkerCrash  # noqa: E402


def _corpus(folder: Path) -> list[dict[str, Any]]:
    from tests.corpus.generate import load_manifest

    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return []
    models = load_manifest(manifest)["models"]
    return [dict(model=name, path=str(folder / rec["file"]), invocations=rec.get("invocations", 1),
                 input_ranges=rec.get("input_ranges"), features=rec.get("features", []))
            for name, rec in models.items()]


def _ensure_zoo(log: Any) -> Path:
    """Build the missing or stale zoo entries into the cache."""
    from tests.corpus.build import build
    from tests.corpus.generate import GENERATOR_VERSION, load_manifest
    from tests.corpus.registry import entries

    out = cache_dir()
    manifest = out / "manifest.json"
    have = load_manifest(manifest) if manifest.is_file() else {}
    fresh = have.get("generator", {}).get("version") == GENERATOR_VERSION
    done = set(have.get("models", {})) | set(have.get("not_produced", {})) if fresh else set()
    missing = [e.name for e in entries(zoo=True) if e.name not in done]
    if missing:
        log(f"building {len(missing)} zoo models into {out} (a few minutes, cached afterwards)")
        build(out, zoo=True, names=missing, log=log)
    return out


def _short(reason: str) -> str:
    """A failure reason with names and numbers blanked, to count alike failures together."""
    r = re.sub(r"'[^']*'", "'…'", reason)
    r = re.sub(r"(?<![A-Za-z_\d])\d+", "N", r)  # "#3", "2 inputs"; not "int8" or "CONV_2D"
    return r.split(" — ")[0][:110]


def run(models: list[dict[str, Any]], *, kernels: str, samples: int, timeout: float, log: Any) -> list[dict]:
    rows = []
    with Worker() as w:
        for k, m in enumerate(models, 1):
            row = dict(model=m["model"])
            try:
                row.update(w.call(evaluate, m["path"], m.get("invocations", 1), m.get("input_ranges"),
                                  kernels, samples, timeout=timeout))
            except WorkerCrash as err:
                row.update(tflm_runs=row.get("tflm_runs", False), engine_compiles=False, bit_exact=False,
                           engine=f"crash: worker {err}")
            first = first_failure(row)
            row["reason"] = first
            rows.append(row)
            log(f"[{k}/{len(models)}] {m['model']}: TFLM {'ok' if row.get('tflm_runs') else 'fails'}; "
                f"{'engine bit-exact' if row.get('bit_exact') else (first or '?')[:100]}")
    return rows


def first_failure(row: dict[str, Any]) -> str:
    if not row.get("tflm_runs"):
        return f"TFLM {row.get('tflm', '')}"
    return row.get("engine", "")


def blocker(reason: str) -> str:
    """What stops the engine, as one word: the op it names, else the model-level feature."""
    m = re.search(r"\bop ([A-Z][A-Z0-9_]+) \(#", reason) or re.search(r"rejects: ([A-Z][A-Z0-9_]+) '", reason)
    if m:
        return m.group(1)
    for key, word in (("inputs and", "multi-I/O"), ("subgraphs", "subgraphs"), ("is float", "float model"),
                      ("input/output", "I/O type"), ("differ", "mismatch"), ("crash", "crash")):
        if key in reason:
            return word
    return "other"


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    tflm_rows = [r for r in rows if r.get("tflm_runs")]
    reasons = Counter(_short(r["engine"]) for r in tflm_rows if not r.get("bit_exact") and r.get("engine"))
    blockers = Counter(blocker(r["engine"]) for r in tflm_rows if not r.get("bit_exact") and r.get("engine"))
    return dict(models=len(rows), tflm_runs=len(tflm_rows),
                tflite_ref_runs_where_tflm_fails=sum(bool(r.get("ref_runs")) for r in rows),
                engine_compiles=sum(bool(r.get("engine_compiles")) for r in rows),
                bit_exact=sum(bool(r.get("bit_exact")) for r in rows),
                bit_exact_of_tflm_runs=sum(bool(r.get("bit_exact")) for r in tflm_rows),
                crashes=sum("crash" in (r.get("engine") or "") for r in rows),
                top_reasons=[dict(reason=k, models=v) for k, v in reasons.most_common(15)],
                blockers=dict(blockers.most_common()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Coverage of the engine vs TFLM's host interpreter")
    ap.add_argument("folders", nargs="*", type=Path, help="extra folders of .tflite files (searched recursively)")
    ap.add_argument("--zoo", action="store_true", help="also the large generated models (cached)")
    ap.add_argument("--no-corpus", action="store_true", help="skip the committed corpus")
    ap.add_argument("--kernels", default="reference", choices=["reference", "optimized"])
    ap.add_argument("--samples", type=int, default=3, help="random inputs per model for engine vs TFLM")
    ap.add_argument("--only", help="only models whose name contains this text")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per model")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)

    from tfcompress.console import emit_json, format_table

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    models: list[dict[str, Any]] = []
    if not args.no_corpus:
        models += _corpus(FIXTURES)
    if args.zoo:
        models += [dict(m, model="zoo/" + m["model"]) for m in _corpus(_ensure_zoo(log))]
    for folder in args.folders:
        for p in sorted(folder.rglob("*.tflite")) if folder.is_dir() else [folder]:
            models.append(dict(model=str(p.relative_to(folder.parent) if folder.is_dir() else p.name),
                               path=str(p)))
    if args.only:
        models = [m for m in models if args.only in m["model"]]
    t0 = time.time()
    rows = run(models, kernels=args.kernels, samples=args.samples, timeout=args.timeout, log=log)
    summ = summary(rows)
    summ.update(kernels=args.kernels, samples=args.samples, seconds=round(time.time() - t0, 1))
    if args.json:
        emit_json(dict(summary=summ, models=rows))
        return 0
    table = [dict(model=r["model"], tflm="runs" if r.get("tflm_runs") else
                  ("fails, ref runs" if r.get("ref_runs") else "fails"),
                  compiles="yes" if r.get("engine_compiles") else "no",
                  bit_exact="yes" if r.get("bit_exact") else "no",
                  first_failing_reason=(r.get("reason") or "")[:120]) for r in rows]
    print(format_table(table, ["model", "tflm", "compiles", "bit_exact", "first_failing_reason"]))
    print()
    print("top reasons among models TFLM runs but the engine does not match:")
    for item in summ["top_reasons"]:
        print(f"  {item['models']:4d}  {item['reason']}")
    print("what blocks the engine (models TFLM runs): "
          + ", ".join(f"{k} {v}" for k, v in summ["blockers"].items()))
    print(f"\nmodels {summ['models']}, TFLM runs {summ['tflm_runs']} "
          f"(+{summ['tflite_ref_runs_where_tflm_fails']} only TFLite's reference kernels run), engine compiles {summ['engine_compiles']}, "
          f"bit-exact {summ['bit_exact']} ({summ['bit_exact_of_tflm_runs']} of the TFLM-runnable), "
          f"crashes {summ['crashes']}; kernels {args.kernels}, {summ['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
