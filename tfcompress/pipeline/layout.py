"""The layout of a run: the stages and variants a recipe makes, the files they leave, and how
later stages read them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tfcompress.errors import TfcError
from tfcompress.recipe import Recipe, StageConfig
from tfcompress.rundir import Stage

DATASET_FILE = "dataset.npz"
#: a trained (teacher or baseline) model
MODEL_FILE = "model.keras"
TFLITE_FILE = "model.tflite"
METRICS_FILE = "metrics.json"
#: a QAT stage's model, converted with the qat-int8 mode when the stage ran
QAT_TFLITE_FILE = "qat-int8.tflite"


def load_cached_dataset(data_stage: Stage) -> Any:
    """The dataset saved by the data step."""
    from tfcompress.data.dataset import load_saved_dataset

    return load_saved_dataset(data_stage.dir / DATASET_FILE)


def model_file(stage: Stage) -> Path:
    """The model a training or compression stage made."""
    from tfcompress.modelio import STAGE_MODEL_NAME

    for name in (STAGE_MODEL_NAME, MODEL_FILE):
        if (stage.dir / name).is_file():
            return stage.dir / name
    raise TfcError(f"stage '{stage.name}' has no model file in {stage.dir}", "rerun the pipeline with --force")


def stages_of(recipe: Recipe) -> list[StageConfig]:
    """The recipe's stages, plus an implicit plain-QAT stage when ``qat-int8`` is asked for."""
    stages = list(recipe.compress)
    wants_qat = "qat-int8" in recipe.convert.modes
    if wants_qat and not any(s.name == "qat" for s in stages):
        stages.append(StageConfig(name="qat", method="qat", source="baseline", params={"scheme": "qat", "epochs": 2}))
    return stages


def variant_plan(recipe: Recipe) -> list[tuple[str, str, str]]:
    """(variant name, source stage, conversion mode) for every variant of the recipe."""
    plan = [(mode, "baseline", mode) for mode in recipe.convert.modes if mode != "qat-int8"]
    for st in stages_of(recipe):
        if st.method == "qat":
            plan.append((f"{st.name}-int8", st.name, "qat-int8"))
        elif "int8" in recipe.convert.modes:
            plan.append((f"{st.name}-int8", st.name, "int8"))
    return plan
