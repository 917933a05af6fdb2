"""Convert one model into several variants, evaluate each and write them to disk."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tfcompress.console import log, to_json
from tfcompress.convert.evaluate import evaluate_variant
from tfcompress.convert.modes import convert_model
from tfcompress.errors import TfcError

TFLITE_FILE = "model.tflite"
METRICS_FILE = "metrics.json"


def variant_name(mode: str, label: str | None) -> str:
    """``qat-int8`` from a named QAT stage (e.g. pcqat) becomes ``pcqat-int8``."""
    if mode == "qat-int8" and label and label != "qat":
        return f"{label}-int8"
    return mode


def convert_all(
    model: Any,
    dataset: Any,
    modes: Sequence[str],
    out_dir: Path,
    *,
    label: str | None = None,
    representative_n: int = 200,
    seed: int = 0,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Write ``out_dir/<variant>/model.tflite`` + ``metrics.json`` per mode; return the records.

    A mode that fails is recorded (``error``, ``deployable: false``) and the others still run.
    """
    records = []
    for i, mode in enumerate(modes, 1):
        name = variant_name(mode, label)
        vdir = Path(out_dir) / name
        vdir.mkdir(parents=True, exist_ok=True)
        rec: dict[str, Any] = {"variant": name, "mode": mode}
        try:
            data = convert_model(model, mode, dataset, representative_n=representative_n, seed=seed)
            (vdir / TFLITE_FILE).write_bytes(data)
            rec.update(evaluate_variant(data, dataset, mode, limit=limit))
            rec["error"] = None
            shown = rec["tflm_metric"] if rec.get("tflm_metric") is not None else rec["tflite_metric"]
            log(f"  [{i}/{len(modes)}] {name}: {rec['size_bytes']} B (gzip {rec['gzip_bytes']} B), "
                f"{dataset.metric} {shown:.4g}, deployable: {'yes' if rec['deployable'] else 'no'}")
        except TfcError as err:
            rec.update(error=err.line(), deployable=False, deployable_reason=f"conversion failed: {err.line()}")
            log(f"  [{i}/{len(modes)}] {name}: FAILED — {err.line()}")
        (vdir / METRICS_FILE).write_text(json.dumps(json.loads(to_json(rec)), indent=2))
        records.append(rec)
    return records
