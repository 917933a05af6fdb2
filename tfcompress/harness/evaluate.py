"""On-device evaluation: stream a test split to a (possibly emulated) board and compare with TFLM."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tfcompress.boards import Board
from tfcompress.console import log
from tfcompress.errors import TfcError
from tfcompress.harness.client import HarnessClient
from tfcompress.harness.qemu import QemuSession
from tfcompress.harness.session import Journal, run_samples
from tfcompress.harness.transport import SerialTransport


@dataclass
class EvalData:
    """Inputs (float, in the model's input range, or already quantised) and optional labels."""

    x: np.ndarray
    y: np.ndarray | None = None
    metric: str | None = None
    target_scale: float = 1.0


def load_eval_data(path: Path, limit: int | None = None) -> EvalData:
    """Test inputs from a dataset saved by tfcompress or any .npz with x_test/y_test or x/y."""
    path = Path(path)
    if not path.is_file():
        raise TfcError(f"data file {path} not found", "pass an .npz with x_test (and y_test) arrays")
    with np.load(path, allow_pickle=False) as z:
        keys = set(z.files)
        if "__meta__" in keys:
            from tfcompress.data.dataset import load_saved_dataset

            ds = load_saved_dataset(path)
            data = EvalData(ds.x_test, ds.y_test, ds.metric, ds.target_scale)
        else:
            xk = next((k for k in ("x_test", "x", "inputs") if k in keys), None)
            if xk is None:
                raise TfcError(f"{path} has no x_test/x array", "save inputs with numpy.savez(path, x_test=..., y_test=...)")
            yk = next((k for k in ("y_test", "y", "labels") if k in keys), None)
            data = EvalData(z[xk], z[yk] if yk else None)
    if limit:
        data.x = data.x[:limit]
        data.y = None if data.y is None else data.y[:limit]
    return data


def quantize_inputs(x: np.ndarray, tensor: Any) -> np.ndarray:
    """Float inputs to the model input's dtype with its scale/zero point (as the host evaluation does)."""
    from tfcompress.engine.ir import DTYPES

    dtype = DTYPES[tensor.dtype][0]
    x = np.asarray(x)
    if np.issubdtype(dtype, np.integer) and np.issubdtype(x.dtype, np.floating):
        info = np.iinfo(dtype)
        x = np.clip(np.round(x / tensor.scale) + tensor.zero_point, info.min, info.max)
    return x.astype(dtype).reshape(-1, *tensor.shape)


@contextlib.contextmanager
def open_device(board: Board, elf: Path | None, port: str | None) -> Iterator[HarnessClient]:
    """A harness client on ``port``, or on a fresh QEMU for an emulated board."""
    if port:
        transport = SerialTransport(port, board.uart.baud)
        try:
            yield HarnessClient(transport)
        finally:
            transport.close()
        return
    if not board.emulated:
        raise TfcError(f"board {board.name} is real hardware", "pass --port (e.g. /dev/ttyACM0) after flashing it")
    with QemuSession(board, elf) as q:
        assert q.transport is not None
        yield HarnessClient(q.transport)


def latency_stats(counts: list[int], board: Board) -> dict[str, Any]:
    """Counter ticks to the board's unit (cycles, or instructions under QEMU), summarised."""
    units = np.asarray(counts, dtype=np.float64) / board.counter.ticks_per_unit
    if not len(units):
        return {"unit": board.latency_unit}
    return {"unit": board.latency_unit, "mean": float(units.mean()), "median": float(np.median(units)),
            "min": int(round(units.min())), "max": int(round(units.max()))}


def evaluate_on_board(
    board: Board,
    model_path: Path,
    data: EvalData,
    *,
    port: str | None = None,
    firmware_dir: Path | None = None,
    journal_path: Path | None = None,
    force: bool = False,
    resume: bool = True,
    warmup: int = 0,
    repeat: int = 1,
    on_sample: Callable[[int], None] | None = None,
    kernels: str = "optimized",
    compress_weights: bool = False,
) -> dict[str, Any]:
    """Build (if needed), run every input on the board, compare with TFLM, return the report."""
    from tfcompress.project.firmware import build_firmware, compile_model
    from tfcompress.tflm import TflmModel

    compiled = compile_model(model_path, kernels, board=board, compress_weights=compress_weights)
    fw = build_firmware(compiled, board, firmware_dir, force=force)
    xq = quantize_inputs(data.x, compiled.input)
    ref = TflmModel(compiled.model_bytes)
    expected = [np.asarray(ref.run(x)) for x in xq]
    model_hash = compiled.graph.model_hash
    digest = hashlib.sha256(xq.tobytes()).hexdigest()[:16]
    journal = None
    if resume:
        journal_path = Path(journal_path or fw.project.path / f"evaluate-{digest}-r{warmup}x{repeat}.jsonl")
        if force and journal_path.exists():
            journal_path.unlink()
        header = {"model_hash": model_hash, "board": board.name, "n": len(xq), "inputs": digest,
                  "warmup": warmup, "repeat": repeat}
        journal = Journal(journal_path, header)
        if journal.done:
            log(f"resuming: {len(journal.done)} of {len(xq)} samples already measured ({journal_path})")
    inputs = [x.tobytes() for x in xq]
    if journal is not None and len(journal.done) == len(inputs):  # finished earlier: no device needed
        results = run_samples(None, inputs, journal=journal)  # type: ignore[arg-type]
        link = {"requests": 0, "retries": 0, "bad_frames": 0}
    else:
        with open_device(board, fw.elf, port) as client:
            info = client.hello()
            if info.model_hash != model_hash:
                raise TfcError(f"the board runs model {info.model_hash}, not {model_hash} ({Path(model_path).name})",
                               f"flash the new firmware: tfcompress flash --board {board.name} --elf {fw.elf}")
            results = run_samples(client, inputs, journal=journal, warmup=warmup, repeat=repeat,
                                  on_sample=on_sample)
            link = vars(client.stats).copy()
    out_t = compiled.output
    from tfcompress.engine.ir import DTYPES

    out_dtype = DTYPES[out_t.dtype][0]
    outputs = np.stack([np.frombuffer(r.output, out_dtype).reshape(out_t.shape) for r in results])
    want = np.stack([e.reshape(out_t.shape) for e in expected])
    same = (outputs == want).reshape(len(outputs), -1)
    report: dict[str, Any] = {
        "board": board.name,
        "model": str(model_path),
        "kernels": compiled.kernels,
        "model_hash": model_hash,
        "samples": len(results),
        "agreement": float(same.all(axis=1).mean()) if len(results) else None,
        "mismatched_elements": int((~same).sum()),
        "latency": latency_stats([r.count for r in results], board),
        "flash_bytes": fw.build.flash_bytes,
        "ram_bytes": fw.build.ram_bytes,
        "regions": fw.build.regions,
        "elf": str(fw.elf),
        "journal": str(journal.path) if journal else None,
        "link": {k: link[k] for k in ("requests", "retries", "bad_frames")},
    }
    if data.y is not None and len(results):
        deq = outputs.astype(np.float32)
        if np.issubdtype(out_dtype, np.integer):
            deq = (deq - out_t.zero_point) * out_t.scale
        deq = deq.reshape(len(deq), -1)
        metric = data.metric or ("accuracy" if np.asarray(data.y).ndim == 1 else None)
        if metric:
            from tfcompress.metrics import compute_metric

            report["metric"] = metric
            report["metric_value"] = compute_metric(metric, np.asarray(data.y), deq, data.target_scale)
    return report
