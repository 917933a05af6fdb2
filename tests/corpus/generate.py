"""Build entries and describe them: the .tflite bytes plus the manifest record (ops, I/O types,
whether TFLM's host interpreter and TFLite's reference kernels run it). Runs in a worker process."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from .convert import ConversionError
from .oracle import max_abs_diff, random_inputs, run_tflite_ref, run_tflm
from .registry import get
from .tflite_info import model_info
from .worker import Worker, WorkerCrash

#: bump when entries change in a way that makes cached zoo models stale
GENERATOR_VERSION = 2


def describe(data: bytes, *, invocations: int = 1, input_ranges: Any = None, seed: int = 0) -> dict[str, Any]:
    """Manifest fields measured on the bytes: model_info() plus the two oracles' verdicts."""
    info = model_info(data)
    xs = random_inputs(data, seed=seed, invocations=max(1, invocations), ranges=input_ranges)
    tflm = run_tflm(data, xs)
    ref = run_tflite_ref(data, xs)
    info.update(
        tflm=dict(runs=tflm.ok, stage=tflm.status, message=tflm.message),
        tflite_ref=dict(runs=ref.ok, stage=ref.status, message=ref.message),
        tflm_vs_ref_max_diff=max_abs_diff(tflm, ref))
    return info


def build_entry(name: str) -> dict[str, Any]:
    """{"data": bytes, "record": {...}} or {"error": reason} (the converter could not make it)."""
    e = get(name)
    t0 = time.time()
    try:
        data = e.build()
    except ConversionError as err:
        return dict(error=str(err))
    except Exception as err:  # noqa: BLE001 - a builder bug must not stop the other entries
        return dict(error=f"builder error: {type(err).__name__}: {err}")
    record: dict[str, Any] = dict(features=list(e.features), invocations=e.invocations,
                                  input_ranges=list(e.input_ranges) if e.input_ranges is not None else None,
                                  note=e.note, expect_ops=list(e.expect_ops))
    record.update(describe(data, invocations=e.invocations, input_ranges=e.input_ranges))
    record["build_seconds"] = round(time.time() - t0, 2)
    return dict(data=data, record=record)


def build_many(names: list[str], out_dir: Path, *, log: Any = print, timeout: float = 900) -> dict[str, Any]:
    """Build ``names`` one at a time in a worker process (a crash costs one entry) and write
    ``<name>.tflite`` into ``out_dir``; returns {"models": {...}, "not_produced": {...}}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    models: dict[str, Any] = {}
    failed: dict[str, str] = {}
    with Worker() as w:
        for k, name in enumerate(names, 1):
            try:
                res = w.call(build_entry, name, timeout=timeout)
            except WorkerCrash as err:
                res = dict(error=f"the build process crashed (converter or interpreter): {err}")
            if "error" in res:
                failed[name] = res["error"]
                log(f"[{k}/{len(names)}] {name}: not produced — {res['error']}")
                continue
            path = out_dir / f"{name}.tflite"
            path.write_bytes(res["data"])
            rec = res["record"]
            rec["file"] = path.name
            models[name] = rec
            log(f"[{k}/{len(names)}] {name}: {rec['bytes']} B, TFLM {'runs' if rec['tflm']['runs'] else rec['tflm']['stage']}"
                f", {rec['build_seconds']} s")
    return dict(models=models, not_produced=failed)


def write_manifest(path: Path, result: dict[str, Any]) -> None:
    """manifest.json: sorted, stable, with the tool versions that made the files."""
    from importlib.metadata import version

    doc = dict(generator=dict(version=GENERATOR_VERSION, tensorflow=version("tensorflow"),
                              tflite_micro=version("tflite-micro")),
               models=dict(sorted(result["models"].items())),
               not_produced=dict(sorted(result["not_produced"].items())))
    # one line per model: small, and a rebuild's diff shows which models changed
    parts = [f' "generator": {json.dumps(doc["generator"])}']
    for key in ("models", "not_produced"):
        rows = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in doc[key].items()]
        parts.append(f' "{key}": {{\n' + ",\n".join(rows) + "\n }")
    path.write_text("{\n" + ",\n".join(parts) + "\n}\n")


def load_manifest(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())
