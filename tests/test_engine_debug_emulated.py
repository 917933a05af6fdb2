"""First diverging layer on an emulated board: the debug firmware keeps every op's output, the
harness serves it with DEBUG_READ (0x09; HELLO flag bit 2), the host compares it with TFLM."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from conftest import require_tool

from tfcompress.boards import load_board
from tfcompress.engine.debug import DeviceDebugModel, localize
from tfcompress.engine.validate import random_inputs, validate_model
from tfcompress.harness import protocol as p
from tfcompress.harness.client import DeviceError
from tfcompress.project.firmware import compile_model

pytestmark = pytest.mark.emulated

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
BOARD = "mps2-an500"


@pytest.fixture(scope="module")
def model():
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi libnewlib-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")
    return compile_model(CORPUS / "arch_kws_dscnn_int8.tflite", "optimized", board=load_board(BOARD))


def test_device_outputs_of_every_op_agree_with_tflm(model) -> None:
    loc = localize(model, random_inputs(model, 2, seed=5), board=BOARD)
    assert loc.ok and loc.where == BOARD, loc.summary()
    assert len(loc.ops) == len(model.lowered) and all(d.elements > 0 for d in loc.ops)


def test_injected_fault_in_the_firmware_is_named(model) -> None:
    position = 3
    loc = localize(model, random_inputs(model, 2, seed=6), board=BOARD, inject=position)
    lo = model.lowered[position]
    assert loc.first is not None, loc.summary()
    assert (loc.first.position, loc.first.index, loc.first.tensor) == (position, lo.op.index, lo.outputs[0])
    assert all(d.differing == 0 for d in loc.ops if d.position < position)


def test_debug_read_protocol(model) -> None:
    dev = DeviceDebugModel(model, BOARD)
    try:
        client = dev.runner.client
        assert dev.runner.info.debug and not dev.runner.info.stateful
        x = random_inputs(model, 1, seed=7)[0]
        outs = dev.invoke(x)
        last = model.lowered[-1].outputs[0]
        step, raw = client.debug_read(last)
        assert step == len(model.lowered) - 1 and raw == outs[0].tobytes()
        with pytest.raises(DeviceError, match="no such input/output"):  # a tensor the build keeps no copy of
            client.request(p.DEBUG_READ, struct.pack("<III", 0xFFFF, 0, 0))
        with pytest.raises(DeviceError, match="out of range"):
            client.request(p.DEBUG_READ, struct.pack("<III", last, 0, len(raw) + 1))
        with pytest.raises(DeviceError, match="bad payload length"):
            client.request(p.DEBUG_READ, struct.pack("<II", last, 0))
    finally:
        dev.close()


def test_release_firmware_is_not_a_debug_build(model) -> None:
    from tfcompress.harness.engine_runner import EmulatedRunner

    runner = EmulatedRunner(load_board(BOARD), model)
    try:
        assert not runner.info.debug
        with pytest.raises(DeviceError, match="unknown request"):
            runner.client.request(p.DEBUG_READ, struct.pack("<III", 0, 0, 0))
    finally:
        runner.close()


def test_validate_on_the_board_localizes_there(model) -> None:
    res = validate_model(model.model_bytes, board=BOARD, samples=2, localize=True)
    assert res.ok and res.localization is not None
    assert res.localization["scope"] == BOARD and res.localization["ok"]
    flash = res.memory["flash"]  # the firmware's linker map gives each op's kernel code
    assert all(f["code_bytes"] > 0 for f in flash if f["kernels"]) and BOARD in res.memory["code_bytes_note"]
