"""Compression stages on a tiny CNN trained on scikit-learn digits (fast)."""

from __future__ import annotations

import numpy as np
import pytest

from tfcompress.errors import TfcError


@pytest.fixture(scope="module")
def ds():
    from tfcompress.data import load_dataset

    return load_dataset("digits", seed=0)


@pytest.fixture(scope="module")
def base(ds):
    from tfcompress.compress import finetune, toy

    model = toy.small_cnn(ds.input_shape, ds.num_outputs, width=8)
    finetune.fit(model, ds, epochs=6, learning_rate=5e-3)
    return model


@pytest.fixture(scope="module")
def pruned(ds, base):
    from tfcompress.compress.prune import PruneParams, prune

    return prune(base, ds, PruneParams(sparsity=0.6, epochs=1))


def _kernel(model, name):
    return model.get_layer(name).get_weights()[0]


def _no_wrappers(model) -> bool:
    return all("Wrapper" not in type(layer).__name__ and "Prune" not in type(layer).__name__
               and "Cluster" not in type(layer).__name__ for layer in model.layers)


def test_constant_pruning_reaches_target_after_strip(pruned, base):
    assert _no_wrappers(pruned.model)
    for rec in pruned.layers:
        if rec.name in ("conv1", "conv2", "pw3", "logits"):
            assert abs(rec.sparsity - 0.6) <= 0.01, rec
    assert abs(pruned.metrics["pruned_sparsity"] - 0.6) <= 0.01
    assert np.mean(_kernel(base, "conv2") == 0) < 0.05  # the input model is untouched


def test_polynomial_pruning_reaches_target(ds, base):
    from tfcompress.compress.prune import PruneParams, prune

    r = prune(base, ds, PruneParams(sparsity=0.5, schedule="polynomial", epochs=2, skip_first=True))
    sparsity = {rec.name: rec.sparsity for rec in r.layers}
    assert sparsity["conv1"] == 0.0  # skipped
    for name in ("conv2", "pw3", "logits"):
        assert abs(sparsity[name] - 0.5) <= 0.01


def test_two_four_structured_sparsity(ds, base):
    from tfcompress.compress.prune import PruneParams, prune

    r = prune(base, ds, PruneParams(sparsity=0.5, m_by_n=(2, 4), epochs=1))
    k = _kernel(r.model, "conv2")  # (h, w, cin, cout); m_by_n runs along cin
    groups = np.moveaxis(k, 2, -1).reshape(-1, 4)
    assert np.all(np.sum(groups == 0, axis=1) >= 2)
    d = _kernel(r.model, "logits").T.reshape(-1, 4)
    assert np.all(np.sum(d == 0, axis=1) >= 2)


def test_bad_pruning_params_are_user_errors(ds, base):
    from tfcompress.compress.prune import PruneParams, prune

    with pytest.raises(TfcError, match="sparsity"):
        prune(base, ds, PruneParams(sparsity=1.5))
    with pytest.raises(TfcError, match="schedule"):
        prune(base, ds, PruneParams(schedule="cubic"))


def test_clustering_limits_unique_values(ds, base):
    from tfcompress.compress.cluster import ClusterParams, cluster

    r = cluster(base, ds, ClusterParams(clusters=8, init="linear", epochs=1))
    assert _no_wrappers(r.model)
    for name in ("conv1", "conv2", "pw3", "logits"):
        assert np.unique(_kernel(r.model, name)).size <= 8
    assert r.metrics["max_unique_values"] <= 8


def test_sparsity_preserving_clustering_keeps_zeros(ds, pruned):
    from tfcompress.compress.cluster import ClusterParams, cluster

    r = cluster(pruned.model, ds, ClusterParams(clusters=8, preserve_sparsity=True, epochs=1))
    for name in ("conv2", "pw3", "logits"):
        k = _kernel(r.model, name)
        assert np.mean(k == 0) >= 0.59
        assert np.unique(k).size <= 8


def test_auto_cluster_counts_from_intrinsic_dimension(ds, base):
    from tfcompress.compress.cluster import ClusterParams, auto_cluster_counts

    for method in ("twonn", "pca"):
        counts = auto_cluster_counts(base, ds, ClusterParams(clusters="auto", id_method=method, calibration=128))
        assert set(counts) == {"conv1", "conv2", "pw3", "logits"}
        for v in counts.values():
            assert 4 <= v["clusters"] <= 64 and v["clusters"] & (v["clusters"] - 1) == 0
            assert v["intrinsic_dim"] > 0


def test_intrinsic_dimension_estimators():
    from tfcompress.compress.intrinsic import clusters_for_dimension, pca_dimension, twonn

    rng = np.random.default_rng(0)
    plane = rng.uniform(size=(600, 3)) @ rng.normal(size=(3, 20))
    assert 2.4 < twonn(plane) < 3.6
    assert pca_dimension(plane) == 3
    assert clusters_for_dimension(1) == 4
    assert clusters_for_dimension(4) == 16
    assert clusters_for_dimension(40) == 64


def test_channel_pruning_really_removes_filters(ds, base):
    from tfcompress.compress.channels import ChannelParams, channel_prune

    r = channel_prune(base, ds, ChannelParams(fraction=0.5, epochs=1))
    assert r.metrics["params"] < 0.6 * r.metrics["params_before"]
    assert r.model.get_layer("conv2").filters == 8
    assert r.model.get_layer("pw3").filters == 8
    assert r.model.get_layer("logits").units == ds.num_outputs
    assert r.model.predict(ds.x_test[:4], verbose=0).shape == (4, ds.num_outputs)


def test_pcqat_keeps_sparsity_and_clusters_into_tflite(ds, pruned):
    from tfcompress.compress.cluster import ClusterParams, cluster
    from tfcompress.compress.qat import QatParams, qat
    from tfcompress.convert.inspect import tflite_layer_report, weight_arrays
    from tfcompress.convert.modes import convert_model

    clustered = cluster(pruned.model, ds, ClusterParams(clusters=8, preserve_sparsity=True, epochs=1))
    r = qat(clustered.model, ds, QatParams(scheme="pcqat", epochs=1))
    data = convert_model(r.model, "qat-int8", ds)
    weights = {k: v for k, v in weight_arrays(data).items() if "depthwise" not in k}
    assert len(weights) == 4
    for name, w in weights.items():
        assert np.mean(w == 0) >= 0.59, name
        per_channel = [np.unique(w[c]).size for c in range(w.shape[0])]
        assert max(per_channel) <= 8, (name, per_channel)
    assert all(r.unique_per_channel <= 8 for r in tflite_layer_report(data) if "depthwise" not in r.name)


def test_frozen_layers_are_left_alone(ds):
    """A frozen layer (like heatmap-cnn's soft-argmax coordinate grid) is neither pruned nor clustered."""
    from tfcompress.compress.cluster import ClusterParams, cluster
    from tfcompress.compress.prune import PruneParams, prune
    from tfcompress.tfenv import keras

    K = keras()
    inp = K.Input(ds.input_shape)
    x = K.layers.Flatten()(inp)
    x = K.layers.Dense(16, activation="relu", name="hidden")(x)
    frozen = K.layers.Dense(ds.num_outputs, trainable=False, name="frozen")
    model = K.Model(inp, K.layers.Softmax()(frozen(x)))
    grid = frozen.get_weights()[0].copy()
    pruned = prune(model, ds, PruneParams(0.5, epochs=1))
    clustered = cluster(model, ds, ClusterParams(4, epochs=1))
    for result in (pruned, clustered):
        np.testing.assert_array_equal(result.model.get_layer("frozen").get_weights()[0], grid)
    assert abs(np.mean(pruned.model.get_layer("hidden").get_weights()[0] == 0) - 0.5) <= 0.01
    assert np.unique(clustered.model.get_layer("hidden").get_weights()[0]).size <= 4


def test_lambda_layer_is_named_with_a_way_out(ds):
    from tfcompress.compress.cluster import cluster
    from tfcompress.compress.prune import prune
    from tfcompress.compress.qat import qat
    from tfcompress.tfenv import keras

    K = keras()
    inp = K.Input(ds.input_shape)
    x = K.layers.Lambda(lambda t: t * 2.0, name="double")(inp)
    x = K.layers.Flatten()(x)
    model = K.Model(inp, K.layers.Dense(ds.num_outputs, activation="softmax")(x))
    for stage in (prune, cluster, qat):
        with pytest.raises(TfcError) as err:
            stage(model, ds)
        assert "'double'" in err.value.what and "Lambda" in err.value.what
        assert err.value.fix


@pytest.mark.parametrize("kind", ["prune", "cluster", "qat"])
def test_wrapped_models_round_trip(tmp_path, ds, base, kind):
    from tfcompress.compress.prune import copy_model
    from tfcompress.modelio import load_model, save_model
    from tfcompress.tfenv import tfmot

    mot = tfmot()
    model = copy_model(base)
    if kind == "prune":
        model = mot.sparsity.keras.prune_low_magnitude(model)
    elif kind == "cluster":
        model = mot.clustering.keras.cluster_weights(model, number_of_clusters=4)
    else:
        model = mot.quantization.keras.quantize_model(model)
        with pytest.raises(TfcError):
            save_model(model, tmp_path / "m.keras")
    path = save_model(model, tmp_path / "m.h5")
    again = load_model(path)
    x = ds.x_test[:8]
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)


def test_qat_starts_from_calibrated_activation_ranges(ds, base):
    """Every activation range of the QAT model starts at the float model's min/max on the
    calibration data (tfmot would start at [-6, 6] and barely move in a short fine-tune)."""
    from tfcompress.compress.qat import quantize
    from tfcompress.compress.qat_ranges import _output_in, activation_range_vars, calibrate_activation_ranges
    from tfcompress.tfenv import keras

    q = quantize(base, "qat")
    targets = activation_range_vars(q)
    assert "" in targets and len(targets) >= 3  # the input and the fused activations
    x = ds.x_train[:300]
    assert calibrate_activation_ranges(q, base, x, batch_size=128) == len(targets)
    for name, (lo, hi) in targets.items():
        t = base.inputs[0] if name == "" else _output_in(base, name)
        out = np.asarray(keras().Model(base.inputs, t)(x, training=False))
        assert float(lo.numpy()) == pytest.approx(min(float(out.min()), 0.0), rel=1e-5, abs=1e-6), name
        assert float(hi.numpy()) == pytest.approx(max(float(out.max()), 0.0), rel=1e-5, abs=1e-6), name
        assert (float(lo.numpy()), float(hi.numpy())) != (-6.0, 6.0)


def test_sparsity_preserving_clustering_limits_layers_with_few_non_zero_weights(ds, base):
    """A pruned layer with fewer non-zero weights than clusters made tfmot's k-means++ fail
    (num_to_sample <= points.rows()): it now gets the largest count that fits, or is kept as it is."""
    from tfcompress.compress.cluster import ClusterParams, cluster
    from tfcompress.compress.cluster_fit import describe, max_clusters
    from tfcompress.compress.prune import copy_model

    model = copy_model(base)
    k1 = np.zeros_like(_kernel(model, "conv1")).reshape(-1)
    k1[[0, 5, 9, 13]], k1[[20, 30]] = [-0.3, -0.2, -0.1, -0.05], [0.2, 0.4]  # 4 negative, 2 positive
    model.get_layer("conv1").set_weights([k1.reshape(_kernel(model, "conv1").shape)])
    logits = model.get_layer("logits").get_weights()
    lk = np.zeros_like(logits[0])
    lk[3, 4] = 0.5  # one non-zero weight: no count >= 3 fits
    model.get_layer("logits").set_weights([lk, logits[1]])

    r = cluster(model, ds, ClusterParams(clusters=16, preserve_sparsity=True, epochs=1))
    limited = r.metrics["clusters_limited"]
    assert limited["conv1"] == {"requested": 16, "clusters": 7, "weights": 6, "counted": "non-zero"}
    assert limited["logits"]["clusters"] is None and "logits" not in r.metrics["clusters"]
    assert set(limited) == {"conv1", "logits"} and r.metrics["clusters"]["conv2"] == 16
    c1 = _kernel(r.model, "conv1")
    assert np.count_nonzero(c1) <= 6 and np.unique(c1).size <= 7
    assert np.array_equal(_kernel(r.model, "logits"), lk) and r.model.get_layer("logits").trainable
    assert describe(limited["logits"]) == "1 non-zero weights: left unclustered (16 clusters requested)"
    # tfmot's split of the 15 non-zero centroids: round(15 * 4/6) = 10 negative > 4 -> ... -> 7: (4, 2)
    assert max_clusters([k1], 16, True) == 7 and max_clusters([k1], 16, False) == 16
    assert max_clusters([np.zeros(9)], 16, True) is None and max_clusters([np.ones(5)], 16, False) == 5
