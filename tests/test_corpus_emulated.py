"""A subset of the model corpus on an emulated Cortex-M7 (QEMU): the cases the host build cannot
vouch for alone, because their firmware paths differ — uint8 and int64 tensors through the harness,
several inputs and outputs, state kept across runs and reset over the serial link, a WHILE loop,
a float32 island using the device's libm, SSD post-processing (a custom op). Each is bit-exact with
TFLM's host interpreter (TFLite's reference kernels where TFLM cannot run the model) on every output
of every sample."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import require_tool

from tfcompress.engine.validate import validate_model

pytestmark = pytest.mark.emulated

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
BOARD = "mps2-an500"

#: model -> what it exercises on the device
SUBSET = {
    "io_uint8_softmax_int8": "uint8 input and output, QUANTIZE uint8<->int8",
    "multi_io_two_by_two_int16x8": "two int16 inputs, two outputs",
    "op_svdf_int8_state_int8": "variable tensor state across runs, then RESET",
    "state_resource_variable_int8": "resource variables initialised by CALL_ONCE",
    "op_while_loop_int8": "WHILE control flow",
    "op_arg_max_int64_out_int8": "int64 output",
    "float_cos_int8": "float32 island (libm on the device)",
    "op_if_cond_int8": "IF control flow",
    "arch_kws_lstm_int8": "UNIDIRECTIONAL_SEQUENCE_LSTM keyword spotter",
    "arch_fd_mobilenet_tiny_int16x8": "int16x8 network: depthwise, MEAN, SOFTMAX int16",
    "op_detection_postprocess_regular_dequantize_int8": "TFLite_Detection_PostProcess: double decoding with the "
                                                        "device's exp, regular NMS on tied scores, 4 float outputs",
}


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("TFC_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "fw-cache"))


@pytest.mark.parametrize("name", sorted(SUBSET))
def test_corpus_model_bit_exact_on_emulated_board(name: str) -> None:
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi libnewlib-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")
    res = validate_model(CORPUS / f"{name}.tflite", board=BOARD, samples=3, kernels="optimized")
    assert res.board == BOARD and res.runtime == "engine"
    assert res.runner_stats.get("instructions", 0) > 0  # it really ran on the emulated core
    assert res.mismatched_elements == 0, (SUBSET[name], res.per_output)
    assert res.samples == (4 if res.stateful else 3)  # stateful: the sequence, then reset and rerun
    assert all(o["elements"] > 0 for o in res.per_output)
