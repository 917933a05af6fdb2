"""TFLite_Detection_PostProcess (engine/ops/detection.py, firmware/engine/detection_postprocess.c)
beyond the corpus models: int8 inputs (neither TFLM nor TFLite runs them: checked against TFLM on
the same values dequantised), TFLM's layout of several classes per box, its failure on degenerate
boxes, the options as TFLM reads them, and the errors for what TFLM rejects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers.detection_models import QUANT, anchors, postprocess

from tfcompress.convert.detection_postprocess import PostProcessParams, custom_options
from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.host import HostModel
from tfcompress.engine.ops.detection import parse_options, written_rows
from tfcompress.errors import TfcError
from tfcompress.tflm import OracleError, TflmModel

FAST = PostProcessParams(num_classes=3, max_detections=6, nms_score_threshold=0.15, nms_iou_threshold=0.4)
REGULAR = PostProcessParams(num_classes=3, max_detections=7, detections_per_class=3, use_regular_nms=True,
                            nms_score_threshold=0.05, nms_iou_threshold=0.5)


def same_bits(got: list[np.ndarray], want: list[np.ndarray]) -> None:
    for k, (a, b) in enumerate(zip(got, want, strict=True)):
        b = np.asarray(b, np.float32).reshape(np.shape(a))
        assert np.array_equal(np.asarray(a, np.float32).view(np.uint32), b.view(np.uint32)), f"output {k}: {a} != {b}"


@pytest.mark.parametrize("params", [FAST, REGULAR], ids=["fast", "regular"])
def test_int8_inputs_are_tflm_on_their_dequantised_values(params: PostProcessParams) -> None:
    n, seed = 48, 11
    q_model = postprocess(n=n, params=params, background=True, dtype="int8", seed=seed)
    (se, ze), (sc, zc), (sa, za) = QUANT["int8"]
    q_anchors = np.clip(np.round(anchors(n, seed) / sa) + za, -127, 127)
    f_anchors = ((q_anchors.astype(np.float32) - np.float32(za)) * np.float32(sa)).astype(np.float32)
    f_model = postprocess(n=n, params=params, background=True, dtype="float32", anchor_values=f_anchors)
    ours, tflm = HostModel(compile_tflite(q_model)), TflmModel(f_model)
    rng = np.random.default_rng(0)
    counts = []
    for _ in range(12):
        enc = rng.integers(-128, 128, (1, n, 4)).astype(np.int8)
        cls = rng.integers(-128, 128, (1, n, 4)).astype(np.int8)
        deq = [((x.astype(np.float32) - np.float32(z)) * np.float32(s)).astype(np.float32)
               for x, (s, z) in ((enc, (se, ze)), (cls, (sc, zc)))]
        got = ours.invoke([enc, cls])
        same_bits(got, tflm.invoke(deq))
        counts.append(int(got[3][0]))
    assert max(counts) == params.max_detections  # more candidates than detections


def test_several_classes_per_box_use_tflms_rows() -> None:
    """Fast NMS with 2 classes per box: TFLM writes pair j at row 2 j + j % 2 (and leaves the rows
    between unwritten); three boxes pass the threshold, so every write stays inside the outputs."""
    params = PostProcessParams(num_classes=3, max_detections=6, max_classes_per_detection=2,
                               nms_score_threshold=0.5, nms_iou_threshold=0.99)
    n = 16
    data = postprocess(n=n, params=params, background=True, dtype="float32", seed=3)
    ours, tflm = HostModel(compile_tflite(data)), TflmModel(data)
    rng = np.random.default_rng(1)
    for _ in range(4):
        enc = rng.normal(0, 1, (1, n, 4)).astype(np.float32)
        cls = rng.uniform(0, 0.4, (1, n, 4)).astype(np.float32)
        cls[0, rng.choice(n, 3, replace=False), 1 + rng.integers(0, 3, 3)] = rng.uniform(0.6, 1.0, 3)
        got = ours.invoke([enc, cls])
        same_bits(got, tflm.invoke([enc, cls]))
        assert got[3][0] == 6 and np.count_nonzero(got[2]) >= 3
    assert written_rows(12, 4, False, 2, 6).nonzero()[0].tolist() == [0, 3, 4, 7]


def test_degenerate_boxes_fail_as_in_tflm() -> None:
    n = 8
    flat = anchors(n, 0)
    flat[2, 2] = 0.0  # zero height: ymin == ymax after decoding, which TFLM rejects
    data = postprocess(n=n, params=FAST, background=True, dtype="float32", anchor_values=flat)
    x = [np.zeros((1, n, 4), np.float32), np.full((1, n, 4), 0.5, np.float32)]
    with pytest.raises(OracleError):
        TflmModel(data).invoke(x)
    with pytest.raises(TfcError, match="returned 1"):
        HostModel(compile_tflite(data)).invoke(x)


def test_options_are_read_as_tflm_reads_them() -> None:
    from flatbuffers import flexbuffers

    fbb = flexbuffers.Builder()
    with fbb.Map():
        fbb.Float("max_detections", 7.0)  # AsInt32 of a float, AsFloat of an int
        fbb.Int("max_classes_per_detection", 1)
        fbb.Int("num_classes", 5)
        fbb.Int("nms_iou_threshold", 1)
        fbb.Float("y_scale", 0.1)
    o = parse_options(bytes(fbb.Finish()))
    assert (o["max_detections"], o["detections_per_class"], o["use_regular_nms"]) == (7, 100, False)
    assert o["nms_iou_threshold"] == 1.0 and o["y_scale"] == float(np.float32(0.1)) and o["h_scale"] == 0.0
    assert parse_options(custom_options(REGULAR))["use_regular_nms"] is True
    with pytest.raises(TfcError, match="flexbuffer"):
        parse_options(b"\x01\x02\x03")


@pytest.mark.parametrize(("params", "message"), [
    (PostProcessParams(num_classes=3, nms_iou_threshold=0.0), "nms_iou_threshold"),
    (PostProcessParams(num_classes=3, max_classes_per_detection=0), "max_classes_per_detection"),
    (PostProcessParams(num_classes=3, use_regular_nms=True, detections_per_class=0), "detections_per_class"),
    (PostProcessParams(num_classes=1), "num_classes 1 with 4 class-prediction columns"),
    (PostProcessParams(num_classes=0), "num_classes 0 < 1"),
])
def test_what_tflm_rejects_is_a_compile_error(params: PostProcessParams, message: str) -> None:
    with pytest.raises(TfcError, match=message):
        compile_tflite(postprocess(n=8, params=params, background=True, dtype="float32", columns=4))


def test_append_postprocess_to_a_converted_ssd() -> None:
    """The corpus' int8 SSD (176 anchors) gets DEQUANTIZE on both heads and the op; the engine compiles
    it (bit-exactness of the whole network: arch_ssd_multiscale_postprocess_int8, a slow corpus test)."""
    from helpers.detection_models import grid_anchors

    from tfcompress.convert.detection_postprocess import append_postprocess
    from tfcompress.engine.reader import read_graph

    ssd = (Path(__file__).parent / "fixtures" / "corpus" / "arch_ssd_multiscale_int8.tflite").read_bytes()
    anc = grid_anchors([(8, (0.2, 0.3)), (4, (0.35, 0.5, 0.7))])
    params = PostProcessParams(num_classes=2, max_detections=8)
    data = append_postprocess(ssd, anc, params)
    assert compile_tflite(data).lowered[-1].kernel == "tfc_detection_postprocess"
    g = read_graph(data)
    assert [op.name for op in g.ops[-3:]] == ["DEQUANTIZE", "DEQUANTIZE", "CUSTOM:TFLite_Detection_PostProcess"]
    assert [(g.t(t).name, g.t(t).shape) for t in g.outputs] == [
        ("detection_boxes", (1, 8, 4)), ("detection_classes", (1, 8)), ("detection_scores", (1, 8)),
        ("num_detections", (1,))]
    assert np.array_equal(g.t(g.ops[-1].inputs[2]).data, anc)
    assert parse_options(g.ops[-1].options["custom_options"])["max_detections"] == 8
    with pytest.raises(TfcError, match="num_classes 5 does not fit 3 score columns"):
        append_postprocess(ssd, anc, PostProcessParams(num_classes=5))
    with pytest.raises(TfcError, match="176 boxes"):
        append_postprocess(ssd, anc[:10], params)
    with pytest.raises(TfcError, match="no output 'nope'"):
        append_postprocess(ssd, anc, params, boxes="nope", scores=1)


def test_rows_past_the_detections_are_zero_where_tflm_keeps_stale_values() -> None:
    """Fast NMS writes only its detections: TFLM's rows past them keep the previous run's values
    (undefined), the engine's are zero, and the oracle reports them as zero; the rest is exact."""
    n = 16
    data = postprocess(n=n, params=FAST, background=True, dtype="float32", seed=5)
    ours, tflm = HostModel(compile_tflite(data)), TflmModel(data)
    rng = np.random.default_rng(2)
    stale, xs = 0, []
    for k in (6, 1, 4, 0, 3):  # boxes above the threshold
        enc = np.zeros((1, n, 4), np.float32)
        cls = np.zeros((1, n, 4), np.float32)
        cls[0, rng.choice(n, k, replace=False), 1] = rng.uniform(0.5, 1.0, k)
        xs.append([enc, cls])
        got = ours.invoke([enc, cls])
        same_bits(got, tflm.invoke([enc, cls]))
        raw = np.array(tflm.interp.get_output(2)).reshape(-1)  # scores as TFLM left them
        count = int(got[3][0])
        assert np.all(got[2].reshape(-1)[count:] == 0)
        stale += int(np.count_nonzero(raw[count:]))
    assert stale > 0  # TFLM did leave earlier values there
    from tfcompress.engine.debug import localize

    assert localize(compile_tflite(data), xs).ok  # op by op (TFLM keeping every tensor): the same rows blanked
