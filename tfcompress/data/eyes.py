"""The ``synthetic-eyes`` (pupil-centre regression) and ``gaze-zones`` (classification) sources."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from tfcompress.data.dataset import Dataset
from tfcompress.data.eye_render import EyeBatch, EyeConfig, render_eyes, sample_gaze
from tfcompress.data.params import ParamSpec

#: hard-case presets; any field can be overridden by the parameter of the same name.
DIFFICULTY: dict[str, dict[str, Any]] = {
    "easy": {"occlusion": 0.0, "blur": 0.0, "noise": 0.01, "glints": 1, "illumination": 0.3, "off_axis": 20.0},
    "medium": {"occlusion": 0.25, "blur": 0.3, "noise": 0.03, "glints": 2, "illumination": 0.6, "off_axis": 35.0},
    "hard": {"occlusion": 0.45, "blur": 0.5, "noise": 0.05, "glints": 2, "illumination": 1.0, "off_axis": 45.0},
}

_EYE_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("size", int, 64, "image height and width in pixels", minimum=16, maximum=256),
    ParamSpec("n_train", int, 6000, "training images", minimum=1),
    ParamSpec("n_val", int, 1000, "validation images", minimum=1),
    ParamSpec("n_test", int, 1000, "test images", minimum=1),
    ParamSpec("difficulty", str, "medium", "preset of hard-case settings", choices=tuple(DIFFICULTY)),
    ParamSpec("occlusion", float, None, "probability an eyelid covers part of the pupil (≤ 45% of its height)",
              minimum=0.0, maximum=1.0),
    ParamSpec("blur", float, None, "probability of defocus or motion blur", minimum=0.0, maximum=1.0),
    ParamSpec("noise", float, None, "maximum sensor noise standard deviation", minimum=0.0, maximum=0.2),
    ParamSpec("glints", int, None, "maximum number of corneal glints (0-2)", minimum=0, maximum=2),
    ParamSpec("illumination", float, None, "strength of gain changes, gradients and vignetting (0-1)",
              minimum=0.0, maximum=1.0),
    ParamSpec("off_axis", float, None, "maximum off-axis viewing angle in degrees", minimum=0.0, maximum=60.0),
    ParamSpec("texture", bool, True, "skin/iris texture and eyelashes"),
)

EYE_PARAMS: tuple[ParamSpec, ...] = (
    *_EYE_PARAMS,
    ParamSpec("glint_targets", bool, False, "also regress the first glint centre (targets x, y, gx, gy)"),
)
ZONE_PARAMS: tuple[ParamSpec, ...] = (
    *_EYE_PARAMS,
    ParamSpec("zones", int, 9, "number of gaze zones (2x2 or 3x3 grid)", choices=(4, 9)),
)

_ZONE_NAMES = {
    4: ["up-left", "up-right", "down-left", "down-right"],
    9: ["up-left", "up", "up-right", "left", "center", "right", "down-left", "down", "down-right"],
}
_ZONE_MARGIN = 0.2  # gaze is drawn from the central part of each zone cell (no ambiguous borders)
_ZONE_EYE_JITTER = 0.01  # small camera slippage: the zone is read from the pupil position
_SPLITS = ("train", "val", "test")


def eye_config(params: dict[str, Any]) -> EyeConfig:
    """Build the renderer configuration from resolved source parameters."""
    preset = DIFFICULTY[params["difficulty"]]
    fields = {k: (params[k] if params.get(k) is not None else v) for k, v in preset.items()}
    return replace(EyeConfig(), size=params["size"], texture=params["texture"], **fields)


def _split_seeds(seed: int) -> dict[str, np.random.SeedSequence]:
    """Independent seed sequences per split (so n_train does not change the test split)."""
    return dict(zip(_SPLITS, np.random.SeedSequence([seed, 0xE7E5]).spawn(len(_SPLITS)), strict=True))


def zone_gaze(labels: np.ndarray, zones: int, rng: np.random.Generator) -> np.ndarray:
    """Gaze directions inside the cells of a square zone grid (row-major, top-left first)."""
    k = int(round(np.sqrt(zones)))
    col, row = labels % k, labels // k
    cell = 2.0 / k
    lo = -1.0 + cell * np.stack([col, row], axis=1) + _ZONE_MARGIN * cell
    return lo + rng.uniform(0.0, 1.0, size=lo.shape) * cell * (1 - 2 * _ZONE_MARGIN)


def _render_split(n: int, cfg: EyeConfig, seq: np.random.SeedSequence, zones: int | None
                  ) -> tuple[EyeBatch, np.ndarray | None]:
    gaze_seq, render_seq = seq.spawn(2)
    rng = np.random.default_rng(gaze_seq)
    labels = None
    if zones is None:
        gaze = sample_gaze(n, rng)
    else:
        labels = rng.permutation(np.arange(n) % zones).astype(np.int64)  # balanced classes
        gaze = zone_gaze(labels, zones, rng)
    return render_eyes(gaze, cfg, render_seq), labels


def load_synthetic_eyes(arg: str | None, seed: int, params: dict[str, Any]) -> Dataset:
    """Pupil-centre regression on procedural near-infrared eye images."""
    cfg = eye_config(params)
    seqs = _split_seeds(seed)
    arrays: dict[str, np.ndarray] = {}
    for split in _SPLITS:
        batch, _ = _render_split(params[f"n_{split}"], cfg, seqs[split], None)
        y = batch.pupil
        if params["glint_targets"]:
            y = np.concatenate([batch.pupil, batch.glint], axis=1)
        arrays[f"x_{split}"] = batch.images
        arrays[f"y_{split}"] = (y / cfg.size).astype(np.float32)
    names = ["pupil_x", "pupil_y"] + (["glint_x", "glint_y"] if params["glint_targets"] else [])
    return Dataset(
        name="synthetic-eyes", task="regression", num_outputs=len(names), metric="pupil_error_px",
        class_names=[], target_scale=float(cfg.size), target_names=names,
        params={"seed": seed, **params}, **arrays,
    )


def load_gaze_zones(arg: str | None, seed: int, params: dict[str, Any]) -> Dataset:
    """Gaze-zone classification (2x2 or 3x3 grid) on the same renderer."""
    cfg = replace(eye_config(params), eye_jitter=_ZONE_EYE_JITTER)
    zones = params["zones"]
    seqs = _split_seeds(seed + 7919)
    arrays: dict[str, np.ndarray] = {}
    for split in _SPLITS:
        batch, labels = _render_split(params[f"n_{split}"], cfg, seqs[split], zones)
        arrays[f"x_{split}"] = batch.images
        arrays[f"y_{split}"] = labels  # type: ignore[assignment]
    return Dataset(
        name="gaze-zones", task="classification", num_outputs=zones, metric="accuracy",
        class_names=list(_ZONE_NAMES[zones]), target_scale=1.0,
        params={"seed": seed, **params}, **arrays,
    )
