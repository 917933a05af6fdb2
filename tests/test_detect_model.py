"""A tiny SSD-lite detector: build, int8 conversion, host evaluation of both outputs, engine
bit-exact with TFLM on the host; the compression stages on it (slow)."""

from __future__ import annotations

import numpy as np
import pytest

from tfcompress.data.registry import load_dataset
from tfcompress.detect.boxes import make_anchors


@pytest.fixture(scope="module")
def shapes48():
    return load_dataset("synthetic-shapes", n_train=16, n_val=4, n_test=6, size=48)


@pytest.fixture(scope="module")
def detector(shapes48):
    from tfcompress.models import build_model

    return build_model("tiny-cnn", shapes48.input_shape, shapes48.num_outputs, "detection", seed=1)


def test_detector_outputs_follow_the_anchors(detector, shapes48):
    n_anchors = len(make_anchors(48))
    assert [tuple(s) for s in detector.output_shape] == [(None, n_anchors, 4), (None, n_anchors, 5)]
    assert [o.name.split("/")[0] for o in detector.outputs] == ["boxes", "classes"]
    # the class bias starts every anchor as background
    from tfcompress.predict import predict

    offsets, logits = predict(detector, shapes48.x_test)
    assert offsets.shape == (6, n_anchors, 4) and np.mean(logits.argmax(-1) == 0) > 0.9


def test_int8_detector_runs_in_the_engine_bit_exact(detector, shapes48):
    from tfcompress.convert.evaluate import evaluate_variant
    from tfcompress.convert.modes import convert_model
    from tfcompress.engine.validate import validate_model

    data = convert_model(detector, "int8", shapes48, representative_n=8)
    rec = evaluate_variant(data, shapes48, "int8", limit=4)
    assert rec["metric"] == "map50" and rec["tflm_metric"] is not None
    assert set(rec["detection"]) == {"map50", "map50_95", "per_class_ap50"}
    assert rec["tflm_max_diff"] <= 1  # tf.lite vs TFLM over both outputs
    res = validate_model(data, samples=3)
    assert sorted(o["shape"][-1] for o in res.per_output) == [4, 5]
    assert res.mismatched_elements == 0 and res.output_elements > 0


@pytest.mark.slow
def test_compression_stages_accept_the_detector(detector, shapes48):
    from tfcompress.compress.cluster import ClusterParams, cluster
    from tfcompress.compress.prune import PruneParams, prune
    from tfcompress.compress.qat import QatParams, qat
    from tfcompress.convert.modes import convert_model

    pruned = prune(detector, shapes48, PruneParams(sparsity=0.5, epochs=1, batch_size=8))
    assert pruned.metrics["sparsity"] > 0.3
    clustered = cluster(pruned.model, shapes48, ClusterParams(clusters=8, epochs=1, batch_size=8))
    q = qat(clustered.model, shapes48, QatParams(epochs=1, batch_size=8))
    assert len(convert_model(q.model, "qat-int8", shapes48, representative_n=4)) > 0
