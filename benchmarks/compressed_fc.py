"""Compressed FULLY_CONNECTED weights vs dense, layer by layer, on emulated boards (QEMU, -icount).

The MLPerf Tiny anomaly-detection autoencoder's shape (640 -> 128 x4 -> 8 -> 128 x4 -> 640, ReLU;
untrained, calibrated on random inputs) with compressed weights, measured like
``compressed_speed.py`` (its per-layer comparison and table; dense = ``compress_weights`` off):

* ``ad-clustered``: 16 clusters per layer (tfmot): 4-bit weights, one codebook per layer;
* ``ad-pruned``: 50% magnitude pruning per layer (sparse weights);
* ``ad-2of4``: two of every four consecutive inputs kept (2:4 structured).

Usage:

    .venv/bin/python benchmarks/compressed_fc.py --models ad-clustered
    .venv/bin/python benchmarks/compressed_fc.py --json > compressed_fc.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import compressed_speed as cs  # noqa: E402

from tfcompress.engine.weight_policy import PREFERENCES  # noqa: E402

MODELS = ("ad-clustered", "ad-pruned", "ad-2of4")
WIDTHS = (128, 128, 128, 128, 8, 128, 128, 128, 128, 640)


def dense_stack(inputs: int, widths: tuple[int, ...], seed: int = 1):
    """A Keras model: ``inputs`` values through Dense layers of ``widths`` (ReLU but the last)."""
    from tfcompress.tfenv import keras

    K = keras()
    K.utils.set_random_seed(seed)
    inp = K.Input((inputs,))
    x = inp
    for k, n in enumerate(widths):
        x = K.layers.Dense(n, activation=None if k == len(widths) - 1 else "relu")(x)
    return K.Model(inp, x)


def _autoencoder(seed: int = 1):
    return dense_stack(640, WIDTHS, seed)


def build(name: str) -> bytes:
    """The int8 .tflite of benchmark model ``name``."""
    m = _autoencoder()
    if name == "ad-clustered":
        from tfcompress.tfenv import tfmot

        cl = tfmot().clustering.keras
        wrapped = cl.cluster_weights(m, number_of_clusters=16,
                                     cluster_centroids_init=cl.CentroidInitialization.KMEANS_PLUS_PLUS)
        return cs._int8(cl.strip_clustering(wrapped))
    if name == "ad-pruned":
        cs._prune(m, cs._half_by_magnitude)
        return cs._int8(m)
    if name == "ad-2of4":
        cs._prune(m, cs._two_of_four)
        return cs._int8(m)
    raise SystemExit(f"unknown model {name!r}; choose from {', '.join(MODELS)}")


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

    rows = [cs.compare(m, load_board(b), args.opt, args.optimize, make=build) for b in args.boards for m in args.models]
    if args.json:
        print(json.dumps(dict(results=rows, goals=cs.GOALS)))
    else:
        for r in rows:
            cs._print(r)
    bad = [r["model"] for r in rows if r["dense"]["mismatches"] or r["compressed"]["mismatches"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
