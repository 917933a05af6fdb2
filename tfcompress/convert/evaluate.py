"""Host evaluation of a .tflite variant: tf.lite and TFLM metrics, sizes, weights, deployability."""

from __future__ import annotations

import gzip
from typing import Any

import numpy as np

from tfcompress.compress.finetune import compute_metric
from tfcompress.compress.result import overall_sparsity
from tfcompress.convert.inspect import TfliteModel, tflite_layer_report
from tfcompress.convert.tflm import TflmRunner, dequantize, quantize
from tfcompress.tfenv import tf


def tflite_predict(data: bytes, xs: np.ndarray) -> tuple[Any, Any]:
    """(dequantized outputs, raw outputs) from tf.lite.Interpreter, one sample per invoke; lists
    with one array per output for a model with several outputs.

    Uses TFLite's reference kernels (no XNNPACK), the closest host match to TFLM.
    """
    lite = tf().lite
    interp = lite.Interpreter(
        model_content=data,
        experimental_op_resolver_type=lite.experimental.OpResolverType.BUILTIN_REF,
    )
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    outs = interp.get_output_details()
    raw: list[list[np.ndarray]] = [[] for _ in outs]
    for x in xs:
        interp.set_tensor(inp["index"], quantize(x[None], inp))
        interp.invoke()
        for r, out in zip(raw, outs, strict=True):
            r.append(interp.get_tensor(out["index"])[0].copy())
    rs = [np.stack(r) if r else np.zeros((0, *out["shape"][1:])) for r, out in zip(raw, outs, strict=True)]
    deq = [dequantize(r, out) for r, out in zip(rs, outs, strict=True)]
    return (deq, rs) if len(outs) > 1 else (deq[0], rs[0])


def _flat(outputs: Any) -> np.ndarray:
    """Every output of every sample as one float64 vector (to compare runtimes element by element)."""
    parts = outputs if isinstance(outputs, list) else [outputs]
    return np.concatenate([np.asarray(p, np.float64).ravel() for p in parts]) if parts else np.zeros(0)


def gzip_size(data: bytes) -> int:
    """Size of ``data`` after gzip at level 9 (what weight sparsity/clustering buys on disk)."""
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def deployability(mode: str, tflm_error: str | None) -> tuple[bool, str]:
    """("deployable on MCU", reason) from the mode and TFLM's verdict."""
    if tflm_error:
        return False, tflm_error
    if mode == "float32":
        return True, "runs on TFLM's float reference kernels; no int8 engine or CMSIS-NN support"
    if mode == "int16x8":
        return True, "runs on TFLM (16x8 reference kernels); the int8 engine does not cover it"
    return True, "full-integer int8 model: runs on TFLM and the int8 engine"


def evaluate_variant(data: bytes, dataset: Any, mode: str, *, split: str = "test",
                     limit: int | None = None) -> dict[str, Any]:
    """Metric (tf.lite and TFLM), sizes, per-layer weights and deployability of one variant."""
    xs = getattr(dataset, f"x_{split}")
    ys = getattr(dataset, f"y_{split}")
    if limit:
        xs, ys = xs[:limit], ys[:limit]
    model = TfliteModel(data)
    ins, outs = model.io_dtypes()
    layers = tflite_layer_report(data)
    pred, raw_lite = tflite_predict(data, xs)
    rec: dict[str, Any] = {
        "mode": mode,
        "size_bytes": len(data),
        "gzip_bytes": gzip_size(data),
        "input_dtype": ins[0],
        "output_dtype": outs[0],
        "metric": dataset.metric,
        "tflite_metric": compute_metric(dataset, ys, pred),
        "sparsity": overall_sparsity(layers),
        "max_unique_values": max((r.unique_values for r in layers), default=0),
        "layers": [r.to_dict() for r in layers],
    }
    tflm_error = None
    try:
        runner = TflmRunner(data)
    except RuntimeError as err:
        tflm_error = str(err)
    if tflm_error is None:
        tpred, raw_tflm = runner.predict(xs)
        rec["tflm_metric"] = compute_metric(dataset, ys, tpred)
        rec["tflm_arena_bytes"] = runner.arena_bytes()
        diff = np.abs(_flat(raw_tflm) - _flat(raw_lite))
        rec["tflm_max_diff"] = float(diff.max()) if diff.size else 0.0
        rec["tflm_diff_fraction"] = float(np.mean(diff > 0)) if diff.size else 0.0
    else:
        rec.update(tflm_metric=None, tflm_arena_bytes=None, tflm_max_diff=None, tflm_diff_fraction=None)
    if dataset.task == "detection":  # mAP@0.5, mAP@[.5:.95] and per-class AP of TFLM's (else tf.lite's) outputs
        from tfcompress.detect.metric import evaluate_detections

        rec["detection"] = evaluate_detections(ys, tpred if tflm_error is None else pred, dataset.target_scale)
    ok, reason = deployability(mode, tflm_error)
    rec["deployable"] = ok
    rec["deployable_reason"] = reason
    return rec
