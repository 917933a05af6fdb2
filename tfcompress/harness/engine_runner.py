"""`tfcompress validate --board <emulated board>`: run the compiled model in firmware under QEMU.

Imported by :mod:`tfcompress.engine.runners` as a plugin; registers one runner per emulated
board (found from the board data, not by name) and runtime: the engine's compiled model, or a
:class:`~tfcompress.project.tflm.TflmProgram` run by TensorFlow Lite Micro (``--runtime tflm``),
both through the same firmware harness.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfcompress.boards import Board, list_boards, load_board
from tfcompress.engine.runners import register_runner


class EmulatedRunner:
    """Builds the firmware for a compiled model and runs inferences on it under QEMU (any number
    of inputs and outputs, any I/O dtype of the generated API; ``reset`` over the harness)."""

    def __init__(self, board: Board, model: Any, debug: dict[str, Any] | None = None) -> None:
        from tfcompress.engine.ir import DTYPES
        from tfcompress.errors import TfcError
        from tfcompress.harness.client import HarnessClient
        from tfcompress.harness.qemu import QemuSession
        from tfcompress.project.firmware import build_firmware

        self.board = board
        self.runtime = getattr(model, "runtime", "engine")
        self.weights_bytes = int(model.weights_bytes)
        self.firmware = build_firmware(model, board, debug=debug)  # debug: engine/debug.py's debug build
        self._in = [(DTYPES[t.dtype][0], tuple(t.shape)) for t in model.inputs]
        self._out = [(DTYPES[t.dtype][0], tuple(t.shape)) for t in model.outputs]
        self.counts: list[int] = []
        self._session = QemuSession(board, self.firmware.elf).__enter__()
        try:
            assert self._session.transport is not None
            self.client = HarnessClient(self._session.transport)
            info = self.client.hello()
            self.info = info
            got = [(t.dtype, t.shape) for t in info.inputs + info.outputs]
            want = [(t.dtype, tuple(t.shape)) for t in list(model.inputs) + list(model.outputs)]
            if info.model_hash != model.graph.model_hash or got != want or info.runtime != self.runtime:
                raise TfcError(f"the firmware built in {self.firmware.project.path} runs model "
                               f"{info.model_hash} ({info.runtime}) with tensors {got}, not "
                               f"{model.graph.model_hash} ({self.runtime}) with {want}",
                               "delete that folder and rerun")
        except BaseException:
            self._session.close()
            raise

    def invoke(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        if len(inputs) != len(self._in):
            raise ValueError(f"{len(inputs)} inputs given, the model takes {len(self._in)}")
        data = [np.ascontiguousarray(np.asarray(x).astype(dt, copy=False).reshape(shape)).tobytes()
                for x, (dt, shape) in zip(inputs, self._in, strict=True)]
        r = self.client.infer(data)
        self.counts.append(r.count_min)
        return [np.frombuffer(b, dt).reshape(shape).copy() for b, (dt, shape) in zip(r.outputs, self._out, strict=True)]

    def run(self, x: np.ndarray) -> np.ndarray:
        return self.invoke([x])[0]

    def reset(self) -> None:
        self.client.reset()

    def stats(self) -> dict[str, Any]:
        """Extra figures for validate's JSON: instructions per inference, code and flash bytes."""
        per = [c / self.board.counter.ticks_per_unit for c in self.counts]
        sections = self.firmware.build.sections
        return {
            "runtime": self.runtime,
            # the arena the firmware reports (HELLO): TFLM's arena_used_bytes() on this device
            "arena_used_bytes": self.info.arena_bytes,
            "instructions": int(round(float(np.median(per)))) if per else None,
            "instructions_unit": self.board.latency_unit,
            # flash besides the model's constant data (engine or TFLM, kernels, harness, startup, libc)
            "code_bytes": max(0, self.firmware.build.flash_bytes - self.weights_bytes),
            "text_bytes": sections.get(".text", 0),
            "flash_bytes": self.firmware.build.flash_bytes,
            "ram_bytes_firmware": self.firmware.build.ram_bytes,
            **({"tflm_library": self.firmware.build.tflm_library} if self.firmware.build.tflm_library else {}),
        }

    def close(self) -> None:
        self._session.close()


def _factory(board: Board):
    return lambda model: EmulatedRunner(board, model)


for _name in list_boards():
    _board = load_board(_name)
    if _board.emulated:
        register_runner(_name, _factory(_board))
        register_runner(_name, _factory(_board), runtime="tflm")
