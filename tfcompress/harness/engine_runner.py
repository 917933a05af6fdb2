"""`tfcompress validate --board <emulated board>`: run the compiled model in firmware under QEMU.

Imported by :mod:`tfcompress.engine.runners` as a plugin; registers one runner per emulated
board (found from the board data, not by name) and runtime: the engine's compiled model, or a
:class:`~tfcompress.project.tflm.TflmProgram` run by TensorFlow Lite Micro (``--runtime tflm``),
both through the same firmware harness.
"""

from __future__ import annotations

import statistics
from typing import Any

import numpy as np

from tfcompress.boards import Board, list_boards, load_board
from tfcompress.engine.runners import register_runner


class EmulatedRunner:
    """Builds the firmware for a compiled model and runs inferences on it under QEMU (any number
    of inputs and outputs, any I/O dtype of the generated API; ``reset`` over the harness).
    ``profile``: a profiling build; every inference's per-op counts are read back (PROFILE)."""

    def __init__(self, board: Board, model: Any, profile: bool = False, debug: dict[str, Any] | None = None) -> None:
        from tfcompress.engine.ir import DTYPES
        from tfcompress.errors import TfcError
        from tfcompress.harness.client import HarnessClient
        from tfcompress.harness.qemu import QemuSession
        from tfcompress.project.firmware import build_firmware

        self.board = board
        self.model = model
        self.profile = profile
        self.runtime = getattr(model, "runtime", "engine")
        self.weights_bytes = int(model.weights_bytes)
        self.firmware = build_firmware(model, board, profile=profile, debug=debug)  # debug: engine/debug.py's debug build
        self.profiles: list[Any] = []  # DeviceProfile per inference (profiling builds)
        self._in = [(DTYPES[t.dtype][0], tuple(t.shape)) for t in model.inputs]
        self._out = [(DTYPES[t.dtype][0], tuple(t.shape)) for t in model.outputs]
        self.counts: list[int] = []
        self._session = QemuSession(board, self.firmware.elf).__enter__()
        try:
            assert self._session.transport is not None
            self.client = HarnessClient(self._session.transport)
            info = self.client.hello()
            self.info = info
            if profile and not info.profiling:
                from tfcompress.harness.profile import NOT_PROFILING

                raise TfcError(*NOT_PROFILING)
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
        from tfcompress.harness.client import DeviceFault

        try:
            r = self.client.infer(data)
        except DeviceFault as fault:
            raise self._located(fault) from None
        self.counts.append(r.count_min)
        if self.profile:
            from tfcompress.harness.profile import read_profile

            self.profiles.append(read_profile(self.client))
        return [np.frombuffer(b, dt).reshape(shape).copy() for b, (dt, shape) in zip(r.outputs, self._out, strict=True)]

    def run(self, x: np.ndarray) -> np.ndarray:
        return self.invoke([x])[0]

    def reset(self) -> None:
        self.client.reset()

    def _located(self, err: Any) -> Any:
        """The fault with the function and op it happened in (from the ELF's symbols)."""
        from tfcompress.harness.profile import located

        return located(err, self.firmware.elf, self.model, self.board.name)

    def _ram(self, stack: Any) -> dict[str, Any]:
        """RAM = arena + stack measured on the device + static data of the linked image."""
        from tfcompress.harness.profile import firmware_ram

        return firmware_ram(self.firmware, self.model, stack, self.info.arena_bytes)

    def _layers(self) -> dict[str, Any]:
        """Per-op counts (median over the inferences) and how they add up to the whole run."""
        from tfcompress.harness.profile import layer_rows, profiled_ops

        tpu = self.board.counter.ticks_per_unit
        n = len(profiled_ops(self.model))
        good = [p for p in self.profiles if len(p.ticks) >= n]
        if not good:
            return {}
        ticks = [statistics.median(p.ticks[i] for p in good) for i in range(n)]
        unit = "instructions" if self.board.counter.unit == "instructions" else "cycles"
        rows, summary = layer_rows(self.model, ticks, ticks_per_unit=tpu, overhead_ticks=good[-1].overhead_ticks,
                                   total_ticks=statistics.median(self.counts), unit=unit,
                                   run_overhead_ticks=good[-1].run_overhead_ticks)
        # the largest spread of one op's count over the samples (data-dependent kernels vary with the input)
        spread = max((max(p.ticks[i] for p in good) - min(p.ticks[i] for p in good)) / tpu for i in range(n)) \
            if n else 0.0
        summary.update(samples=len(good), max_spread_per_op_across_samples=round(spread, 1))
        return {"layers": rows, "profile": summary}

    def stats(self) -> dict[str, Any]:
        """Extra figures for validate's JSON: instructions per inference, code and flash bytes, RAM
        with the stack measured on the device, and (profiling builds) the per-op counts."""
        from tfcompress.harness.profile import read_stats

        per = [c / self.board.counter.ticks_per_unit for c in self.counts]
        sections = self.firmware.build.sections
        stack = read_stats(self.client)
        extra: dict[str, Any] = {"ram": self._ram(stack)}
        if self.profile:
            extra.update(self._layers())
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
            **extra,
        }

    def close(self) -> None:
        self._session.close()


def _factory(board: Board):
    return lambda model, profile=False: EmulatedRunner(board, model, profile=profile)


for _name in list_boards():
    _board = load_board(_name)
    if _board.emulated:
        register_runner(_name, _factory(_board))
        register_runner(_name, _factory(_board), runtime="tflm")
