"""Per-layer quantisation error: a quantised .tflite against the float model it came from.

Both run in TensorFlow Lite's interpreter on the same inputs with every intermediate tensor kept
(``experimental_preserve_all_tensors``). Ops are matched in order: the two op lists, without the
QUANTIZE / DEQUANTIZE ops the quantiser adds, are aligned by op type (the converter emits the same
ops in the same order for both, fused activations included); the outputs of matched ops are
compared after dequantising the integer tensor with its scale and zero point.

Per layer: RMSE divided by the output scale (in LSBs of the quantised tensor), the largest and
mean error in LSBs, and the Pearson correlation of the two, over all samples. Each figure is the
error accumulated up to that layer (both models run end to end), as TensorFlow's quantisation
debugger reports it; a layer whose error jumps above its predecessors' is where precision is lost.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tfcompress.errors import TfcError

#: ops the quantiser adds around the float graph (not layers of the model)
_CONVERSION_OPS = {"QUANTIZE", "DEQUANTIZE"}


def float_tflite(path: str | Path) -> bytes:
    """The float model as .tflite bytes: a float .tflite as is, a Keras model converted without
    optimisation."""
    p = Path(path)
    if not p.exists():
        raise TfcError(f"float model {p} not found", "pass the float .tflite or the Keras model it was converted from")
    if p.suffix == ".tflite":
        return p.read_bytes()
    from tfcompress.modelio import load_model
    from tfcompress.tfenv import tf

    model = load_model(p)
    return bytes(tf().lite.TFLiteConverter.from_keras_model(model).convert())


class _Interp:
    """tf.lite.Interpreter keeping every tensor, one sample per invoke."""

    def __init__(self, data: bytes) -> None:
        from tfcompress.tfenv import tf

        lite = tf().lite
        try:
            self.interp = lite.Interpreter(model_content=bytes(data), experimental_preserve_all_tensors=True,
                                           experimental_op_resolver_type=lite.experimental.OpResolverType.BUILTIN_REF)
            self.interp.allocate_tensors()
        except (RuntimeError, ValueError) as exc:
            raise TfcError(f"TensorFlow Lite cannot load the model: {exc}", "check the .tflite file") from None
        self.inputs = self.interp.get_input_details()
        self.tensors = {d["index"]: d for d in self.interp.get_tensor_details()}
        self.ops = [op for op in self.interp._get_ops_details() if op["op_name"] not in _CONVERSION_OPS]

    def run(self, xs: list[np.ndarray]) -> None:
        for d, x in zip(self.inputs, xs, strict=True):
            self.interp.set_tensor(d["index"], _to_input(x, d))
        self.interp.invoke()

    def get(self, index: int) -> np.ndarray:
        return self.interp.get_tensor(index)


def _to_input(x: np.ndarray, d: dict[str, Any]) -> np.ndarray:
    """A real-valued sample as input ``d`` takes it (quantised when the input is integer)."""
    x = np.asarray(x, np.float32).reshape(d["shape"])
    if np.issubdtype(d["dtype"], np.integer):
        scale, zp = d["quantization"]
        if not scale:
            return x.astype(d["dtype"])
        info = np.iinfo(d["dtype"])
        return np.clip(np.round(x / scale) + zp, info.min, info.max).astype(d["dtype"])
    return x.astype(d["dtype"])


def _qparams(detail: dict[str, Any]) -> tuple[float, int] | None:
    q = detail.get("quantization_parameters") or {}
    scales, zps = np.asarray(q.get("scales", [])), np.asarray(q.get("zero_points", []))
    if scales.size != 1:  # float tensor, or per-channel (weights, never an op output here)
        return None
    return float(scales[0]), int(zps[0])


@dataclass
class _Stats:
    n: int = 0
    se: float = 0.0
    sf: float = 0.0
    sq: float = 0.0
    sff: float = 0.0
    sqq: float = 0.0
    sfq: float = 0.0
    serr: float = 0.0
    max_abs: float = 0.0

    def add(self, f: np.ndarray, q: np.ndarray) -> None:
        f, q = f.astype(np.float64).reshape(-1), q.astype(np.float64).reshape(-1)
        err = q - f
        self.n += f.size
        self.se += float(err @ err)
        self.serr += float(err.sum())
        self.max_abs = max(self.max_abs, float(np.abs(err).max(initial=0.0)))
        self.sf += float(f.sum())
        self.sq += float(q.sum())
        self.sff += float(f @ f)
        self.sqq += float(q @ q)
        self.sfq += float(f @ q)

    def correlation(self) -> float | None:
        n = self.n
        cov = self.sfq - self.sf * self.sq / n
        vf, vq = self.sff - self.sf ** 2 / n, self.sqq - self.sq ** 2 / n
        if vf <= 1e-30 or vq <= 1e-30:
            return None
        return float(np.clip(cov / np.sqrt(vf * vq), -1.0, 1.0))


def sample_inputs(quant: bytes, data: str | Path | None, samples: int, seed: int) -> tuple[list[list[np.ndarray]], str]:
    """Real-valued samples: from an .npz (``x`` / ``x_test`` / ``inputs`` / the first array for one
    input; ``x0``, ``x1``, ... for several; integer arrays are dequantised with the input's scale),
    else uniform random over what each quantised input represents."""
    interp = _Interp(quant)
    rng = np.random.default_rng(seed)
    if data is None:
        out = []
        for _ in range(samples):
            row = []
            for d in interp.inputs:
                lo, hi = 0.0, 1.0
                scale, zp = d["quantization"]
                if scale and np.issubdtype(d["dtype"], np.integer):
                    info = np.iinfo(d["dtype"])
                    lo, hi = (info.min - zp) * scale, (info.max - zp) * scale
                row.append(rng.uniform(lo, hi, size=d["shape"]).astype(np.float32))
            out.append(row)
        return out, "random (uniform over each input's quantised range)"
    try:
        npz = np.load(data)
    except (OSError, ValueError) as exc:
        raise TfcError(f"cannot read {data}: {exc}", "pass an .npz file with an array of inputs") from None
    if len(interp.inputs) == 1:
        keys = [next((k for k in ("x", "x_test", "inputs", "x0") if k in npz), None) or list(npz.keys())[0]]
    else:
        keys = [f"x{i}" for i in range(len(interp.inputs))]
        if any(k not in npz for k in keys):
            raise TfcError(f"{data} needs one array per input (x0, x1, ...)", "np.savez(path, x0=..., x1=...)")
    per_input = []
    for key, d in zip(keys, interp.inputs, strict=True):
        arr = np.asarray(npz[key])
        if np.issubdtype(arr.dtype, np.integer) and d["quantization"][0]:
            scale, zp = d["quantization"]
            arr = (arr.astype(np.float32) - zp) * scale
        shape = tuple(int(s) for s in d["shape"][1:])
        size = int(np.prod(shape))
        if arr.size % size:
            raise TfcError(f"{data}: array {key} of shape {arr.shape} does not split into inputs of shape "
                           f"{list(d['shape'])}", "save one input per row")
        per_input.append(arr.reshape(-1, *shape)[:samples])
    count = min(len(a) for a in per_input)
    return [[a[k][None] for a in per_input] for k in range(count)], str(data)


def layer_errors(quant: bytes, float_model: bytes, xs: list[list[np.ndarray]]) -> dict[str, Any]:
    """Per-layer error of ``quant`` against ``float_model`` over the real-valued samples ``xs``
    (see the module doc); layers sorted worst first (RMSE in LSBs)."""
    qi, fi = _Interp(quant), _Interp(float_model)
    if len(qi.inputs) != len(fi.inputs):
        raise TfcError(f"the quantised model has {len(qi.inputs)} inputs, the float model {len(fi.inputs)}",
                       "pass the float model the quantised one was converted from")
    qnames, fnames = [op["op_name"] for op in qi.ops], [op["op_name"] for op in fi.ops]
    matcher = difflib.SequenceMatcher(a=fnames, b=qnames, autojunk=False)
    pairs = []  # (quant op position, float op, quant op, float tensor, quant tensor)
    for block in matcher.get_matching_blocks():
        for j in range(block.size):
            fop, qop = fi.ops[block.a + j], qi.ops[block.b + j]
            for ft, qt in zip(fop["outputs"], qop["outputs"], strict=False):
                if list(fi.tensors[ft]["shape"]) == list(qi.tensors[qt]["shape"]):
                    pairs.append((block.b + j, fop, qop, ft, qt))
    matched = {p[0] for p in pairs}
    unmatched = [dict(index=int(op["index"]), op=op["op_name"]) for i, op in enumerate(qi.ops) if i not in matched]
    if not pairs:
        raise TfcError("no op of the quantised model matches an op of the float model",
                       "pass the float model the quantised one was converted from")
    stats = [_Stats() for _ in pairs]
    for x in xs:
        qi.run(x)
        fi.run(x)
        for s, (_, _, _, ft, qt) in zip(stats, pairs, strict=True):
            q = qi.get(qt)
            qp = _qparams(qi.tensors[qt])
            deq = (q.astype(np.float64) - qp[1]) * qp[0] if qp and np.issubdtype(q.dtype, np.integer) else q
            s.add(fi.get(ft), deq)
    layers = []
    for order, ((_, _, qop, ft, qt), s) in enumerate(zip(pairs, stats, strict=True)):
        detail = qi.tensors[qt]
        qp = _qparams(detail) if np.issubdtype(detail["dtype"], np.integer) else None
        rmse = float(np.sqrt(s.se / s.n)) if s.n else 0.0
        lsb = qp[0] if qp and qp[0] > 0 else None
        layers.append(dict(order=order, index=int(qop["index"]), op=qop["op_name"], tensor=int(qt),
                           name=detail["name"], float_tensor=int(ft), shape=[int(d) for d in detail["shape"]],
                           dtype=np.dtype(detail["dtype"]).name, scale=qp[0] if qp else None,
                           zero_point=qp[1] if qp else None, rmse=rmse,
                           rmse_lsb=rmse / lsb if lsb else None,
                           max_abs_lsb=s.max_abs / lsb if lsb else None,
                           mean_error_lsb=(s.serr / s.n) / lsb if lsb and s.n else None,
                           correlation=s.correlation()))
    ranked = sorted(layers, key=lambda r: (-(r["rmse_lsb"] if r["rmse_lsb"] is not None else -1.0), r["order"]))
    return dict(samples=len(xs), layers=ranked, worst=[r["name"] for r in ranked[:3]], unmatched_ops=unmatched,
                method="end-to-end on the same inputs, ops aligned in order without QUANTIZE/DEQUANTIZE; "
                       "rmse_lsb = RMSE / output scale")


def layer_error_report(model: str | Path | bytes, float_model: str | Path, *, data: str | Path | None = None,
                       samples: int = 32, seed: int = 0) -> dict[str, Any]:
    """:func:`layer_errors` of a quantised .tflite (path or bytes) against its float model (a float
    .tflite or a Keras model) on ``data`` (.npz) or random inputs; the JSON of `inspect --float-model`."""
    quant = Path(model).read_bytes() if isinstance(model, (str, Path)) else bytes(model)
    xs, source = sample_inputs(quant, data, samples, seed)
    if not xs:
        raise TfcError("no input samples", "pass an .npz with at least one sample, or no --data for random inputs")
    out = layer_errors(quant, float_tflite(float_model), xs)
    out.update(model=str(model) if isinstance(model, (str, Path)) else "<bytes>", float_model=str(float_model),
               data=source)
    return out


def format_layer_errors(rep: dict[str, Any], limit: int = 20) -> str:
    """Human table of the worst layers."""
    from tfcompress.console import format_table

    def num(v: float | None, fmt: str) -> str:
        return "-" if v is None else format(v, fmt)

    rows = [dict(rank=k + 1, op=f"#{r['index']} {r['op']}", output=r["name"][:48], dtype=r["dtype"],
                 rmse_lsb=num(r["rmse_lsb"], ".3f"), max_lsb=num(r["max_abs_lsb"], ".1f"),
                 bias_lsb=num(r["mean_error_lsb"], "+.3f"), corr=num(r["correlation"], ".5f"))
            for k, r in enumerate(rep["layers"][:limit])]
    lines = [format_table(rows), "",
             f"{len(rep['layers'])} layers compared over {rep['samples']} samples ({rep['data']}); "
             f"worst: {', '.join(n[:48] for n in rep['worst'])}"]
    if rep["unmatched_ops"]:
        lines.append("not matched in the float model: " + ", ".join(f"#{u['index']} {u['op']}"
                                                                     for u in rep["unmatched_ops"]))
    return "\n".join(lines)
