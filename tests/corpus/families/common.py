"""The probe helper: one Keras functional model around one op (or a few), in int8 and int16x8."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tfcompress.tfenv import keras

from ..convert import convert, randomize, seed_all
from ..registry import add

BOTH = ("int8", "int16x8")


def keras_model(shapes: Sequence[tuple[int, ...]] | tuple[int, ...], body: Callable[..., Any],
                dtypes: Sequence[str] | None = None, seed: int = 0) -> Any:
    """A functional model with batch-1 inputs of ``shapes``; ``body(*inputs)`` returns the
    output tensor(s). Weights are seeded and randomised."""
    K = keras()
    seed_all(seed)
    if shapes and isinstance(shapes[0], int):
        shapes = [shapes]  # type: ignore[list-item]
    dtypes = dtypes or ["float32"] * len(shapes)
    # named in0, in1, ...: the converter orders the inputs by name, the representative data by position
    ins = [K.Input(tuple(s), batch_size=1, dtype=d, name=f"in{k}")
           for k, (s, d) in enumerate(zip(shapes, dtypes, strict=True))]
    out = body(*ins)
    model = K.Model(ins, out)
    return randomize(model, seed)


def probe(name: str, shapes: Any, body: Callable[..., Any], *, modes: Sequence[str] = BOTH,
          expect: Sequence[str] = (), ranges: Sequence[Any] | None = None, features: Sequence[str] = (),
          io: Any = None, dtypes: Sequence[str] | None = None, note: str = "", invocations: int = 1,
          n_rep: int = 32) -> None:
    """Register ``<name>_<mode>`` for every mode."""
    for mode in modes:
        def build(mode: str = mode) -> bytes:
            model = keras_model(shapes, body, dtypes)
            return convert(model, mode, io=io, ranges=ranges, expect_ops=expect, n_rep=n_rep)

        add(f"{name}_{mode}", (mode, *features), build, expect_ops=tuple(expect),
            input_ranges=tuple(ranges) if ranges is not None else None, note=note, invocations=invocations)


def fn_probe(name: str, specs: Sequence[tuple[tuple[int | None, ...], str]], body: Callable[..., Any], *,
             modes: Sequence[str] = BOTH, expect: Sequence[str] = (), ranges: Sequence[Any] | None = None,
             features: Sequence[str] = (), io: Any = None, note: str = "", invocations: int = 1,
             module: Callable[[], Any] | None = None, resource_variables: bool = False,
             n_rep: int = 32) -> None:
    """Register ``<name>_<mode>`` for a ``tf.function`` model: ``body(*tensors)`` (or
    ``body(module, *tensors)`` when ``module()`` builds a ``tf.Module`` holding state/weights)
    traced with ``specs`` = [(shape, dtype)] (None in a shape = dynamic)."""
    from tfcompress.tfenv import tf

    for mode in modes:
        def build(mode: str = mode) -> bytes:
            t = tf()
            seed_all(0)
            mod = module() if module is not None else t.Module()
            # named in0, in1, ...: the converter orders a signature's inputs by name
            sig = [t.TensorSpec(s, getattr(t, d), name=f"in{k}") for k, (s, d) in enumerate(specs)]
            if module is not None:
                fn = t.function(lambda *xs: body(mod, *xs), input_signature=sig)
            else:
                fn = t.function(body, input_signature=sig)
            mod.fn = fn
            return convert(fn, mode, io=io, ranges=ranges, expect_ops=expect, trackable=mod,
                           resource_variables=resource_variables, n_rep=n_rep)

        add(f"{name}_{mode}", (mode, *features), build, expect_ops=tuple(expect),
            input_ranges=tuple(ranges) if ranges is not None else None, note=note, invocations=invocations)
