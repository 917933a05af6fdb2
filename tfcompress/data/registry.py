"""The table of dataset sources and :func:`load_dataset`.

A source is data: its name, task, shape, description, parameters and the
``module:function`` that loads it (imported only when used). Sources that read
user files take an argument after a colon, e.g. ``npz:data/eyes.npz``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from tfcompress.data.dataset import Dataset
from tfcompress.data.detection_files import FILE_PARAMS
from tfcompress.data.eyes import EYE_PARAMS, ZONE_PARAMS
from tfcompress.data.params import ParamSpec, resolve_params
from tfcompress.data.shapes import SHAPE_PARAMS
from tfcompress.errors import TfcError, unknown

_SPLIT_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("val_frac", float, 0.1, "fraction of the data held out for validation", minimum=0.0, maximum=0.9),
    ParamSpec("test_frac", float, 0.2, "fraction held out for testing (when the data has no test split)",
              minimum=0.0, maximum=0.9),
)


@dataclass(frozen=True)
class Source:
    """A dataset source: metadata, parameters and where its loader lives."""

    name: str
    task: str
    shape: str
    description: str
    params: tuple[ParamSpec, ...]
    loader: str  # "module:function"; function(arg, seed, params) -> Dataset
    argument: str | None = None  # e.g. "PATH" for sources written as "npz:PATH"

    @property
    def usage(self) -> str:
        """How the source is written in a recipe or on the command line."""
        return f"{self.name}:{self.argument}" if self.argument else self.name

    def describe(self) -> dict[str, Any]:
        """JSON-friendly description for ``tfcompress datasets``."""
        return {
            "name": self.name,
            "usage": self.usage,
            "task": self.task,
            "shape": self.shape,
            "description": self.description,
            "params": {p.name: p.describe() for p in self.params},
        }


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source("synthetic-eyes", "regression", "64x64x1 (size)",
               "procedural near-infrared eye images; target: pupil centre (x, y), metric in pixels",
               EYE_PARAMS, "tfcompress.data.eyes:load_synthetic_eyes"),
        Source("gaze-zones", "classification", "64x64x1 (size)",
               "the synthetic eye renderer labelled by gaze zone (2x2 or 3x3 grid), balanced",
               ZONE_PARAMS, "tfcompress.data.eyes:load_gaze_zones"),
        Source("digits", "classification", "8x8x1 (size)",
               "scikit-learn's bundled handwritten digits (1797 real images, 10 classes)",
               (ParamSpec("size", int, 8, "resize to size x size (bilinear)", minimum=4, maximum=128),
                *_SPLIT_PARAMS),
               "tfcompress.data.digits:load_digits_source"),
        Source("npz", "classification", "from file",
               "a NumPy .npz: x_train,y_train,x_test,y_test[,x_val,y_val] or x,y (split here)",
               _SPLIT_PARAMS, "tfcompress.data.files:load_npz", argument="PATH"),
        Source("folder", "classification", "from file (size)",
               "image folders, one sub-folder per class (PNG/JPEG/BMP...)",
               (ParamSpec("size", int, 0, "resize to size x size (0: keep, all images must match)",
                          minimum=0, maximum=1024),
                ParamSpec("channels", int, 0, "1 (grayscale) or 3 (RGB); 0: 1 if all images are grayscale",
                          choices=(0, 1, 3)),
                *_SPLIT_PARAMS),
               "tfcompress.data.files:load_folder", argument="DIR"),
        Source("idx", "classification", "from file",
               "MNIST-style IDX files (train/t10k images+labels, optionally .gz) in a directory or with a prefix",
               _SPLIT_PARAMS[:1], "tfcompress.data.idx:load_idx", argument="DIR_OR_PREFIX"),
        Source("keras", "classification", "28x28x1 / 32x32x3",
               "tf_keras.datasets: mnist, fashion_mnist, cifar10 (needs the download cache or internet)",
               _SPLIT_PARAMS[:1], "tfcompress.data.keras_sets:load_keras", argument="NAME"),
        Source("synthetic-shapes", "detection", "96x96x3 (size)",
               "procedural detection: circles, squares, triangles, crosses of varied colour/scale/occlusion "
               "on textured backgrounds, with boxes", SHAPE_PARAMS, "tfcompress.data.shapes:load_shapes"),
        Source("voc", "detection", "from file (size)",
               "Pascal VOC: Annotations/*.xml + JPEGImages/ (or XML beside the images)",
               FILE_PARAMS, "tfcompress.data.detection_files:load_voc", argument="DIR"),
        Source("coco", "detection", "from file (size)", "COCO detection JSON (images beside it or in images/)",
               FILE_PARAMS, "tfcompress.data.detection_files:load_coco", argument="FILE"),
    )
}


def list_sources() -> list[dict[str, Any]]:
    """Every source with its task, shape, description and parameters."""
    return [s.describe() for s in SOURCES.values()]


def get_source(source: str) -> tuple[Source, str | None]:
    """Split ``"name[:arg]"`` and look the source up (TfcError listing valid ones if unknown)."""
    name, sep, arg = source.partition(":")
    spec = SOURCES.get(name)
    if spec is None:
        raise unknown("dataset source", source, [s.usage for s in SOURCES.values()],
                      hint="see `tfcompress datasets`")
    if spec.argument and not arg:
        raise TfcError(f"dataset source '{name}' needs an argument", f"write it as '{spec.usage}'")
    if not spec.argument and sep:
        raise TfcError(f"dataset source '{name}' takes no argument (got '{source}')", f"write it as '{name}'")
    return spec, (arg or None)


def load_dataset(source: str, *, seed: int = 0, **params: Any) -> Dataset:
    """Load (or generate) a dataset with deterministic, seeded train/val/test splits."""
    spec, arg = get_source(source)
    resolved = resolve_params(spec.name, spec.params, params)
    module, func = spec.loader.split(":")
    loader = getattr(importlib.import_module(module), func)
    return loader(arg, int(seed), resolved)
