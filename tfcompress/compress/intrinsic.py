"""Intrinsic-dimension estimators used to pick per-layer cluster counts.

``twonn`` is the Two-Nearest-Neighbours estimator (Facco et al., 2017): for each point
the ratio mu = r2 / r1 of its second and first neighbour distances follows a Pareto
law with exponent d, so -log(1 - F(mu)) = d log(mu); d is the slope of a
least-squares line through the origin over the empirical CDF, discarding the top 10%
of ratios (the noisiest). ``pca`` counts the principal
components that explain 95% of the variance.
"""

from __future__ import annotations

import numpy as np

METHODS = ("twonn", "pca")


def twonn(points: np.ndarray, discard: float = 0.1) -> float:
    """TwoNN intrinsic dimension of ``points`` (N, D)."""
    x = np.asarray(points, dtype=np.float64).reshape(len(points), -1)
    x = np.unique(x, axis=0)
    if len(x) < 3:
        return 1.0
    sq = np.sum(x * x, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * x @ x.T, 0.0)
    np.fill_diagonal(d2, np.inf)
    two = np.sqrt(np.partition(d2, 1, axis=1)[:, :2])
    r1, r2 = two[:, 0], two[:, 1]
    ok = r1 > 0
    mu = np.sort(r2[ok] / r1[ok])
    n = len(mu)
    keep = max(2, int(n * (1.0 - discard)))
    x = np.log(mu[:keep])
    y = -np.log(1.0 - np.arange(keep) / n)
    denom = float(np.sum(x * x))
    return float(np.sum(x * y) / denom) if denom > 0 else 1.0


def pca_dimension(points: np.ndarray, variance: float = 0.95) -> float:
    """Number of principal components that explain ``variance`` of ``points``."""
    x = np.asarray(points, dtype=np.float64).reshape(len(points), -1)
    x = x - x.mean(axis=0)
    s = np.linalg.svd(x, compute_uv=False)
    ev = s * s
    if ev.sum() <= 0:
        return 1.0
    frac = np.cumsum(ev) / ev.sum()
    return float(int(np.searchsorted(frac, variance) + 1))


def estimate(points: np.ndarray, method: str = "twonn") -> float:
    """Intrinsic dimension with ``method`` ('twonn' or 'pca')."""
    return twonn(points) if method == "twonn" else pca_dimension(points)


def clusters_for_dimension(dim: float, *, low: int = 4, high: int = 64) -> int:
    """Map an intrinsic dimension to a cluster count.

    Mapping: ``clusters = clip(2 ** ceil(log2(4 * d)), low, high)``: a power of two
    (so the cluster index packs into whole bits) about four times the intrinsic
    dimension; d=1 -> 4 clusters (2 bits), d=4 -> 16 (4 bits), d>=12 -> 64 (6 bits).
    Layers whose activations live on a low-dimensional manifold get few clusters.
    """
    want = max(1.0, 4.0 * float(dim))
    n = 2 ** int(np.ceil(np.log2(want)))
    return int(min(high, max(low, n)))
