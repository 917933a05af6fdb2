"""One coverage measurement (runs in a worker process): TFLM, TFLite's reference kernels where TFLM
fails, then the engine through its public API (``compile_tflite`` + ``validate_model``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any


def ranged_inputs(data: bytes, input_ranges: Any, samples: int, folder: str) -> Path | None:
    """The manifest's input ranges (index inputs, an op's domain) as an .npz for validate_model,
    drawn as the corpus generator draws them; None: validate's own random inputs do."""
    if not input_ranges:
        return None
    import numpy as np

    from tests.corpus.oracle import random_inputs

    xs = random_inputs(data, seed=0, invocations=samples, ranges=input_ranges)
    path = Path(folder) / "inputs.npz"
    np.savez(path, **{f"x{k}": np.stack([x[k] for x in xs]) for k in range(len(xs[0]))})
    return path


def _engine(data: bytes, kernels: str, samples: int, input_ranges: Any = None) -> dict[str, Any]:
    """Compile and validate through the public API; classify every outcome."""
    import tempfile

    from tfcompress.errors import TfcError

    row: dict[str, Any] = dict(engine_compiles=False, bit_exact=False, mismatched_elements=None, engine="")
    try:
        from tfcompress.engine.compiler import compile_tflite

        compile_tflite(data, kernels=kernels)
    except TfcError as err:
        row["engine"] = f"engine rejects: {err.line()}"
        return row
    except Exception as err:  # noqa: BLE001 - anything else is an engine bug: report it
        row["engine"] = f"crash in compile: {type(err).__name__}: {err}"
        return row
    row["engine_compiles"] = True
    try:
        from tfcompress.engine.validate import validate_model

        with tempfile.TemporaryDirectory() as tmp:
            inputs = ranged_inputs(data, input_ranges, samples, tmp)
            res = validate_model(data, board="host", samples=samples, kernels=kernels, data=inputs)
    except TfcError as err:
        row["engine"] = f"validate rejects: {err.line()}"
        return row
    except Exception as err:  # noqa: BLE001
        row["engine"] = f"crash in validate: {type(err).__name__}: {err}"
        return row
    bad = int(getattr(res, "mismatched_elements", -1))
    row["mismatched_elements"] = bad
    row["bit_exact"] = bad == 0
    if bad:
        row["engine"] = f"{bad} of {getattr(res, 'output_elements', '?')} output elements differ from TFLM"
    return row


def evaluate(path: str, invocations: int, input_ranges: Any, kernels: str, samples: int) -> dict[str, Any]:
    """One row (runs in the worker): TFLM, then TFLite's reference kernels where TFLM fails, then the
    engine."""
    from tests.corpus.oracle import random_inputs, run_tflite_ref, run_tflm
    from tests.corpus.tflite_info import model_info

    data = Path(path).read_bytes()
    t0 = time.time()
    row: dict[str, Any] = {}
    try:
        info = model_info(data)
        row.update(ops=info["ops"], inputs=len(info["inputs"]), outputs=len(info["outputs"]))
        n = max(invocations, 2 if info["variable_tensors"] or "CALL_ONCE" in info["ops"] else 1)
        xs = random_inputs(data, seed=0, invocations=n, ranges=input_ranges)
        tflm = run_tflm(data, xs)
        row.update(tflm_runs=tflm.ok, tflm=tflm.reason())
        if not tflm.ok:
            ref = run_tflite_ref(data, xs)
            row.update(ref_runs=ref.ok, ref=ref.reason())
    except Exception as err:  # noqa: BLE001 - an unreadable file is a row, not a stop
        row.update(tflm_runs=False, tflm=f"unreadable: {type(err).__name__}: {err}")
    row.update(_engine(data, kernels, samples, input_ranges))
    row["seconds"] = round(time.time() - t0, 2)
    return row


