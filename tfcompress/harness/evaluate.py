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
from tfcompress.harness.transport import LinkError, SerialTransport
from tfcompress.textsafe import show


@dataclass
class EvalData:
    """Inputs (float, in the model's input range, or already quantised) and optional labels.

    ``x``: one array of samples for a single-input model, or a list with one array per model
    input (the same number of samples in each)."""

    x: np.ndarray | list[np.ndarray]
    y: np.ndarray | None = None
    metric: str | None = None
    target_scale: float = 1.0

    @property
    def inputs(self) -> list[np.ndarray]:
        """One array of samples per model input."""
        return list(self.x) if isinstance(self.x, (list, tuple)) else [self.x]

    @property
    def n(self) -> int:
        """Number of samples."""
        return min((len(a) for a in self.inputs), default=0)

    def head(self, limit: int) -> EvalData:
        """The first ``limit`` samples."""
        x = [a[:limit] for a in self.x] if isinstance(self.x, (list, tuple)) else self.x[:limit]
        return EvalData(x, None if self.y is None else self.y[:limit], self.metric, self.target_scale)


def load_eval_data(path: Path, limit: int | None = None) -> EvalData:
    """Test inputs from a dataset saved by tfcompress or any .npz with x_test/y_test or x/y; a
    model with several inputs takes ``x0``, ``x1``, ... (one array per input)."""
    path = Path(path)
    if not path.is_file():
        raise TfcError(f"data file {path} not found", "pass an .npz with x_test (and y_test) arrays")
    with np.load(path, allow_pickle=False) as z:
        keys = set(z.files)
        yk = next((k for k in ("y_test", "y", "labels") if k in keys), None)
        if "__meta__" in keys:
            from tfcompress.data.dataset import load_saved_dataset

            ds = load_saved_dataset(path)
            data = EvalData(ds.x_test, ds.y_test, ds.metric, ds.target_scale)
        elif "x0" in keys:
            n = 0
            while f"x{n}" in keys:
                n += 1
            data = EvalData([z[f"x{i}"] for i in range(n)], z[yk] if yk else None)
            if len({len(a) for a in data.inputs}) > 1:
                raise TfcError(f"{path}: arrays x0..x{n - 1} hold different numbers of samples "
                               f"({', '.join(str(len(a)) for a in data.inputs)})", "give every input one row per sample")
        else:
            xk = next((k for k in ("x_test", "x", "inputs") if k in keys), None)
            if xk is None:
                raise TfcError(f"{path} has no x_test/x array",
                               "save inputs with numpy.savez(path, x_test=..., y_test=...), or x0=..., x1=... "
                               "for a model with several inputs")
            data = EvalData(z[xk], z[yk] if yk else None)
    return data.head(limit) if limit else data


def quantize_inputs(x: np.ndarray, tensor: Any) -> np.ndarray:
    """Float inputs to the model input's dtype with its scale/zero point (as the host evaluation does)."""
    from tfcompress.engine.ir import DTYPES

    dtype = DTYPES[tensor.dtype][0]
    x = np.asarray(x)
    if np.issubdtype(dtype, np.integer) and np.issubdtype(x.dtype, np.floating):
        info = np.iinfo(dtype)
        x = np.clip(np.round(x / tensor.scale) + tensor.zero_point, info.min, info.max)
    return x.astype(dtype).reshape(-1, *tensor.shape)


def output_index(outputs: list[Any], spec: str | int | None) -> int:
    """The index of the output named by ``spec``: its index (int or digits) or its tensor name;
    None: output 0."""
    if spec is None or spec == "":
        return 0
    names = [t.name for t in outputs]
    if isinstance(spec, int) or str(spec).isdigit():
        i = int(spec)
        if 0 <= i < len(outputs):
            return i
    elif spec in names:
        return names.index(spec)
    valid = ", ".join(f"{i} ({show(n)})" for i, n in enumerate(names))
    raise TfcError(f"the model has no output {show(str(spec))}", f"choose an index or a name: {valid}")


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


def ensure_firmware(board: Board, elf: Path, port: str, flash: Callable[[Path], None], model_hash: str,
                    runtime: str) -> None:
    """Flash ``elf`` onto the board on ``port`` unless it already runs this model with this runtime
    (a board that does not answer, e.g. blank or running something else, is flashed too). A failed
    flash is a :class:`LinkError`: a farm takes that board out."""
    try:
        with open_device(board, elf, port) as client:
            info = client.hello()
        if (info.model_hash, info.runtime) == (model_hash, runtime):
            return
    except TfcError:
        pass
    try:
        flash(elf)
    except TfcError as err:
        raise LinkError(f"flashing the board on {port} failed: {err.what}", err.fix) from None


def latency_stats(counts: list[int], board: Board) -> dict[str, Any]:
    """Counter ticks to the board's unit (cycles, or instructions under QEMU), summarised."""
    units = np.asarray(counts, dtype=np.float64) / board.counter.ticks_per_unit
    if not len(units):
        return {"unit": board.latency_unit}
    return {"unit": board.latency_unit, "mean": float(units.mean()), "median": float(np.median(units)),
            "min": int(round(units.min())), "max": int(round(units.max()))}


def _device_figures(client: HarnessClient, board: Board, compiled: Any, fw: Any, arena_used: int | None,
                    profile: bool, results: list[Any]) -> dict[str, Any]:
    """What the device measured besides the outputs: the RAM figure with the stack high-water mark
    (every build) and, for a profiling build, the last sample's per-op counts (``layers``)."""
    from tfcompress.harness.profile import firmware_ram, layer_rows, read_profile, read_stats

    out: dict[str, Any] = {"ram": firmware_ram(fw, compiled, read_stats(client), arena_used)}
    if profile and results:
        prof = read_profile(client)
        unit = "instructions" if board.counter.unit == "instructions" else "cycles"
        rows, summary = layer_rows(compiled, prof.ticks, ticks_per_unit=board.counter.ticks_per_unit,
                                   overhead_ticks=prof.overhead_ticks, total_ticks=results[-1].count, unit=unit,
                                   run_overhead_ticks=prof.run_overhead_ticks)
        out.update(layers=rows, profile=summary)
    return out


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
    output: str | int | None = None,
    runtime: str = "engine",
    tflm_dir: Path | str | None = None,
    prepared: Any = None,
    profile: bool = False,
    flash: Callable[[Path], None] | None = None,
) -> dict[str, Any]:
    """Build (if needed), run every sample on the board, compare every output with TFLM, return
    the report. The metric (with labels) comes from ``output`` (index or name; default 0).

    ``runtime="tflm"``: the firmware runs TensorFlow Lite Micro built from ``tflm_dir``; float
    outputs then agree within :data:`tfcompress.compare.FLOAT_TOLERANCE` (integer ones exactly), and
    the RAM figure is the arena TFLM reports it uses on the device. ``prepared``: the model already
    compiled / prepared for that runtime (:func:`tfcompress.project.firmware.prepare_model`).

    The report's ``ram`` is arena + the stack measured on the device (STATS) + static data;
    ``profile``: a profiling build, and the report's ``layers`` are the last sample's per-op counts.
    ``flash`` (with ``port``): puts the built ELF on the board first unless it already runs it
    (:func:`ensure_firmware`; a board farm's boards)."""
    from tfcompress.compare import max_abs_diff, same_elements, tolerance_for
    from tfcompress.engine.ir import DTYPES
    from tfcompress.project.firmware import build_firmware, prepare_model
    from tfcompress.tflm import make_oracle, undefined_rows_blanker

    compiled = prepared or prepare_model(model_path, runtime, kernels=kernels, board=board,
                                         compress_weights=compress_weights, tflm_dir=tflm_dir)
    tolerance = tolerance_for(runtime)
    out_tensors = list(compiled.outputs)
    metric_out = output_index(out_tensors, output)
    if len(data.inputs) != len(compiled.inputs):
        raise TfcError(f"the model takes {len(compiled.inputs)} inputs, the data has {len(data.inputs)} "
                       "array(s) of samples", "save one array per input: numpy.savez(path, x0=..., x1=..., y_test=...)")
    if compiled.stateful and (warmup, repeat) != (0, 1):
        raise TfcError("the model is stateful: every warm-up and timed run advances its state, so the outputs "
                       "would no longer follow TFLM's", "evaluate it with --warmup 0 --repeat 1")
    fw = build_firmware(compiled, board, firmware_dir, force=force, profile=profile)
    xq = [quantize_inputs(x, t) for x, t in zip(data.inputs, compiled.inputs, strict=True)]
    n = min(len(a) for a in xq)
    samples = [[a[k] for a in xq] for k in range(n)]
    oracle = make_oracle(compiled.model_bytes, probe=samples[0] if samples else None)
    expected = [oracle.invoke(s) for s in samples]  # in order: a stateful model's state carries over
    model_hash = compiled.graph.model_hash
    h = hashlib.sha256()
    for a in xq:
        h.update(a[:n].tobytes())
    digest = h.hexdigest()[:16]
    journal = None
    if resume:
        journal_path = Path(journal_path or fw.project.path / f"evaluate-{digest}-r{warmup}x{repeat}.jsonl")
        if force and journal_path.exists():
            journal_path.unlink()
        header = {"model_hash": model_hash, "board": board.name, "n": n, "inputs": digest,
                  "warmup": warmup, "repeat": repeat}
        if runtime != "engine":  # journals of engine runs keep their old header
            header["runtime"] = runtime
        if profile:
            header["profile"] = True
        journal = Journal(journal_path, header)
        if journal.done and len(journal.done) < n and compiled.stateful:
            log(f"the model is stateful and its state cannot be restored: evaluating from the first sample again "
                f"({journal_path})")
            journal_path.unlink()
            journal = Journal(journal_path, header)
        elif journal.done:
            log(f"resuming: {len(journal.done)} of {n} samples already measured ({journal_path})")
    inputs = [[x.tobytes() for x in s] for s in samples]
    device_arena: int | None = None
    if journal is not None and len(journal.done) == len(inputs):  # finished earlier: no device needed
        results = run_samples(None, inputs, journal=journal)  # type: ignore[arg-type]
        link = {"requests": 0, "retries": 0, "bad_frames": 0}
        device_arena = journal.header.get("arena_used_bytes")
        device = journal.header.get("device", {})
    else:
        if flash is not None and port:
            ensure_firmware(board, fw.elf, port, flash, model_hash, runtime)
        with open_device(board, fw.elf, port) as client:
            info = client.hello()
            if info.model_hash != model_hash or info.runtime != runtime:
                error = LinkError if flash is not None else TfcError  # flashed, yet it runs something else
                raise error(f"the board runs model {info.model_hash} ({info.runtime}), not {model_hash} "
                            f"({runtime}, {Path(model_path).name})",
                            f"flash the new firmware: tfcompress flash --board {board.name} --elf {fw.elf}")
            device_arena = info.arena_bytes
            if journal is not None and runtime == "tflm":
                journal.note("arena_used_bytes", device_arena)
            client.reset()  # a board reached over --port may have run before
            from tfcompress.harness.client import DeviceFault

            try:
                results = run_samples(client, inputs, journal=journal, warmup=warmup, repeat=repeat,
                                      on_sample=on_sample)
            except DeviceFault as err:
                from tfcompress.harness.profile import located

                raise located(err, fw.elf, compiled, board.name) from None
            link = vars(client.stats).copy()
            device = _device_figures(client, board, compiled, fw, device_arena, profile, results)
            if journal is not None:
                journal.note("device", device)
    per_output: list[dict[str, Any]] = []
    all_same = np.ones(len(results), dtype=bool)
    got_all: list[np.ndarray] = []
    # TFLM on the device leaves some output rows undefined, as the oracle does (which reports them as 0)
    blank = undefined_rows_blanker(compiled.model_bytes) if runtime == "tflm" else (lambda outs: outs)
    device_outs = [blank([np.frombuffer(r.outputs[i], DTYPES[t.dtype][0]).reshape(tuple(t.shape))
                          for i, t in enumerate(out_tensors)]) for r in results]
    for i, t in enumerate(out_tensors):
        dtype = DTYPES[t.dtype][0]
        shape = tuple(t.shape)
        got = np.stack([outs[i] for outs in device_outs]) if results else np.zeros((0, *shape), dtype)
        want = np.stack([np.asarray(e[i]).reshape(shape) for e in expected]) if expected \
            else np.zeros((0, *shape), dtype)
        same = same_elements(got, want, tolerance).reshape(len(got), -1)
        all_same &= same.all(axis=1)
        got_all.append(got)
        per_output.append({"index": i, "name": t.name, "dtype": t.dtype, "shape": list(shape),
                           "elements": int(same.size), "mismatched_elements": int((~same).sum()),
                           "max_abs_diff": max_abs_diff(got, want)})
    floats = any(t.dtype.startswith("float") for t in out_tensors)
    report: dict[str, Any] = {
        "board": board.name,
        "model": str(model_path),
        "runtime": runtime,
        "kernels": compiled.kernels,
        "model_hash": model_hash,
        "samples": len(results),
        "agreement": float(all_same.mean()) if len(results) else None,
        "mismatched_elements": sum(o["mismatched_elements"] for o in per_output),
        "max_abs_diff": max((o["max_abs_diff"] for o in per_output), default=0.0),
        "float_tolerance": tolerance if floats else None,
        "per_output": per_output,
        "oracle": oracle.name,
        "stateful": bool(compiled.stateful),
        "latency": latency_stats([r.count for r in results], board),
        "flash_bytes": fw.build.flash_bytes,
        "ram_bytes": fw.build.ram_bytes,
        "opt": fw.project.opt,  # the compiler optimisation level it was built at
        # what the model's runtime needs: the engine's arena + scratch + state (planned), TFLM's
        # arena_used_bytes() as the firmware reports it
        "runtime_ram_bytes": (int(device_arena) if runtime == "tflm" and device_arena
                              else int(compiled.ram_bytes)),
        "weights_bytes": int(compiled.weights_bytes),
        "regions": fw.build.regions,
        "elf": str(fw.elf),
        "journal": str(journal.path) if journal else None,
        "link": {k: link[k] for k in ("requests", "retries", "bad_frames")},
        **device,
    }
    if data.y is not None and len(results):
        out_t = out_tensors[metric_out]
        metric = data.metric or ("accuracy" if np.asarray(data.y).ndim == 1 else None)
        if metric:
            from tfcompress.metrics import DETECTION_METRICS, compute_metric

            y = np.asarray(data.y)[: len(results)]
            report["metric"] = metric
            if metric in DETECTION_METRICS:  # decoded + NMS on the host from both raw outputs
                from tfcompress.detect.metric import evaluate_detections

                # (samples, anchors, 4 or classes + 1): the tensors' batch dimension of 1 goes
                pred = [_dequantize(g, t).reshape(len(results), -1, g.shape[-1])
                        for g, t in zip(got_all, out_tensors, strict=True)]
                report["metric_output"] = {"index": list(range(len(out_tensors))),
                                           "name": [t.name for t in out_tensors]}
                report["detection"] = evaluate_detections(y, pred, data.target_scale)
                report["metric_value"] = float(report["detection"][metric])
            else:
                flat = _dequantize(got_all[metric_out], out_t).reshape(len(results), -1)
                report["metric_output"] = {"index": metric_out, "name": out_t.name}
                report["metric_value"] = compute_metric(metric, y, flat, data.target_scale)
    return report


def _dequantize(got: np.ndarray, tensor: Any) -> np.ndarray:
    """A device output as float32 (integer outputs through their scale and zero point)."""
    from tfcompress.engine.ir import DTYPES

    deq = got.astype(np.float32)
    if np.issubdtype(DTYPES[tensor.dtype][0], np.integer) and tensor.scale:
        deq = (deq - tensor.zero_point) * tensor.scale
    return deq
