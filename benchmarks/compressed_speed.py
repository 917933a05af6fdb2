"""Compressed weights vs dense, layer by layer, on emulated boards (QEMU, -icount).

Builds three int8 models and measures each twice with the optimised kernels, dense
(``compress_weights`` off) and compressed (on), with the per-layer profiling build; prints per
weight layer the instructions of both, their ratio and the storage each compressed layer got,
plus totals per model and per (op, storage) kind. Every run's output is checked against TFLM's
host interpreter (``mismatches`` must be 0).

* ``resnet8-clustered``: the zoo's ResNet-8 (32x32x3, 10 classes), 16 clusters per layer (tfmot).
* ``eyegaze-pruned``: the eye-gaze recipe's heatmap-cnn (64x64x1), 50% magnitude pruning per layer.
* ``resnet8-2of4``: ResNet-8 with 2:4 structured sparsity (two of every four consecutive inputs).

The weights are not trained (speed and exactness do not depend on it; calibration uses random
inputs). Usage:

    .venv/bin/python benchmarks/compressed_speed.py --models resnet8-clustered --board mps2-an500
    .venv/bin/python benchmarks/compressed_speed.py --json > compressed.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.helpers: the int8 conversion the tests use

from tests.helpers.keras_models import to_int8_tflite as _int8  # noqa: E402
from tfcompress.engine.weight_policy import PREFERENCES  # noqa: E402

#: the goals of issue 15: compressed / dense instructions per layer, by storage
GOALS = {"w4": 1.25, "sp": 1.5, "2of4": 0.75}


def _kernels(model) -> list:
    return [layer for layer in model.layers if layer.__class__.__name__ in ("Conv2D", "Dense", "DepthwiseConv2D")]


def _prune(model, keep) -> None:
    """Zero weights per layer: ``keep(w)`` is the mask of the weights to keep."""
    for layer in _kernels(model):
        ws = layer.get_weights()
        ws[0] = ws[0] * keep(ws[0])
        layer.set_weights(ws)


def _half_by_magnitude(w: np.ndarray) -> np.ndarray:
    return np.abs(w) >= np.median(np.abs(w))


def _two_of_four(w: np.ndarray) -> np.ndarray:
    """2:4 along the input axis (Conv2D: HWIO axis 2, Dense: axis 0; depthwise kept dense)."""
    axis = 0 if w.ndim == 2 else 2
    if w.shape[axis] % 4 or w.ndim == 4 and w.shape[3] == 1:
        return np.ones(w.shape, bool)
    m = np.moveaxis(np.abs(w), axis, -1)
    g = m.reshape(*m.shape[:-1], -1, 4)
    order = np.argsort(g, axis=-1, kind="stable")
    keep = np.ones(g.shape, bool)
    np.put_along_axis(keep, order[..., :2], False, axis=-1)
    return np.moveaxis(keep.reshape(m.shape), -1, axis)


def build(name: str) -> bytes:
    """The int8 .tflite of benchmark model ``name``."""
    from tfcompress.models.registry import build_model

    if name == "resnet8-clustered":
        from tfcompress.tfenv import tfmot

        cl = tfmot().clustering.keras
        m = build_model("resnet8", (32, 32, 3), 10, "classification", seed=1)
        wrapped = cl.cluster_weights(m, number_of_clusters=16,
                                     cluster_centroids_init=cl.CentroidInitialization.KMEANS_PLUS_PLUS)
        return _int8(cl.strip_clustering(wrapped))
    if name == "eyegaze-pruned":
        m = build_model("heatmap-cnn", (64, 64, 1), 2, "regression", seed=1)
        _prune(m, _half_by_magnitude)
        return _int8(m)
    if name == "resnet8-2of4":
        m = build_model("resnet8", (32, 32, 3), 10, "classification", seed=1)
        _prune(m, _two_of_four)
        return _int8(m)
    raise SystemExit(f"unknown model {name!r}; choose from {', '.join(MODELS)}")


MODELS = ("resnet8-clustered", "eyegaze-pruned", "resnet8-2of4")


def storage(kernel: str) -> str:
    """The weight storage a kernel reads."""
    for suffix, kind in (("_2of4", "2of4"), ("_w4", "w4"), ("_sp", "sp")):
        if kernel.endswith(suffix):
            return kind
    return "int8"


def _covers(path: Path, compress_weights: bool, optimize: str) -> tuple[list[set[int]], list[list[str]]]:
    """Per lowered op of the build ``measure`` made, the TFLite ops it runs (a fused ADD, a banded
    pair: several) and the kernels it runs (a banded pair: both parts')."""
    from tfcompress.engine.compiler import compile_tflite

    model = compile_tflite(path, kernels="optimized", compress_weights=compress_weights, optimize=optimize)
    return ([{lo.op.index, *(op.index for op in lo.fused)} for lo in model.lowered],
            [[p.kernel for p in lo.parts] or [lo.kernel] for lo in model.lowered])


def _groups(a: list[set[int]], b: list[set[int]]) -> list[tuple[list[int], list[int]]]:
    """Lowered ops of two builds of one model matched up: per group the indices in ``a`` and in
    ``b`` that run the same TFLite ops (one-to-one unless one build bands or fuses a pair the
    other does not)."""
    out: list[tuple[list[int], list[int]]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        ga, gb, sa, sb = [i], [j], set(a[i]), set(b[j])
        i, j = i + 1, j + 1
        while sa != sb:
            if sa - sb and j < len(b):
                gb.append(j)
                sb |= b[j]
                j += 1
            elif sb - sa and i < len(a):
                ga.append(i)
                sa |= a[i]
                i += 1
            else:
                break
        out.append((ga, gb))
    return out


def compare(name: str, board, opt: str, optimize: str = "balanced", make=None) -> dict:
    """Dense and compressed per-layer profiles of model ``name`` (made by ``make``, default this
    module's :func:`build`) and their ratios (compressed under the weight preference ``optimize``).
    Where one build bands (or fuses) ops the other runs separately, their rows are summed into one
    (``index``: "1+2")."""
    from instructions import measure

    from tfcompress.boards import with_optimize

    board = with_optimize(board, optimize)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.tflite"
        path.write_bytes((make or build)(name))
        runs, covers, kernels = {}, {}, {}
        for label, cw in (("dense", False), ("compressed", True)):
            print(f"{name}: {label} on {board.name} ...", file=sys.stderr, flush=True)
            runs[label] = measure(name, "optimized", board, opt=opt, runs=1, layers=True, keep=None,
                                  path=path, compress_weights=cw)
            covers[label], kernels[label] = _covers(path, cw, optimize)
    dense, comp = runs["dense"], runs["compressed"]
    layers = []
    for gd, gc in _groups(covers["dense"], covers["compressed"]):
        ds, cs = [dense["layers"][k] for k in gd], [comp["layers"][k] for k in gc]
        d0 = ds[0]
        macs = sum(d["macs"] for d in ds)
        if macs == 0 or d0["op"] not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            continue
        di, ci = sum(d["instructions"] for d in ds), sum(c["instructions"] for c in cs)
        kinds = sorted({storage(k) for j in gc for k in kernels["compressed"][j]})
        layers.append(dict(index="+".join(c["ops"] for c in cs), op=d0["op"],
                           storage=kinds[0] if len(kinds) == 1 else "/".join(kinds),
                           kernel="+".join(c["kernel"] for c in cs), dense_kernel="+".join(d["kernel"] for d in ds),
                           macs=macs, dense=di, compressed=ci, ratio=ci / di if di else None))
    kinds: dict = defaultdict(lambda: [0.0, 0.0])
    for r in layers:
        k = kinds[f"{r['op']} {r['storage']}"]
        k[0] += r["dense"]
        k[1] += r["compressed"]
    return dict(model=name, board=board.name, opt=opt, optimize=optimize,
                dense=dict(instructions=dense["instructions"], weights=dense["weights"], ram=dense["ram"],
                           mismatches=dense["mismatches"]),
                compressed=dict(instructions=comp["instructions"], weights=comp["weights"], ram=comp["ram"],
                                mismatches=comp["mismatches"]),
                ratio=comp["instructions"] / dense["instructions"], layers=layers,
                # every profiled op of both builds (kernel, MACs, instructions): storage_cost_fit.py's data
                raw=dict(dense=dense["layers"], compressed=comp["layers"]),
                kinds={k: dict(dense=v[0], compressed=v[1], ratio=v[1] / v[0] if v[0] else None)
                       for k, v in sorted(kinds.items())})


def _print(r: dict) -> None:
    print(f"\n{r['model']} on {r['board']} ({r['opt']}, optimize={r['optimize']}): dense {r['dense']['instructions']:,.0f} -> compressed "
          f"{r['compressed']['instructions']:,.0f} instructions ({r['ratio']:.2f}x); weights "
          f"{r['dense']['weights']:,} -> {r['compressed']['weights']:,} B; RAM {r['dense']['ram']:,} -> "
          f"{r['compressed']['ram']:,} B; mismatches {r['dense']['mismatches']}/{r['compressed']['mismatches']}")
    print(f"  {'#':>5} {'op':<18} {'storage':<7} {'MACs':>9} {'dense':>10} {'compr.':>10} {'ratio':>6}  goal")
    for x in r["layers"]:
        goal = GOALS.get(x["storage"])
        ok = "" if goal is None or x["ratio"] is None else ("ok" if x["ratio"] <= goal else f"> {goal}")
        print(f"  {x['index']:>5} {x['op']:<18} {x['storage']:<7} {x['macs']:>9,} {x['dense']:>10,.0f} "
              f"{x['compressed']:>10,.0f} {x['ratio'] or 0:>6.2f}  {ok}")
    for k, v in r["kinds"].items():
        print(f"  total {k:<26} {v['dense']:>10,.0f} {v['compressed']:>10,.0f} {v['ratio'] or 0:>6.2f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    ap.add_argument("--boards", nargs="+", default=["mps2-an500"], help="e.g. mps2-an500 netduinoplus2")
    ap.add_argument("--opt", default="-O2")
    ap.add_argument("--optimize", choices=list(PREFERENCES), default="balanced",
                    help="speed/size preference of the compressed build (engine/optimize.py, weight_policy.py)")
    ap.add_argument("--all-compressed", action="store_true",
                    help="every compressible layer compressed: the preference without its speed rule "
                         "(speed_elasticity, weight_policy.py; the data of storage_cost_fit.py)")
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = ap.parse_args(argv)
    if args.all_compressed:
        import dataclasses

        PREFERENCES[args.optimize] = dataclasses.replace(PREFERENCES[args.optimize], speed_elasticity=None)
    from tfcompress.boards import load_board

    rows = [compare(m, load_board(b), args.opt, args.optimize) for b in args.boards for m in args.models]
    if args.json:
        print(json.dumps(dict(results=rows, goals=GOALS)))
    else:
        for r in rows:
            _print(r)
    bad = [r["model"] for r in rows if r["dense"]["mismatches"] or r["compressed"]["mismatches"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
