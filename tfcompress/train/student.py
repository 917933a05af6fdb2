"""Deriving a smaller student from a teacher's spec (width-wise and/or layer-wise)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tfcompress.errors import TfcError, unknown
from tfcompress.models import ModelSpec, build_model, get_entry

MODES = ("width", "cut", "both")


def student_spec(teacher_spec: ModelSpec | Mapping[str, Any], mode: str = "width", width_factor: float = 0.5,
                 drop_blocks: int = 1) -> ModelSpec:
    """The spec of the student: narrower (``width``), shorter (``cut``) or both."""
    spec = ModelSpec.from_any(teacher_spec)
    if mode not in MODES:
        raise unknown("student mode", mode, MODES)
    width, drops = spec.width, spec.drop_blocks
    if mode in ("width", "both"):
        if not 0 < width_factor <= 1:
            raise TfcError(f"width_factor={width_factor} must be in (0, 1]", "e.g. width_factor = 0.5")
        width = spec.width * width_factor
    if mode in ("cut", "both"):
        blocks = get_entry(spec.name).num_blocks
        if not isinstance(drop_blocks, int) or drop_blocks < 1 or spec.drop_blocks + drop_blocks >= blocks:
            raise TfcError(
                f"cannot drop {drop_blocks!r} more block(s) from {spec.name} "
                f"({blocks} blocks, {spec.drop_blocks} already dropped)",
                f"use 1 to {blocks - 1 - spec.drop_blocks}")
        drops = spec.drop_blocks + drop_blocks
    return spec.replace(width=width, drop_blocks=drops)


def copy_matching_weights(source: Any, target: Any) -> list[str]:
    """Copy weights layer by layer where names and all weight shapes agree; returns the names."""
    copied = []
    by_name = {layer.name: layer for layer in source.layers}
    for layer in target.layers:
        src = by_name.get(layer.name)
        if src is None or not layer.weights:
            continue
        w_src, w_dst = src.get_weights(), layer.get_weights()
        if len(w_src) == len(w_dst) and all(a.shape == b.shape for a, b in zip(w_src, w_dst, strict=True)):
            layer.set_weights(w_src)
            copied.append(layer.name)
    return copied


def derive_student(teacher_spec: ModelSpec | Mapping[str, Any], mode: str = "width", width_factor: float = 0.5,
                   drop_blocks: int = 1, *, teacher: Any = None, seed: int | None = None) -> Any:
    """Build a fresh student for ``teacher_spec`` (see :func:`student_spec`).

    With ``teacher`` (the trained teacher model), layers whose names and weight shapes
    agree start from the teacher's weights (all kept blocks when ``mode="cut"``).
    """
    spec = student_spec(teacher_spec, mode, width_factor, drop_blocks)
    model = build_model(spec.name, spec.input_shape, spec.num_outputs, spec.task, width=spec.width,
                        drop_blocks=spec.drop_blocks, seed=spec.seed if seed is None else seed)
    if teacher is not None:
        copy_matching_weights(teacher, model)
    return model
