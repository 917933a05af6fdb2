"""The layer-by-layer section of the results: for the int8 variant, the engine's memory timeline
(engine/memory.py) and the per-layer quantisation error against the float32 variant on test
data (convert/layer_error.py). Both are computed on the host from files the run already has."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tfcompress.console import log
from tfcompress.errors import TfcError

#: test samples the quantisation error is measured on
QUANT_ERROR_SAMPLES = 64
#: how many layers the results keep (worst first)
QUANT_ERROR_LAYERS = 30


def pick_int8(variants: list[tuple[str, str, Path]]) -> tuple[str, Path] | None:
    """(name, .tflite) of the variant to debug: ``int8`` (else the first int8-mode variant) that has a file."""
    ranked = sorted(variants, key=lambda v: (v[0] != "int8", v[1] != "int8"))
    for name, mode, path in ranked:
        if mode in ("int8", "qat-int8") and path.is_file():
            return name, path
    return None


def compact_memory(mem: dict[str, Any], name_limit: int = 80) -> dict[str, Any]:
    """The timeline without per-array flash detail, tensor names shortened (results.json stays small)."""
    short = [dict(b, names=[n[:name_limit] for n in b["names"]]) for b in mem["buffers"]]
    peak = dict(mem["peak"] or {})
    if peak:
        peak["buffers"] = [dict(b, names=[n[:name_limit] for n in b["names"]]) for b in peak["buffers"]]
    flash = [dict(position=f["position"], index=f["index"], op=f["op"], flash_bytes=f["flash_bytes"],
                  kernels=f["kernels"], code_bytes=f.get("code_bytes")) for f in mem["flash"]]
    return dict(arena_bytes=mem["arena_bytes"], scratch_bytes=mem["scratch_bytes"], state_bytes=mem["state_bytes"],
                ram_bytes=mem["ram_bytes"], weights_bytes=mem["weights_bytes"],
                steps=[{k: s[k] for k in ("step", "index", "op", "live_bytes", "high_water", "flash_bytes")}
                       for s in mem["steps"]],
                buffers=short, peak=peak or None, flash=flash, code_bytes_note=mem["code_bytes_note"])


def debug_section(variants: list[tuple[str, str, Path]], x_test: np.ndarray | None, kernels: str,
                  float_tflite: Path | None, *, board: Any = None, compress: Any = None,
                  firmware_dir: Path | None = None) -> dict[str, Any] | None:
    """``{"variant", "memory", "quant_error", "errors"}`` for the int8 variant (None: there is none).
    The model is compiled as the device step compiles it for ``board`` (its kernel set for the core,
    ``compress(variant)``: compressed weights); ``firmware_dir / variant / firmware.map``, when the
    device step built it, gives each op's kernel code size. A part that cannot be made is left null
    with its reason in ``errors``."""
    chosen = pick_int8(variants)
    if chosen is None:
        return None
    name, path = chosen
    out: dict[str, Any] = {"variant": name, "memory": None, "quant_error": None, "errors": []}
    data = path.read_bytes()
    try:
        from tfcompress.engine.memory import attach_code_bytes, memory_timeline
        from tfcompress.project.firmware import compile_model

        compiled = compile_model(data, kernels, board=board, compress_weights=bool(compress and compress(name)))
        mem = memory_timeline(compiled)
        map_file = firmware_dir / name / "firmware.map" if firmware_dir is not None else None
        if map_file is not None and map_file.is_file():
            from tfcompress.project.mapfile import kernel_code_bytes

            attach_code_bytes(mem, kernel_code_bytes(map_file), f"firmware for {board.name if board else 'the board'}")
        out["memory"] = compact_memory(mem)
    except TfcError as err:
        out["errors"].append(f"memory timeline: {err.line()}")
    if float_tflite is None or not float_tflite.is_file():
        out["errors"].append("quantisation error: no float32 variant to compare with")
    elif x_test is None or not len(x_test):
        out["errors"].append("quantisation error: no test data")
    else:
        try:
            from tfcompress.convert.layer_error import layer_errors

            xs = [[np.asarray(x, np.float32)[None]] for x in x_test[:QUANT_ERROR_SAMPLES]]
            rep = layer_errors(data, float_tflite.read_bytes(), xs)
            rep["layers"] = rep["layers"][:QUANT_ERROR_LAYERS]
            for r in rep["layers"]:
                r["name"] = r["name"][:120]
            rep["data"] = f"first {len(xs)} test samples"
            out["quant_error"] = rep
        except TfcError as err:
            out["errors"].append(f"quantisation error: {err.line()}")
    for e in out["errors"]:
        log(f"  layer-by-layer ({name}): {e}")
    return out
