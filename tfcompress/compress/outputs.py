"""Writing stage outputs and guarding user files (shared by the compress and convert commands)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tfcompress.compress.result import StageResult
from tfcompress.console import to_json
from tfcompress.errors import TfcError

METRICS_FILE = "metrics.json"


def guard_out_dir(out: Path, names: Iterable[str], force: bool) -> None:
    """Refuse to overwrite existing outputs in ``out`` unless ``force``."""
    existing = [n for n in names if (out / n).exists()]
    if existing and not force:
        raise TfcError(f"{out / existing[0]} already exists", "pass --force to overwrite, or choose another --out")
    out.mkdir(parents=True, exist_ok=True)


def write_stage(result: StageResult, out: Path) -> dict[str, Path]:
    """Save the stage model (``model.h5``) and ``metrics.json`` into ``out``."""
    from tfcompress.modelio import STAGE_MODEL_NAME, save_model

    model_path = save_model(result.model, out / STAGE_MODEL_NAME)
    metrics_path = out / METRICS_FILE
    metrics_path.write_text(json.dumps(json.loads(to_json(result.to_dict())), indent=2))
    return {"model": model_path, "metrics": metrics_path}


def stage_label(model_path: Path) -> str | None:
    """The stage name recorded in ``metrics.json`` beside a stage model, if any."""
    meta = Path(model_path).parent / METRICS_FILE
    if not meta.is_file():
        return None
    try:
        data: dict[str, Any] = json.loads(meta.read_text())
    except ValueError:
        return None
    return data.get("stage") if isinstance(data.get("stage"), str) else None


def load_named_dataset(name: str, seed: int) -> Any:
    """Load a dataset source by name through :mod:`tfcompress.data`."""
    from tfcompress.data import load_dataset

    return load_dataset(name, seed=seed)
