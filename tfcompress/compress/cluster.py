"""Weight clustering with tfmot, optionally sparsity-preserving, with automatic per-layer counts.

``clusters="auto"`` estimates each clusterable layer's intrinsic dimension from its
activations on a calibration batch (TwoNN, or PCA at 95% variance) and maps it to a
cluster count with :func:`tfcompress.compress.intrinsic.clusters_for_dimension`.
``strip_clustering`` is applied before the model is returned.

A layer whose weights cannot hold the requested count (a pruned layer with fewer non-zero
weights than clusters, where tfmot's k-means++ would fail) is clustered with the largest count
that fits, or kept as it is (frozen while the others fine-tune) when none does; see
:mod:`tfcompress.compress.cluster_fit`. The stage's metrics record each such layer under
``clusters_limited`` and the report notes it beside the layer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from tfcompress.compress import finetune, intrinsic
from tfcompress.compress.cluster_fit import fit_counts
from tfcompress.compress.compat import check_layers
from tfcompress.compress.prune import copy_model
from tfcompress.compress.result import StageResult, layer_report, overall_sparsity
from tfcompress.console import log
from tfcompress.errors import TfcError, unknown
from tfcompress.tfenv import keras, tfmot

#: user-facing centroid initialisation name -> tfmot CentroidInitialization member name.
INITS = {
    "kmeans++": "KMEANS_PLUS_PLUS",
    "linear": "LINEAR",
    "density": "DENSITY_BASED",
    "random": "RANDOM",
}


@dataclass
class ClusterParams:
    """Clustering parameters; ``clusters`` is an int or ``"auto"``."""

    clusters: int | str = 16
    init: str = "kmeans++"
    preserve_sparsity: bool = False
    epochs: int = 3
    batch_size: int = 64
    learning_rate: float = 1e-4
    id_method: str = "twonn"
    calibration: int = 256
    min_clusters: int = 4
    max_clusters: int = 64

    def validate(self) -> None:
        if self.init not in INITS:
            raise unknown("centroid initialisation", self.init, INITS)
        if self.id_method not in intrinsic.METHODS:
            raise unknown("intrinsic-dimension method", self.id_method, intrinsic.METHODS)
        if self.clusters != "auto" and (not isinstance(self.clusters, int) or self.clusters < 2):
            raise TfcError(f"invalid cluster count '{self.clusters}'", "use an integer >= 2 or 'auto'")


def _clusterable(layer: Any) -> bool:
    from tensorflow_model_optimization.python.core.clustering.keras.clustering_registry import (
        ClusteringRegistry,
    )

    if not layer.weights or not layer.trainable or not ClusteringRegistry.supports(layer):
        return False  # frozen layers (e.g. a soft-argmax coordinate grid) are fixed by design
    if isinstance(layer, tfmot().clustering.keras.ClusterableLayer):
        return True
    return bool(ClusteringRegistry._weight_names(layer))  # noqa: SLF001 - registry has no public accessor


def auto_cluster_counts(model: Any, dataset: Any, params: ClusterParams) -> dict[str, dict[str, float]]:
    """Per clusterable layer: intrinsic dimension of its activations and the chosen count."""
    calib = dataset.representative(params.calibration)
    out: dict[str, dict[str, float]] = {}
    for layer in model.layers:
        if not _clusterable(layer):
            continue
        probe = keras().Model(model.inputs, layer.output)
        acts = probe.predict(calib, batch_size=128, verbose=0).reshape(len(calib), -1)
        dim = intrinsic.estimate(acts, params.id_method)
        n = intrinsic.clusters_for_dimension(dim, low=params.min_clusters, high=params.max_clusters)
        out[layer.name] = {"intrinsic_dim": round(dim, 3), "clusters": n}
        log(f"  {layer.name}: intrinsic dimension {dim:.2f} ({params.id_method}) -> {n} clusters")
    return out


def wrap_for_clustering(model: Any, counts: dict[str, int], params: ClusterParams,
                        frozen: frozenset[str] = frozenset()) -> Any:
    """Clone ``model`` with cluster wrappers (per-layer counts) on clusterable layers; the
    ``frozen`` layers are not trainable in the clone."""
    from tensorflow_model_optimization.python.core.clustering.keras.experimental import cluster as exp

    init = getattr(tfmot().clustering.keras.CentroidInitialization, INITS[params.init])

    def clone(layer: Any) -> Any:
        if layer.name in frozen:
            layer.trainable = False  # a layer of the private copy below
        if layer.name not in counts:
            return layer
        return exp.cluster_weights(
            layer,
            number_of_clusters=counts[layer.name],
            cluster_centroids_init=init,
            preserve_sparsity=params.preserve_sparsity,
        )

    return keras().models.clone_model(copy_model(model), clone_function=clone)


def cluster(model: Any, dataset: Any, params: ClusterParams | None = None, *, seed: int = 0) -> StageResult:
    """Cluster ``model``'s kernels, fine-tune, strip the wrappers and report."""
    params = params or ClusterParams()
    params.validate()
    check_layers(model, "cluster")
    baseline = finetune.evaluate(model, dataset)
    auto: dict[str, dict[str, float]] = {}
    if params.clusters == "auto":
        auto = auto_cluster_counts(model, dataset, params)
        counts = {k: int(v["clusters"]) for k, v in auto.items()}
    else:
        counts = {layer.name: int(params.clusters) for layer in model.layers if _clusterable(layer)}
    if not counts:
        raise TfcError("the model has no layer tfmot can cluster", "clustering needs Conv2D or Dense layers")
    counts, limited = fit_counts(model, counts, params.preserve_sparsity)  # e.g. heavily pruned small layers
    if not counts:
        raise TfcError(f"no clusterable layer's weights can hold {params.clusters} clusters (too few weights)",
                       "use fewer clusters or a lower pruning sparsity")
    frozen = frozenset(name for name, rec in limited.items() if rec["clusters"] is None)
    wrapped = wrap_for_clustering(model, counts, params, frozen)
    finetune.fit(
        wrapped, dataset, epochs=params.epochs, batch_size=params.batch_size,
        learning_rate=params.learning_rate, seed=seed,
    )
    stripped = tfmot().clustering.keras.strip_clustering(wrapped)
    for name in frozen:
        stripped.get_layer(name).trainable = True
    layers = layer_report(stripped)
    clustered = [r for r in layers if r.name in counts]
    return StageResult(
        stage="cluster",
        model=stripped,
        metrics={
            "metric": dataset.metric,
            "baseline": baseline,
            "value": finetune.evaluate(stripped, dataset),
            "sparsity": overall_sparsity(layers),
            "clusters": counts,
            "clusters_limited": limited,
            "max_unique_values": int(max(r.unique_values for r in clustered)),
            "params": int(stripped.count_params()),
        },
        layers=layers,
        params={**asdict(params), "auto": auto},
    )
