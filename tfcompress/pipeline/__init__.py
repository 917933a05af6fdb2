"""The recipe pipeline: data → train (+distill) → compress → convert → firmware → device → results.

Each step is a function of the run directory and the recipe that returns its
:class:`~tfcompress.rundir.Stage`; finished stages are skipped by fingerprint.
"""

from __future__ import annotations

from pathlib import Path

from tfcompress.recipe import Recipe
from tfcompress.rundir import RunDir
from tfcompress.stagecache import StageCache

DEFAULT_RUNS_ROOT = Path("runs")


def preflight(recipe: Recipe, board_name: str | None = None) -> None:
    """Check names the recipe refers to (dataset source, models, board) before any work starts."""
    from tfcompress.data.registry import get_source
    from tfcompress.models.registry import get_entry

    get_source(recipe.dataset.source)
    if recipe.model.onnx:
        from tfcompress.importer import load_onnx

        load_onnx(recipe.model.onnx)  # the file exists, parses, and the [onnx] extra is installed
    else:
        get_entry(recipe.model.name)
    if recipe.distill is not None:
        get_entry(recipe.distill.teacher.name)
    if board_name is not None:
        from tfcompress.boards import load_board

        load_board(board_name)


def open_run(recipe: Recipe, out: Path | None, *, force: bool = False, board_name: str | None = None,
             cache: StageCache | None = None) -> RunDir:
    """Check the recipe's names, then open (or create) its run directory (default ``runs/<name>``);
    ``cache``: a stage cache shared with other runs (the trials of a sweep)."""
    preflight(recipe, board_name)
    root = out or DEFAULT_RUNS_ROOT / recipe.name
    return RunDir.open(root, recipe.name, recipe.source_text, force=force, cache=cache)
