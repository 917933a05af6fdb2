"""Build helpers shared by the families: seeded weights, seeded representative data, conversion."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from tfcompress.convert.tflm import captured_fds
from tfcompress.tfenv import keras, tf

from .tflite_info import model_info

#: the converter's op sets per activation type
_OPS = {"int8": "TFLITE_BUILTINS_INT8",
        "int16x8": "EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8"}
_IO = {"int8": "int8", "int16x8": "int16"}


class ConversionError(RuntimeError):
    """The converter could not produce the model (or it lacks an expected op)."""


def seed_all(seed: int) -> None:
    """A fresh Keras session (layer names, and so the converted model's tensor names and output
    order, do not depend on what was built before in the process) and seeded Python, NumPy and
    TensorFlow (layer initialisers): a deterministic build."""
    keras().backend.clear_session()
    keras().utils.set_random_seed(seed)


def randomize(model: Any, seed: int = 0) -> Any:
    """Give every weight of a Keras model seeded, non-trivial values (biases too; BN statistics
    plausible: positive variances, gammas near 1)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        ws = layer.get_weights()
        if not ws:
            continue
        names = [w.name for w in layer.weights]
        new = []
        for name, w in zip(names, ws, strict=True):
            n = name.lower()
            if "variance" in n:
                new.append(rng.uniform(0.5, 2.0, w.shape))
            elif "gamma" in n or "scale" in n:
                new.append(rng.uniform(0.6, 1.4, w.shape))
            elif "moving_mean" in n or "beta" in n or "bias" in n or w.ndim <= 1:
                new.append(rng.normal(0.0, 0.2, w.shape))
            else:
                fan_in = int(np.prod(w.shape[:-1])) if w.ndim > 1 else 1
                new.append(rng.normal(0.0, 1.0 / np.sqrt(max(fan_in, 1)), w.shape))
        layer.set_weights([a.astype(w.dtype) for a, w in zip(new, ws, strict=True)])
    return model


def _specs(source: Any) -> list[tuple[tuple[int, ...], str]]:
    if hasattr(source, "inputs") and isinstance(source, keras().Model):
        return [(tuple(1 if d is None else int(d) for d in t.shape),
                 t.dtype.name if hasattr(t.dtype, "name") else str(t.dtype)) for t in source.inputs]
    # a dynamic (None) dimension is traced with size 1 for the representative data
    return [(tuple(1 if d is None else int(d) for d in s.shape), s.dtype.name) for s in source.input_signature]


def _named_inputs(source: Any) -> bool:
    """True when the inputs are called in0, in1, ... (the probes name them so)."""
    if isinstance(source, keras().Model):
        names = [t.name.split(":")[0] for t in source.inputs]
    else:
        names = [s.name for s in source.input_signature]
    return names == [f"in{k}" for k in range(len(names))]


def representative(specs: Sequence[tuple[tuple[int, ...], str]], ranges: Sequence[Any] | None,
                   n: int, seed: int, names: bool = False) -> Callable[[], Iterator[Any]]:
    """Seeded representative dataset: float inputs uniform over their range (default [-1, 1]),
    integer inputs over [low, high) (default [0, 4)), bools 50/50."""

    def gen() -> Iterator[dict[str, np.ndarray]]:
        rng = np.random.default_rng(seed + 1)
        for _ in range(n):
            row: list[np.ndarray] = []
            for i, (shape, dtype) in enumerate(specs):
                r = ranges[i] if ranges is not None and i < len(ranges) else None
                if dtype == "bool":
                    row.append(rng.integers(0, 2, shape).astype(np.bool_))
                elif dtype.startswith("float"):
                    lo, hi = r if r is not None else (-1.0, 1.0)
                    row.append(rng.uniform(lo, hi, shape).astype(np.float32))
                else:
                    lo, hi = r if r is not None else (0, 4)
                    row.append(rng.integers(lo, hi, shape).astype(dtype))
            # keyed by input name (in0, in1, ...): a list would be matched to the converted model's
            # inputs by position, and the converter may order them differently
            yield {f"in{k}": a for k, a in enumerate(row)} if names else row
    return gen


def convert(source: Any, mode: str = "int8", *, io: str | tuple[str | None, str | None] | None = None,
            ranges: Sequence[Any] | None = None, n_rep: int = 32, seed: int = 0, trackable: Any = None,
            resource_variables: bool = False, expect_ops: Sequence[str] = ()) -> bytes:
    """Convert a tf_keras model or a ``tf.function`` with an input signature.

    ``mode``: "int8" or "int16x8" (full integer quantisation with those op sets) or "float".
    ``io``: None -> the mode's integer type in and out; "float" -> float32 I/O (no inference
    type set); "uint8" -> uint8 in and out; or an (input, output) pair of those names (None = float).
    """
    t = tf()
    specs = _specs(source)
    if isinstance(source, keras().Model):
        conv = t.lite.TFLiteConverter.from_keras_model(source)
    else:
        cf = source.get_concrete_function()
        conv = t.lite.TFLiteConverter.from_concrete_functions([cf], trackable)
    if resource_variables:
        conv.experimental_enable_resource_variables = True
    if mode != "float":
        conv.optimizations = [t.lite.Optimize.DEFAULT]
        named = len(specs) > 1 and _named_inputs(source)
        conv.representative_dataset = representative(specs, ranges, n_rep, seed, names=named)
        conv.target_spec.supported_ops = [getattr(t.lite.OpsSet, _OPS[mode])]
        if io is None:
            io = (_IO[mode], _IO[mode])
        elif io == "float":
            io = (None, None)
        elif isinstance(io, str):
            io = (io, io)
        if io[0]:
            conv.inference_input_type = getattr(t, io[0])
        if io[1]:
            conv.inference_output_type = getattr(t, io[1])
    try:
        with captured_fds():  # the converter prints to the C-level stdout
            data = bytes(conv.convert())
    except Exception as err:  # the converter raises many exception types
        lines = [ln for ln in str(err).splitlines() if "error" in ln.lower()] or str(err).splitlines() or [""]
        raise ConversionError(lines[0].strip()[:300] or type(err).__name__) from None
    if expect_ops:
        ops = set(model_info(data)["ops"])
        missing = [o for o in expect_ops if o not in ops]
        if missing:
            raise ConversionError(f"converted graph lacks {missing} (has {sorted(ops)})")
    return data
