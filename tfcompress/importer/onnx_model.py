"""Read an ONNX file and build the equivalent tf_keras model, node by node.

Values known at import time (initializers, ``Constant`` nodes and the shape arithmetic
exporters emit, e.g. ``Shape → Gather → Concat → Reshape``) are folded with NumPy; every
other node becomes a Keras layer (:mod:`tfcompress.importer.onnx_ops`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tfcompress.errors import TfcError
from tfcompress.importer.onnx_ops import LAYER_OPS, Ctx, Unsupported, is_const, onnx_shape
from tfcompress.tfenv import keras

INSTALL_HINT = "pip install tfcompress[onnx]"


def require_onnx() -> Any:
    """The ``onnx`` module, or a one-line error naming the extra to install."""
    try:
        import onnx
    except ImportError:
        raise TfcError("importing ONNX models needs the 'onnx' package", INSTALL_HINT) from None
    return onnx


def load_onnx(path: str | Path) -> Any:
    """Load and check an ONNX ``ModelProto``."""
    onnx = require_onnx()
    path = Path(path)
    if not path.is_file():
        raise TfcError(f"ONNX file '{path}' not found", "check the path (export it with torch.onnx.export)")
    try:
        model = onnx.load(str(path))
        onnx.checker.check_model(model)
    except Exception as err:  # onnx raises DecodeError, ValidationError, ...
        raise TfcError(f"'{path}' is not a valid ONNX model: {str(err).splitlines()[0]}",
                       "re-export it (torch.onnx.export) or check it with onnx.checker") from None
    return model


# --------------------------------------------------------------------------- constant folding


def _attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _axes(node: Any, inputs: list[Any], attrs: dict[str, Any]) -> list[int]:
    if len(inputs) > 1 and inputs[1] is not None:
        return [int(v) for v in inputs[1]]
    return [int(v) for v in attrs.get("axes", [])]


def _unsqueeze(node: Any, inputs: list[Any], attrs: dict[str, Any]) -> np.ndarray:
    x = inputs[0]
    for axis in sorted(a % (x.ndim + len(_axes(node, inputs, attrs))) for a in _axes(node, inputs, attrs)):
        x = np.expand_dims(x, axis)
    return x


def _squeeze(node: Any, inputs: list[Any], attrs: dict[str, Any]) -> np.ndarray:
    axes = _axes(node, inputs, attrs)
    return np.squeeze(inputs[0], axis=tuple(axes) if axes else None)


def _cast(node: Any, inputs: list[Any], attrs: dict[str, Any]) -> np.ndarray:
    from onnx import helper

    return inputs[0].astype(helper.tensor_dtype_to_np_dtype(int(attrs["to"])))


_ARITH: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": lambda a, b: np.asarray(
        a // b if np.issubdtype(a.dtype, np.integer) else a / b),
}

def _binary_fold(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Callable[..., np.ndarray]:
    return lambda node, inputs, attrs: fn(inputs[0], inputs[1])


#: ops computed on the host when all their inputs are constants
FOLD: dict[str, Callable[[Any, list[Any], dict[str, Any]], np.ndarray]] = {
    "Gather": lambda n, i, a: np.take(i[0], i[1].astype(np.int64), axis=int(a.get("axis", 0))),
    "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze,
    "Concat": lambda n, i, a: np.concatenate([np.atleast_1d(v) for v in i], axis=int(a["axis"])),
    "Cast": _cast,
    "Identity": lambda n, i, a: i[0],
    **{op: _binary_fold(fn) for op, fn in _ARITH.items()},
}

#: every op type the importer accepts
SUPPORTED_OPS: tuple[str, ...] = tuple(sorted({*LAYER_OPS, *FOLD, "Constant", "Shape"}))


def _constant(node: Any, attrs: dict[str, Any]) -> np.ndarray:
    from onnx import numpy_helper

    if "value" in attrs:
        return numpy_helper.to_array(attrs["value"])
    for key in ("value_float", "value_int"):
        if key in attrs:
            return np.asarray(attrs[key])
    for key in ("value_floats", "value_ints"):
        if key in attrs:
            return np.asarray(list(attrs[key]))
    raise Unsupported(f"Constant with attributes {sorted(attrs)}")


# --------------------------------------------------------------------------- the walk


def _layer_names(nodes: list[Any], taken: set[str]) -> list[str]:
    """Unique, Keras-safe layer names from the nodes' names (or op types), none of them in ``taken``."""
    used: set[str] = {"probs", *taken}
    names = []
    for i, node in enumerate(nodes):
        base = re.sub(r"[^A-Za-z0-9_]+", "_", node.name or f"{node.op_type}_{i}").strip("_") or f"node{i}"
        if not base[0].isalpha():
            base = f"n{base}"
        name, k = base, 1
        while name in used:
            k += 1
            name = f"{base}_{k}"
        used.add(name)
        names.append(name)
    return names


def _inputs(graph: Any, values: dict[str, Any]) -> list[Any]:
    """Keras ``Input`` tensors for the graph's (non-initializer) inputs: NCHW → NHWC."""
    L = keras().layers
    inputs = []
    for vi in graph.input:
        if vi.name in values:
            continue
        dims = vi.type.tensor_type.shape.dim
        shape = [d.dim_value if d.HasField("dim_value") else None for d in dims]
        if len(shape) not in (2, 4) or any(d is None or d <= 0 for d in shape[1:]):
            raise TfcError(f"ONNX input '{vi.name}' has shape {shape}",
                           "export with a fixed input size of rank 2 (N, F) or 4 (N, C, H, W)")
        keras_shape = (shape[2], shape[3], shape[1]) if len(shape) == 4 else (shape[1],)
        name = re.sub(r"[^A-Za-z0-9_]+", "_", vi.name).strip("_") or "input"
        values[vi.name] = L.Input(shape=keras_shape, name=name if name[0].isalpha() else f"in_{name}")
        inputs.append(values[vi.name])
    if not inputs:
        raise TfcError("the ONNX graph has no input", "export the model with an example input")
    return inputs


def _convert_node(node: Any, name: str, values: dict[str, Any], outputs: set[str]) -> list[Any]:
    attrs = _attrs(node)
    op = node.op_type
    ins = [values[n] if n else None for n in node.input]
    if op == "Constant":
        return [_constant(node, attrs)]
    if op == "Shape":
        if is_const(ins[0]):
            return [np.asarray(ins[0].shape, np.int64)]
        return [np.asarray(onnx_shape(ins[0]), np.int64)]
    if op in FOLD and all(v is None or is_const(v) for v in ins) and ins:
        return [np.asarray(FOLD[op](node, list(ins), attrs))]
    if op not in LAYER_OPS:
        raise Unsupported("op not supported")
    ctx = Ctx(inputs=ins, attrs=attrs, name=name, is_output=node.output[0] in outputs)
    return [LAYER_OPS[op](ctx)]


def import_onnx(path: str | Path, *, name: str | None = None) -> Any:
    """Build a tf_keras model from the ONNX file at ``path`` (NHWC inputs, NCHW weights transposed)."""
    model = load_onnx(path)  # first: a missing [onnx] extra is a one-line error
    from onnx import numpy_helper

    graph = model.graph
    for opset in model.opset_import:
        if opset.domain not in ("", "ai.onnx"):
            raise TfcError(f"the ONNX model uses the custom op domain '{opset.domain}'",
                           "export with standard ONNX ops only")
    values: dict[str, Any] = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    inputs = _inputs(graph, values)
    outputs = {o.name for o in graph.output}
    names = _layer_names(list(graph.node), {t.name.split("/")[0].split(":")[0] for t in inputs})
    for node, layer_name in zip(graph.node, names, strict=True):
        missing = [n for n in node.input if n and n not in values]
        if missing:
            raise TfcError(f"ONNX node '{node.name}' ({node.op_type}) reads '{missing[0]}', which no earlier node "
                           "makes", "the graph must be topologically sorted (re-export it)")
        try:
            results = _convert_node(node, layer_name, values, outputs)
        except Unsupported as err:
            raise TfcError(f"ONNX node '{node.name or layer_name}' (op {node.op_type}) cannot be converted: {err}",
                           f"supported ops: {', '.join(SUPPORTED_OPS)}; change the model or re-export it") from None
        except ValueError as err:  # a Keras layer refused its input
            raise TfcError(f"ONNX node '{node.name or layer_name}' (op {node.op_type}) cannot be converted: "
                           f"{str(err).splitlines()[0]}", "check the model's shapes") from None
        for out_name, value in zip(node.output, results, strict=False):
            values[out_name] = value
    outs = []
    for o in graph.output:
        value = values.get(o.name)
        if value is None or is_const(value):
            raise TfcError(f"ONNX output '{o.name}' is a constant or missing", "export a model whose outputs "
                           "depend on its inputs")
        outs.append(value)
    model_name = re.sub(r"[^A-Za-z0-9_]+", "_", name or Path(path).stem).strip("_") or "onnx_model"
    return keras().Model(inputs, outs[0] if len(outs) == 1 else outs, name=model_name)
