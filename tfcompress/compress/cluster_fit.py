"""How many clusters a layer's weights can hold, decided on the host before tfmot sees them.

tfmot's centroid initialisation samples each centroid from distinct weights (k-means++ draws
``k`` points out of the weights). Without sparsity preservation a weight tensor of ``n``
elements holds at most ``n`` clusters. With it, tfmot keeps one centroid at zero and splits
the other ``k - 1`` between the negative and the positive weights in proportion to their counts
(``round((k - 1) * neg / (neg + pos))`` negative, the rest positive); each side needs at least
as many weights as centroids, or k-means++ fails (``num_to_sample <= points.rows()``) — a
pruned layer with fewer non-zero weights than clusters.

Policy (``fit_counts``): such a layer is clustered with the largest count that fits
(tfmot's minimum is 3 with sparsity preservation, 2 without), or left unclustered when none
does (its few non-zero weights already take fewer values than the requested count). Every
change is logged and returned, so the stage records it in its metrics (``clusters_limited``).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _split(k: int, neg: int, pos: int) -> tuple[int, int]:
    """tfmot's split of ``k - 1`` non-zero centroids between negative and positive weights."""
    n_neg = int(np.round((k - 1) * (neg / (neg + pos))))  # numpy rounds half to even, as tf.math.round
    return n_neg, k - 1 - n_neg


def max_clusters(weights: list[np.ndarray], requested: int, preserve_sparsity: bool) -> int | None:
    """The largest count ``<= requested`` every tensor of ``weights`` can hold, or None."""
    lowest = 3 if preserve_sparsity else 2
    for k in range(requested, lowest - 1, -1):
        if all(_fits(np.asarray(w), k, preserve_sparsity) for w in weights):
            return k
    return None


def _fits(w: np.ndarray, k: int, preserve_sparsity: bool) -> bool:
    if not preserve_sparsity:
        return w.size >= k
    neg, pos = int(np.sum(w < 0)), int(np.sum(w > 0))
    if neg + pos == 0:
        return False  # tfmot would return one (zero) centroid instead of k
    n_neg, n_pos = _split(k, neg, pos)
    return n_neg <= neg and n_pos <= pos


def clusterable_weights(layer: Any) -> list[np.ndarray] | None:
    """The arrays tfmot clusters in ``layer`` (None when they cannot be named here)."""
    from tensorflow_model_optimization.python.core.clustering.keras.clustering_registry import (
        ClusteringRegistry,
    )

    from tfcompress.tfenv import tfmot

    try:
        if isinstance(layer, tfmot().clustering.keras.ClusterableLayer):
            return [np.asarray(w) for _, w in layer.get_clusterable_weights()]
        names = ClusteringRegistry._weight_names(layer)  # noqa: SLF001 - registry has no public accessor
        return [np.asarray(getattr(layer, n)) for n in names]
    except (AttributeError, KeyError):
        return None


def fit_counts(model: Any, counts: dict[str, int], preserve_sparsity: bool
               ) -> tuple[dict[str, int], dict[str, dict[str, Any]]]:
    """``counts`` with each layer limited to what its weights hold (layers that hold none are
    dropped), and one record per changed layer: ``requested``, ``clusters`` (None: left
    unclustered), ``weights`` (how many: ``counted`` "non-zero" with sparsity preservation, else "all")."""
    from tfcompress.console import log

    out: dict[str, int] = {}
    limited: dict[str, dict[str, Any]] = {}
    for name, requested in counts.items():
        weights = clusterable_weights(model.get_layer(name))
        k = requested if weights is None else max_clusters(weights, requested, preserve_sparsity)
        if k is not None:
            out[name] = k
        if k == requested:
            continue
        counted = "non-zero" if preserve_sparsity else "all"
        held = sum(int(np.count_nonzero(w)) if preserve_sparsity else int(w.size) for w in weights or [])
        limited[name] = {"requested": requested, "clusters": k, "weights": held, "counted": counted}
        log(f"  {name}: {held} {'non-zero ' if preserve_sparsity else ''}weights cannot hold {requested} "
            f"clusters{' (sparsity-preserving)' if preserve_sparsity else ''} -> "
            f"{f'{k} clusters' if k is not None else 'left unclustered'}")
    return out, limited


def describe(record: dict[str, Any]) -> str:
    """One ``clusters_limited`` record as a short note for tables and reports."""
    held = f"{record['weights']} {'non-zero ' if record.get('counted') == 'non-zero' else ''}weights"
    if record.get("clusters") is None:
        return f"{held}: left unclustered ({record['requested']} clusters requested)"
    zero = ", zero included" if record.get("counted") == "non-zero" else ""
    return f"{held}: {record['clusters']} clusters{zero} ({record['requested']} requested)"
