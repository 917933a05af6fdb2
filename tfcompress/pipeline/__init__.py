"""The recipe pipeline: data → train (+distill) → compress → convert → firmware → device → results.

Each step is a function of the run directory and the recipe that returns its
:class:`~tfcompress.rundir.Stage`; finished stages are skipped by fingerprint.
"""

from __future__ import annotations

from pathlib import Path

from tfcompress.recipe import Recipe
from tfcompress.rundir import RunDir

DEFAULT_RUNS_ROOT = Path("runs")


def open_run(recipe: Recipe, out: Path | None, *, force: bool = False) -> RunDir:
    """Open (or create) the run directory of ``recipe`` (default ``runs/<name>``)."""
    root = out or DEFAULT_RUNS_ROOT / recipe.name
    text = Path(recipe.source_path).read_text() if recipe.source_path and Path(recipe.source_path).is_file() else ""
    if not text:
        from tfcompress.recipe import template_text

        text = template_text(recipe.name) if recipe.name in ("eye-gaze", "gaze-zones", "digits") else ""
    return RunDir.open(root, recipe.name, text, force=force)
