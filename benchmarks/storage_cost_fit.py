"""Fit the instruction cost model of ``tfcompress/engine/storage_cost.py`` (``INSTRUCTIONS``) from
per-layer measurements: per C kernel, instructions = fixed + per MAC x MACs + per output x output
elements + per window x input values gathered, least squares on the relative error over every
profiled op that ran that kernel (dense and compressed builds; banded drivers are left out: they
run two ops), all terms >= 0 (a negative one is dropped and the rest refitted), over a kernel's
runs under the balanced preference where it has any (:data:`PREFERRED`).

The measurements are the ``--json`` output of ``compressed_speed.py``, ``compressed_fc.py`` and
``cost_shapes.py`` (their ``raw`` rows), taken with every compressible layer compressed
(``--all-compressed``). ``storage_cost_refresh.py`` runs all of them and this fit and rewrites the
tables; this command prints a table and the rows for a look at other measurements:

    .venv/bin/python benchmarks/storage_cost_fit.py speed.json fc.json shapes.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

Point = tuple[int, int, int, float]  # MACs, outputs, windows, instructions


def points(results: list[dict]) -> dict[str, list[Point]]:
    """kernel -> (MACs, output elements, window values, instructions) of every profiled op that ran
    it, over the ``results`` rows of ``compressed_speed.py`` / ``compressed_fc.py`` / ``cost_shapes.py``
    ``--json`` outputs."""
    out: dict[str, set[Point]] = defaultdict(set)
    for r in results:
        for side in ("dense", "compressed"):
            for row in r["raw"][side]:
                if row["macs"] and row["kernel"] != "tfc_band_s8" and row["instructions"] > 0:
                    out[row["kernel"]].add((int(row["macs"]), int(row["outputs"]), int(row["windows"]),
                                            float(row["instructions"])))
    return {k: sorted(v) for k, v in sorted(out.items())}


def fit(pts: list[Point]) -> tuple[float, ...]:
    """(fixed, per MAC, per output, per window), all >= 0, minimising the relative error; one term
    per two distinct points at most (per MAC first, then per output, per window, fixed), so that
    few points do not fit their noise."""
    x = np.array([[1.0, m, o, w] for m, o, w, _ in pts])
    y = np.array([t for *_, t in pts])
    xs, ys = x / y[:, None], np.ones_like(y)  # relative error
    distinct = len({p[:3] for p in pts})
    use = [1, 2, 3, 0][:max(1, min(4, distinct // 2))]
    while True:
        coef = np.linalg.lstsq(xs[:, use], ys, rcond=None)[0]
        if (coef >= 0).all() or len(use) == 1:
            full = [0.0] * 4
            for k, c in zip(use, coef, strict=True):
                full[k] = max(float(c), 0.0)
            return tuple(full)
        use = [k for k, c in zip(use, coef, strict=True) if c >= 0] or use[:1]


def worst_error(c: tuple[float, ...], pts: list[Point]) -> float:
    """Largest relative error of the cost row ``c`` over ``pts``."""
    return max(abs(c[0] + c[1] * m + c[2] * o + c[3] * w - t) / t for m, o, w, t in pts)


#: the weight preference whose runs a kernel's row is fitted to where it has any: the balanced
#: policy is the table's user, and a decoding kernel's speed follows the preference's RAM slack
#: (its channel blocks); kernels only other preferences run (direct windows, pair-code pointwise,
#: portable 4-bit FULLY_CONNECTED) are fitted to those runs
PREFERRED = "balanced"


def table(results: list[dict]) -> dict[str, dict]:
    """kernel -> {"row": (fixed, per MAC, per output, per window), "shapes": distinct shapes,
    "points": profiled ops, "worst": largest relative error} fitted to ``results`` (per kernel its
    :data:`PREFERRED` runs where it has any, else all)."""
    preferred = points([r for r in results if r.get("optimize", PREFERRED) == PREFERRED])
    out = {}
    for kernel, pts in points(results).items():
        pts = preferred.get(kernel, pts)
        c = fit(pts)
        out[kernel] = dict(row=c, shapes=len({p[:3] for p in pts}), points=len(pts), worst=worst_error(c, pts))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path, help="--json outputs of compressed_speed.py / compressed_fc.py")
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = ap.parse_args(argv)
    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:
        raise SystemExit(f"no such file: {', '.join(missing)}; write it with the benchmark's --json")
    rows = table([r for path in args.files for r in json.loads(path.read_text())["results"]])
    if args.json:
        print(json.dumps({k: dict(t, row=list(t["row"])) for k, t in rows.items()}))
        return 0
    for kernel, t in rows.items():
        c = t["row"]
        print(f"{kernel:34s} n={t['points']:2d} fixed {c[0]:7.0f} /MAC {c[1]:6.3f} /output {c[2]:6.2f} "
              f"/window {c[3]:6.3f}  worst error {100 * t['worst']:5.1f}%", file=sys.stderr)
    for k, t in rows.items():
        c = t["row"]
        print(f'    "{k}": ({c[0]:.0f}, {c[1]:.3f}, {c[2]:.2f}, {c[3]:.3f}),')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
