"""Import an ONNX file and save it as a tf_keras model file (what ``tfcompress import`` does)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from tfcompress.errors import TfcError


def summarize(model: Any) -> dict[str, Any]:
    """Input/output shapes (NHWC), parameter count and layer types of an imported model."""
    return {
        "inputs": [[None, *map(int, t.shape[1:])] for t in model.inputs],
        "outputs": [[None, *map(int, t.shape[1:])] for t in model.outputs],
        "params": int(model.count_params()),
        "layers": dict(Counter(type(layer).__name__ for layer in model.layers)),
    }


def import_to_file(src: str | Path, out: str | Path, *, force: bool = False) -> dict[str, Any]:
    """Convert the ONNX model ``src`` and save it to ``out`` (.keras or .h5); returns its summary."""
    from tfcompress.importer.onnx_model import import_onnx
    from tfcompress.modelio import SUFFIXES, save_model

    out = Path(out)
    if out.suffix not in SUFFIXES:
        raise TfcError(f"unsupported output file '{out}'", "use a .keras or .h5 file name for --out")
    if out.exists() and not force:
        raise TfcError(f"'{out}' already exists", "pass --force to overwrite it or choose another --out")
    model = import_onnx(src)
    save_model(model, out)
    return {"source": str(src), "model_file": str(out), **summarize(model)}
