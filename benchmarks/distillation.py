"""Distillation benchmark: a width-0.5 student trained alone vs distilled from a teacher.

Trains the teacher (default ResNet-8) once per seed, then the student (default
``tiny-cnn`` at half the teacher's width; ``--student same`` derives it from the
teacher with ``derive_student(mode="width")``) twice with the same epochs, seed and
initial weights: alone, and with the distillation loss. Prints both test metrics per
seed and their means.

    .venv/bin/python benchmarks/distillation.py [--dataset digits] [--teacher resnet8] [--seeds 3] [--json]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from tfcompress.console import emit_json, format_table, log


def run_seed(args: argparse.Namespace, seed: int, work: Path) -> dict[str, Any]:
    """Teacher, student alone and student distilled for one seed."""
    from tfcompress.data import load_dataset
    from tfcompress.models import ModelSpec, int8_weight_bytes
    from tfcompress.train import DistillConfig, derive_student, train_model

    ds = load_dataset(args.dataset, seed=seed, **dict(p.split("=", 1) for p in args.param))
    spec = ModelSpec(args.teacher, ds.input_shape, ds.num_outputs, ds.task, width=args.teacher_width, seed=seed)
    common = dict(batch_size=args.batch_size, learning_rate=args.lr, seed=seed, verbose=args.verbose)
    t0 = time.perf_counter()
    teacher = train_model(spec.build(), ds, epochs=args.teacher_epochs, out_dir=work / f"teacher-{seed}",
                          **common)
    t_teacher = time.perf_counter() - t0
    cfg = DistillConfig(alpha=args.alpha, beta=args.beta, temperature=args.temperature, kd_factor=args.kd_factor)
    out: dict[str, Any] = {"seed": seed, "teacher": round(teacher.test_metric, 4),
                           "teacher_int8_bytes": int8_weight_bytes(teacher.model),
                           "teacher_seconds": round(t_teacher, 1)}
    for label, kw in (("alone", {}), ("distilled", {"teacher": teacher.model, "distill": cfg})):
        if args.student != "same":  # another architecture at the student width
            student = spec.replace(name=args.student, width=args.teacher_width * args.width_factor,
                                   seed=seed + 1).build()
        else:
            student = derive_student(spec, "width", width_factor=args.width_factor, seed=seed + 1)
        t0 = time.perf_counter()
        res = train_model(student, ds, epochs=args.epochs, out_dir=work / f"{label}-{seed}", **common, **kw)
        out[label] = round(res.test_metric, 4)
        out[f"{label}_seconds"] = round(time.perf_counter() - t0, 1)
        out["student_int8_bytes"] = int8_weight_bytes(student)
    out["metric"] = ds.metric
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="digits")
    ap.add_argument("--param", action="append", default=[], help="dataset parameter KEY=VALUE (repeatable)")
    ap.add_argument("--teacher", default="resnet8")
    ap.add_argument("--teacher-width", type=float, default=1.0)
    ap.add_argument("--student", default="tiny-cnn",
                    help="student architecture at the student width (\"same\": the teacher's, via derive_student)")
    ap.add_argument("--width-factor", type=float, default=0.5)
    ap.add_argument("--teacher-epochs", type=int, default=30)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--alpha", type=float, default=0.5)
    ap.add_argument("--beta", type=float, default=0.5)
    ap.add_argument("--temperature", type=float, default=4.0)
    ap.add_argument("--kd-factor", type=float, default=0.5)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--verbose", action="store_true", help="log every epoch")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for seed in range(args.seeds):
            rows.append(run_seed(args, seed, Path(tmp)))
            log(f"seed {seed}: teacher {rows[-1]['teacher']}  alone {rows[-1]['alone']}  "
                f"distilled {rows[-1]['distilled']}")
    metric = rows[0]["metric"]
    higher = metric == "accuracy"
    summary = {
        "dataset": args.dataset, "metric": metric, "teacher": f"{args.teacher} x{args.teacher_width}",
        "student": f"{args.teacher if args.student == 'same' else args.student} x{args.teacher_width * args.width_factor}",
        "student_width": args.teacher_width * args.width_factor, "epochs": args.epochs,
        "teacher_epochs": args.teacher_epochs,
        "distill": {"alpha": args.alpha, "beta": args.beta, "temperature": args.temperature,
                    "kd_factor": args.kd_factor},
        "teacher_mean": round(statistics.mean(r["teacher"] for r in rows), 4),
        "alone_mean": round(statistics.mean(r["alone"] for r in rows), 4),
        "distilled_mean": round(statistics.mean(r["distilled"] for r in rows), 4),
        "seeds": rows,
    }
    wins = sum((r["distilled"] > r["alone"]) if higher else (r["distilled"] < r["alone"]) for r in rows)
    summary["distilled_wins"] = f"{wins}/{len(rows)}"
    if args.json:
        emit_json(summary)
    else:
        print(format_table(rows, ["seed", "teacher", "alone", "distilled", "student_int8_bytes"]))
        print(f"{metric}: teacher {summary['teacher_mean']}  alone {summary['alone_mean']}  "
              f"distilled {summary['distilled_mean']}  (distilled better in {summary['distilled_wins']} seeds)")


if __name__ == "__main__":
    main()
