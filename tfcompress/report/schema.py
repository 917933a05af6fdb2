"""The ``results.json`` schema: what the pipeline writes and the report reads.

``RUN_DIR/results.json`` is one JSON object. Keys marked *optional* may be absent;
every other key must be present (values documented as ``|null`` may be ``null``).
Extra keys are allowed and ignored by the report.

Top level
    ``recipe`` (str)            name of the recipe, e.g. ``"eye-gaze"``
    ``task`` (str)              ``"regression"``, ``"classification"`` or ``"detection"``
    ``metric`` (str)            ``"pupil_error_px"``, ``"accuracy"`` (a fraction in [0, 1]) or ``"map50"``
    ``higher_is_better`` (bool) direction of ``metric``
    ``dataset`` (str)           dataset source, e.g. ``"synthetic-eyes"``
    ``model`` (str)             model-zoo name, e.g. ``"tiny-cnn"``
    ``board`` (object)          ``name`` (str), ``emulated`` (bool), ``latency_unit`` (str:
                                ``"instructions (emulated)"`` on emulators, ``"cycles"`` on silicon)
    ``variants`` (list)         one object per converted TFLite variant, see below
    ``stages`` (list)           one object per compression stage, see below (may be empty)
    ``sweep`` (list, optional)  sparsity sweep points: ``schedule`` (str), ``sparsity`` (float),
                                ``metric`` (float), ``best`` (bool)
    ``samples`` (str, optional) regression only: file name (relative to the run dir) of an
                                ``.npz`` with ``x`` (N, H, W, 1) floats in [0, 1], ``y_true`` and
                                ``y_pred`` (N, 2) pupil centres ``(x, y)`` in pixels, origin at the
                                top-left pixel of the image. Detection: ``x`` (N, H, W, C), ``y_true``
                                (N, M, 5) rows ``(class, x0, y0, x1, y1)`` in [0, 1], ``y_pred`` (N, K, 6)
                                rows ``(class, score, x0, y0, x1, y1)``; class -1 pads
    ``class_names`` (list, optional) detection: the class names, by class id
    ``debug`` (object, optional) layer by layer for one int8 variant: ``variant`` (str),
                                ``memory`` (object|null: the engine's memory timeline, see
                                ``tfcompress.pipeline.debug_steps.compact_memory``), ``quant_error``
                                (object|null: per-layer error against the float32 variant, see
                                ``tfcompress.convert.layer_error``), ``errors`` (list of str)
    ``timings`` (object)        stage name -> wall-clock seconds
    ``created`` (str)           ISO-8601 time the results were written

Variant
    ``variant`` (str)           e.g. ``"int8"``, ``"int16x8"``, ``"float16"``, ``"dynamic"``,
                                ``"qat-int8"``, ``"pcqat-int8"``
    ``source`` (str)            the model it was converted from (``"baseline"`` or a stage name)
    ``mode`` (str)              the TFLite conversion mode
    ``tflite_bytes``, ``gzip_bytes`` (int|null: null when the conversion failed)
    ``metric_host`` (float|null)    metric of the Keras model / TFLite interpreter on the host
    ``metric_tflm`` (float|null)    metric of the TFLite Micro host interpreter
    ``deployable`` (bool)       whether the variant can run on the device
    ``reason`` (str)            why not, when ``deployable`` is false (else ``""``)
    ``metric_device`` (float|null)  metric measured on the (possibly emulated) board
    ``agreement`` (float|null)  fraction of samples whose device output equals the host TFLM
                                output exactly
    ``flash_bytes`` (int|null)  firmware flash (``weights_bytes`` + ``code_bytes``)
    ``weights_bytes``, ``code_bytes``, ``ram_bytes`` (int|null)
    ``latency`` (float|null)    mean per inference, in ``board.latency_unit``
    ``compression_ratio`` (float|null)  float32 ``.tflite`` bytes / this variant's flash bytes
                                (or ``.tflite`` bytes when there is no firmware)
    ``runtime`` (str|null, optional)  the on-device runtime of this row: ``"engine"`` (absent or
                                null means the engine) or ``"tflm"`` (TensorFlow Lite Micro). A
                                variant measured with both has one row per runtime; ``ram_bytes`` is
                                then the runtime's RAM (engine: arena + scratch + state as planned;
                                TFLM: ``arena_used_bytes()`` reported by the device)
    ``max_abs_diff`` (float|null, optional), ``float_tolerance`` (object|null, optional)
                                largest |device - host TFLM| difference; the tolerance float
                                outputs were compared with (null: exactly)
    ``stack_bytes`` (int|null, optional)  the firmware's stack high-water mark measured on the device
    ``opt`` (str|null, optional)  the compiler optimisation level the firmware was built at (``-O2``,
                                ``-Os``: the board's ``optimize`` preference picks it)
    ``ram_device`` (object|null, optional)  arena + measured stack + static data (``total``, and
                                which parts were ``measured`` / ``planned``)
    ``layers`` (list, optional), ``profile`` (object, optional)  profiling builds ([board] profile):
                                per op ``op``, ``instructions`` or ``cycles``, ``macs``, ``share``, ...;
                                how the ops add up to the whole run
    ``detection_host``, ``detection_device`` (object, optional)  detection: ``map50``, ``map50_95``
                                and ``per_class_ap50`` (class id as str -> AP@0.5|null) on the host
                                (TFLM) and from the device's outputs

Stage
    ``name`` (str), ``method`` (str: ``"prune"``, ``"cluster"``, ``"qat"``, ...),
    ``source`` (str), ``metric`` (float|null), ``layers`` (list of ``name`` (str), ``params`` (int),
    ``sparsity`` (float in [0, 1]), ``unique`` (int: distinct weight values), optional ``note``
    (str: e.g. a clustered layer whose few non-zero weights held fewer clusters than requested))
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tfcompress.errors import TfcError
from tfcompress.tasks import TASKS

RESULTS_FILE = "results.json"
_FIX = "run `tfcompress pipeline` first"

_NUM = (int, float)
_TOP: dict[str, tuple[type, ...]] = {
    "recipe": (str,),
    "task": (str,),
    "metric": (str,),
    "higher_is_better": (bool,),
    "dataset": (str,),
    "model": (str,),
    "board": (dict,),
    "variants": (list,),
    "stages": (list,),
    "timings": (dict,),
    "created": (str,),
}
_TOP_OPTIONAL: dict[str, tuple[type, ...]] = {"sweep": (list,), "samples": (str, type(None)),
                                              "debug": (dict, type(None)), "class_names": (list,)}
_BOARD: dict[str, tuple[type, ...]] = {"name": (str,), "emulated": (bool,), "latency_unit": (str,)}
# key -> (types, nullable)
_VARIANT: dict[str, tuple[tuple[type, ...], bool]] = {
    "variant": ((str,), False),
    "source": ((str,), False),
    "mode": ((str,), False),
    "tflite_bytes": ((int,), True),
    "gzip_bytes": ((int,), True),
    "metric_host": (_NUM, True),
    "metric_tflm": (_NUM, True),
    "deployable": ((bool,), False),
    "reason": ((str,), False),
    "metric_device": (_NUM, True),
    "agreement": (_NUM, True),
    "flash_bytes": ((int,), True),
    "weights_bytes": ((int,), True),
    "code_bytes": ((int,), True),
    "ram_bytes": ((int,), True),
    "latency": (_NUM, True),
    "compression_ratio": (_NUM, True),
}
#: optional variant keys: key -> types (null always allowed)
_VARIANT_OPTIONAL: dict[str, tuple[type, ...]] = {"runtime": (str,), "max_abs_diff": _NUM,
                                                  "float_tolerance": (dict,), "stack_bytes": (int,),
                                                  "ram_device": (dict,), "layers": (list,), "profile": (dict,),
                                                  "detection_host": (dict,), "detection_device": (dict,),
                                                  "opt": (str,)}
_STAGE: dict[str, tuple[type, ...]] = {
    "name": (str,), "method": (str,), "source": (str,), "metric": _NUM, "layers": (list,),
}
_STAGE_NULLABLE = frozenset({"metric"})
_LAYER: dict[str, tuple[type, ...]] = {"name": (str,), "params": (int,), "sparsity": _NUM, "unique": (int,)}
_SWEEP: dict[str, tuple[type, ...]] = {"schedule": (str,), "sparsity": _NUM, "metric": _NUM, "best": (bool,)}


def _type_ok(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in types:
        return False  # JSON true/false is not a number here
    return isinstance(value, types)


def _tname(types: tuple[type, ...]) -> str:
    names = {int: "int", float: "float", str: "str", bool: "bool", dict: "object", list: "list"}
    return "|".join(names.get(t, "null") for t in types)


def _check(obj: Any, spec: dict[str, tuple[type, ...]], where: str, missing: list[str], bad: list[str],
           nullable: frozenset[str] = frozenset()) -> None:
    if not isinstance(obj, dict):
        bad.append(f"{where or 'results'} (expected an object)")
        return
    for key, types in spec.items():
        path = f"{where}.{key}" if where else key
        if key not in obj:
            missing.append(path)
        elif obj[key] is None and key in nullable:
            continue
        elif not _type_ok(obj[key], types):
            bad.append(f"{path} (expected {_tname(types)}{'|null' if key in nullable else ''})")


def validate_results(results: dict[str, Any]) -> dict[str, Any]:
    """Check ``results`` against the schema above; return it unchanged.

    Raises :class:`TfcError` listing every missing key (with its path, e.g.
    ``variants[2].flash_bytes``) and every value of the wrong type.
    """
    missing: list[str] = []
    bad: list[str] = []
    _check(results, _TOP, "", missing, bad)
    if not isinstance(results, dict):
        raise TfcError("results are not a JSON object", _FIX)
    for key, types in _TOP_OPTIONAL.items():
        if key in results and not _type_ok(results[key], types):
            bad.append(f"{key} (expected {_tname(types)})")
    if isinstance(results.get("task"), str) and results["task"] not in TASKS:
        bad.append(f"task (expected one of {', '.join(TASKS)}, got '{results['task']}')")
    if isinstance(results.get("board"), dict):
        _check(results["board"], _BOARD, "board", missing, bad)
    vspec = {k: t for k, (t, _) in _VARIANT.items()}
    vnull = frozenset(k for k, (_, n) in _VARIANT.items() if n)
    for i, v in enumerate(results.get("variants") or []):
        _check(v, vspec, f"variants[{i}]", missing, bad, vnull)
        for key, types in _VARIANT_OPTIONAL.items():
            if isinstance(v, dict) and v.get(key) is not None and not _type_ok(v[key], types):
                bad.append(f"variants[{i}].{key} (expected {_tname(types)}|null)")
        if isinstance(v, dict) and v.get("runtime") not in (None, "engine", "tflm"):
            bad.append(f"variants[{i}].runtime (expected engine, tflm or null, got {v.get('runtime')!r})")
    for i, s in enumerate(results.get("stages") or []):
        _check(s, _STAGE, f"stages[{i}]", missing, bad, _STAGE_NULLABLE)
        if isinstance(s, dict) and isinstance(s.get("layers"), list):
            for j, layer in enumerate(s["layers"]):
                _check(layer, _LAYER, f"stages[{i}].layers[{j}]", missing, bad)
                if isinstance(layer, dict) and not isinstance(layer.get("note", ""), str):
                    bad.append(f"stages[{i}].layers[{j}].note (expected str)")
    if isinstance(results.get("sweep"), list):
        for i, p in enumerate(results["sweep"]):
            _check(p, _SWEEP, f"sweep[{i}]", missing, bad)
    if missing or bad:
        parts = []
        if missing:
            parts.append("missing keys: " + ", ".join(missing))
        if bad:
            parts.append("wrong types: " + ", ".join(bad))
        raise TfcError("invalid results — " + "; ".join(parts), _FIX)
    return results


def load_results(run_dir: Path | str) -> dict[str, Any]:
    """Read and validate ``RUN_DIR/results.json``; errors name the file."""
    path = Path(run_dir) / RESULTS_FILE
    if not Path(run_dir).is_dir():
        raise TfcError(f"run directory '{run_dir}' does not exist", _FIX)
    if not path.is_file():
        raise TfcError(f"no {RESULTS_FILE} in '{run_dir}' ({path} not found)", _FIX)
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise TfcError(f"cannot read {path}: {err}", _FIX) from err
    try:
        return validate_results(data)
    except TfcError as err:
        raise TfcError(f"{path}: {err.what}", err.fix) from err
