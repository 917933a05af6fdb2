"""Small generated models for the instruction cost model (``storage_cost.INSTRUCTIONS``): the shapes
the MLPerf-shaped benchmarks (``compressed_speed.py``, ``compressed_fc.py``) do not reach or reach
on too few shapes for a fit, measured like them (dense and compressed per-layer profiles, QEMU
``-icount``; ``compressed_speed.compare``).

Each ``shapes-<size>-<kind>`` model is one small CNN (untrained, calibrated on random inputs) at
one of :data:`SIZES`: a 1-3 channel first conv, a 3x3 conv, a 3x3 CONV_2D+ADD, a planar 3x3
depthwise conv, a 1x1 conv (the pointwise kernel), a 3x3 conv, a 1x1 CONV_2D+ADD, a strided 3x3
conv and two FULLY_CONNECTED layers; ``kind`` "clustered" (16 values per layer: 4-bit weights),
"pruned" (half the weights zero: sparse) or "2of4" (two of every four inputs zero). Under the
``size`` preference (``*-size`` models, 8 input channels) 1x1 convs run the pair-code pointwise
kernel and 4-bit FULLY_CONNECTED layers their portable kernel; ``direct-<size>-pruned``: a conv at
the peak RAM, which ``size`` runs on direct windows. ``fc-rows-<kind>``: small FULLY_CONNECTED
layers of odd widths (the 4-bit row kernel). Usage:

    .venv/bin/python benchmarks/cost_shapes.py --list                 # kernels per model (host only)
    .venv/bin/python benchmarks/cost_shapes.py --models shapes-a-clustered --json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import compressed_speed as cs  # noqa: E402
from compressed_fc import dense_stack  # noqa: E402

from tfcompress.engine.weight_policy import PREFERENCES  # noqa: E402

#: size -> (input height = width, input channels, first channels, middle channels, dense width)
SIZES: dict[str, tuple[int, int, int, int, int]] = {
    "a": (12, 3, 8, 16, 32),
    "b": (16, 1, 16, 24, 20),
    "c": (20, 2, 12, 32, 48),
}
KINDS = ("clustered", "pruned", "2of4")
#: FULLY_CONNECTED widths of the fc-rows models (37 inputs; odd widths: the row kernel)
ROW_WIDTHS = (13, 24, 7, 9)
#: model -> the weight preference it is measured under (default: balanced)
OPTIMIZE = {**{f"shapes-{s}-{k}-size": "size" for s in ("a", "c") for k in KINDS[:2]},
            **{f"direct-{s}-pruned": "size" for s in SIZES}}
MODELS = (*(f"shapes-{s}-{k}" for s in SIZES for k in KINDS), *OPTIMIZE,
          *(f"fc-rows-{k}" for k in KINDS[:2]))


def _compress(model, kind: str, rng: np.random.Generator) -> None:
    """Every weight layer's kernel clustered (16 nonzero values per layer, as tfmot clusters), half
    of it zeroed (random positions) or two of every four inputs zeroed (2:4)."""
    if kind == "2of4":
        return cs._prune(model, cs._two_of_four)
    for layer in cs._kernels(model):
        ws = layer.get_weights()
        w = ws[0]
        if kind == "pruned":
            ws[0] = w * (rng.random(w.shape) < 0.5)
        else:
            scale = float(np.abs(w).max())
            levels = scale * np.concatenate([-np.linspace(0.2, 1.0, 8), np.linspace(0.2, 1.0, 8)])
            ws[0] = rng.choice(levels, size=w.shape).astype(w.dtype)
        layer.set_weights(ws)


def _cnn(size: str, cin: int | None = None, seed: int = 1):
    """The shapes CNN at ``size`` (module docstring); ``cin``: input channels other than the size's."""
    from tfcompress.tfenv import keras

    K = keras()
    K.utils.set_random_seed(seed)
    L = K.layers
    hw, first_c, c1, c2, d = SIZES[size]
    inp = K.Input((hw, hw, cin or first_c))
    x = L.Conv2D(c1, 3, padding="same", activation="relu")(inp)  # first-layer kernel (1-3 channels)
    x = L.Conv2D(2 * c1, 3, padding="same", activation="relu")(x)
    x = L.Add()([x, L.Conv2D(2 * c1, 3, padding="same")(x)])  # 3x3 CONV_2D+ADD (size: direct windows)
    x = L.DepthwiseConv2D(3, strides=2, padding="same", activation="relu")(x)  # planar depthwise
    x = L.Conv2D(c2, 1, activation="relu")(x)  # pointwise
    x = L.Conv2D(c2, 3, padding="same", activation="relu")(x)
    x = L.Add()([x, L.Conv2D(c2, 1)(x)])  # 1x1 CONV_2D+ADD
    x = L.Conv2D(c2, 3, strides=2, activation="relu")(x)
    x = L.Dense(d, activation="relu")(L.Flatten()(x))
    return K.Model(inp, L.Dense(10)(x))


def _direct(size: str, seed: int = 1):
    """One 3x3 conv at the peak RAM (8 input channels: not the first-layer kernel), a strided conv."""
    from tfcompress.tfenv import keras

    K = keras()
    K.utils.set_random_seed(seed)
    L = K.layers
    hw, _, c1, c2, _ = SIZES[size]
    inp = K.Input((hw, hw, 8))
    x = L.Conv2D(c1, 3, padding="same", activation="relu")(inp)
    x = L.Conv2D(c2, 3, strides=2, activation="relu")(x)
    return K.Model(inp, L.Dense(10)(L.Flatten()(x)))


def _rows(seed: int = 1):
    """37 inputs through Dense layers of :data:`ROW_WIDTHS`."""
    return dense_stack(37, ROW_WIDTHS, seed)


def build(name: str) -> bytes:
    """The int8 .tflite of model ``name``."""
    if name not in MODELS:
        raise SystemExit(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    parts = name.split("-")
    kind = parts[2]
    if parts[0] == "shapes":  # size: 8 input channels (no first-layer kernel there: not the balanced policy's)
        model = _cnn(parts[1], 8 if name.endswith("-size") else None)
    else:
        model = _direct(parts[1]) if parts[0] == "direct" else _rows()
    _compress(model, kind, np.random.default_rng(2))
    return cs._int8(model)


def compare(name: str, board, opt: str = "-O2") -> dict:
    """Dense and compressed per-layer profiles of ``name`` (``compressed_speed.compare``)."""
    return cs.compare(name, board, opt, OPTIMIZE.get(name, "balanced"), make=build)


def kernels(name: str) -> dict[str, list[str]]:
    """The kernels the dense and the compressed build of ``name`` run (host compile only)."""
    import tempfile

    from tfcompress.engine.compiler import compile_tflite

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.tflite"
        path.write_bytes(build(name))
        return {label: [lo.kernel for lo in compile_tflite(path, kernels="optimized", compress_weights=cw,
                                                            optimize=OPTIMIZE.get(name, "balanced")).lowered]
                for label, cw in (("dense", False), ("compressed", True))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    ap.add_argument("--board", default="mps2-an500")
    ap.add_argument("--opt", default="-O2")
    ap.add_argument("--list", action="store_true", help="only the kernels each build runs (no firmware)")
    ap.add_argument("--all-compressed", action="store_true",
                    help="every compressible layer compressed (no speed rule; the data of storage_cost_fit.py)")
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = ap.parse_args(argv)
    if args.all_compressed:
        import dataclasses

        for key, pref in PREFERENCES.items():
            PREFERENCES[key] = dataclasses.replace(pref, speed_elasticity=None)
    if args.list:
        got = {m: kernels(m) for m in args.models}
        if args.json:
            print(json.dumps(got))
        else:
            for m, k in got.items():
                print(f"{m}\n  dense:      {' '.join(k['dense'])}\n  compressed: {' '.join(k['compressed'])}")
        return 0
    from tfcompress.boards import load_board

    rows = [compare(m, load_board(args.board), args.opt) for m in args.models]
    if args.json:
        print(json.dumps(dict(results=rows, goals=cs.GOALS)))
    else:
        for r in rows:
            cs._print(r)
    return 1 if any(r["dense"]["mismatches"] or r["compressed"]["mismatches"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
