"""Compression benchmark: baseline -> PTQ variants, QAT, prune -> cluster -> PCQAT, measured on the host.

Run:  .venv/bin/python benchmarks/compression.py --dataset digits [--out /tmp/tfc-bench]
      .venv/bin/python benchmarks/compression.py --dataset synthetic-eyes --param size=32 --epochs 15

Prints the variant table (tf.lite and TFLM metrics, sizes, arena, deployability) and
checks the quality targets:
  * int8 and qat-int8 within 1 accuracy point of float32 (0.3 px for pupil error),
  * pruned (0.75 constant; the stem conv is left dense unless --prune-first) + int8 gzip
    >= 6x smaller than float32 at <= 1.5 points loss.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import tfcompress  # noqa: F401  (environment)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="digits")
    ap.add_argument("--model", default="tiny-cnn")
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--param", action="append", default=[], help="dataset parameter KEY=INT, e.g. size=32")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--sparsity", type=float, default=0.75)
    ap.add_argument("--out", type=Path, default=Path("/tmp/tfc-bench"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--prune-epochs", type=int, default=10)
    ap.add_argument("--prune-first", action="store_true", help="also prune the stem conv (skipped by default)")
    ap.add_argument("--reuse", action="store_true", help="reuse OUT/<dataset>/baseline.keras if present")
    args = ap.parse_args()

    from tfcompress.compress import finetune
    from tfcompress.compress.cluster import ClusterParams, cluster
    from tfcompress.compress.prune import PruneParams, prune
    from tfcompress.compress.qat import QatParams, qat
    from tfcompress.console import format_table
    from tfcompress.convert.run import convert_all
    from tfcompress.convert.table import format_variant_table, save_table, table_rows
    from tfcompress.data import load_dataset
    from tfcompress.modelio import load_model, save_model
    from tfcompress.models import build_model

    t0 = time.perf_counter()
    params = {k: int(v) for k, v in (p.split("=", 1) for p in args.param)}
    ds = load_dataset(args.dataset, seed=args.seed, **params)
    out = args.out / ds.name
    base_file = out / "baseline.keras"
    if args.reuse and base_file.is_file():
        model = load_model(base_file)
    else:
        model = build_model(args.model, ds.input_shape, ds.num_outputs, ds.task, width=args.width, seed=args.seed)
        finetune.fit(model, ds, epochs=args.epochs, batch_size=32, learning_rate=3e-3, seed=args.seed,
                     bn_momentum=None)
        save_model(model, base_file)
    print(f"baseline {args.model} on {ds.name}: {ds.metric} {finetune.evaluate(model, ds):.4f} "
          f"({model.count_params()} params, {time.perf_counter() - t0:.0f}s)")

    stages: dict[str, Any] = {}
    stages["qat"] = qat(model, ds, QatParams("qat", epochs=3), seed=args.seed)
    stages["pruned"] = prune(model, ds, PruneParams(args.sparsity, "constant", epochs=args.prune_epochs,
                                                      learning_rate=3e-3, skip_first=not args.prune_first), seed=args.seed)
    stages["clustered"] = cluster(stages["pruned"].model, ds,
                                  ClusterParams(16, preserve_sparsity=True, epochs=3), seed=args.seed)
    stages["pcqat"] = qat(stages["clustered"].model, ds, QatParams("pcqat", epochs=3), seed=args.seed)
    print(format_table([{"stage": k, "value": v.metrics["value"], "baseline": v.metrics["baseline"],
                         "sparsity": v.metrics.get("sparsity"),
                         "max_unique": max((r.unique_values for r in v.layers), default=None)}
                        for k, v in stages.items()]))

    recs = convert_all(model, ds, ["float32", "dynamic", "float16", "int8", "int16x8"], out)
    recs += convert_all(stages["qat"].model, ds, ["qat-int8"], out)
    for name in ("pruned", "clustered"):
        r = convert_all(stages[name].model, ds, ["int8"], out / name)
        r[0]["variant"] = f"{name}-int8"
        recs += r
    recs += convert_all(stages["pcqat"].model, ds, ["qat-int8"], out, label="pcqat")
    hib = finetune.higher_is_better(ds.metric)
    rows = table_rows(recs, hib)
    print(format_variant_table(rows))
    save_table(rows, out, ds.metric, hib)

    by = {r["variant"]: r for r in recs}

    def metric(v: str) -> float:
        r = by[v]
        return r["tflm_metric"] if r.get("tflm_metric") is not None else r["tflite_metric"]

    scale = 100.0 if ds.metric == "accuracy" else 1.0
    unit = "points" if ds.metric == "accuracy" else "px"
    tol = 1.0 if ds.metric == "accuracy" else 0.3
    f32 = metric("float32")
    checks = {}
    for v in ("int8", "qat-int8"):
        loss = (f32 - metric(v)) * scale * (1 if hib else -1)
        checks[f"{v} loss vs float32 ({unit}) <= {tol}"] = (round(loss, 3), loss <= tol)
    ratio = by["float32"]["gzip_bytes"] / by["pruned-int8"]["gzip_bytes"]
    loss = (f32 - metric("pruned-int8")) * scale * (1 if hib else -1)
    checks["pruned-int8 gzip ratio vs float32 >= 6"] = (round(ratio, 2), ratio >= 6.0)
    if ds.metric == "accuracy":
        checks["pruned-int8 loss (points) <= 1.5"] = (round(loss, 3), loss <= 1.5)
    for k, (v, ok) in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {k}: {v}")
    (out / "benchmark.json").write_text(json.dumps({k: {"value": v, "pass": ok} for k, (v, ok) in checks.items()},
                                                   indent=2))
    print(f"total {time.perf_counter() - t0:.0f}s; outputs in {out}")
    return 0 if all(ok for _, ok in checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
