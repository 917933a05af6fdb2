"""Train a use case's defaults (tfcompress.train.defaults.DEFAULTS) and report metric, time and size.

    .venv/bin/python benchmarks/train_defaults.py eye-gaze [--json] [--seed 0] [--out DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time

from tfcompress.console import emit_json, log
from tfcompress.train.defaults import DEFAULTS


def run(use_case: str, seed: int, out_dir: str) -> dict:
    """Load the data, build and train the default model; return the numbers."""
    from tfcompress.data import load_dataset
    from tfcompress.models import build_model, int8_weight_bytes
    from tfcompress.train import train_model
    from tfcompress.train.defaults import get_defaults

    cfg = get_defaults(use_case)
    t0 = time.perf_counter()
    ds = load_dataset(cfg["dataset"], seed=seed, **cfg["dataset_params"])
    t_data = time.perf_counter() - t0
    model = build_model(cfg["model"], ds.input_shape, ds.num_outputs, ds.task, width=cfg["width"],
                        drop_blocks=cfg["drop_blocks"], seed=seed)
    extra = {"regression_loss": cfg["regression_loss"]} if "regression_loss" in cfg else {}
    t1 = time.perf_counter()
    result = train_model(model, ds, epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                         learning_rate=cfg["learning_rate"], patience=cfg["patience"], out_dir=out_dir, seed=seed,
                         schedule=cfg["schedule"], resume=False, **extra)
    t_train = time.perf_counter() - t1
    return {
        "use_case": use_case, "dataset": ds.name, "sizes": ds.summary()["sizes"], "model": cfg["model"],
        "width": cfg["width"], "epochs": cfg["epochs"], "batch_size": cfg["batch_size"],
        "learning_rate": cfg["learning_rate"], "metric": result.metric, "test": round(result.test_metric, 4),
        "val": round(result.val_metric, 4), "best_epoch": result.best_epoch,
        "epoch_seconds": round(result.seconds, 1), "train_call_seconds": round(t_train, 1),
        "data_seconds": round(t_data, 1), "params": int(model.count_params()),
        "int8_weight_bytes": int(int8_weight_bytes(model)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("use_case", choices=list(DEFAULTS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="training directory (default: a temporary one)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        numbers = run(args.use_case, args.seed, args.out or tmp)
    if args.json:
        emit_json(numbers)
    else:
        for key, value in numbers.items():
            log(f"{key:>20}: {value}")


if __name__ == "__main__":
    main()
