"""Which weight storage a layer gets, and how much RAM its decoding may take: the one data-driven
place that weighs flash against speed (:mod:`tfcompress.engine.compressed_weights` applies it,
:func:`tfcompress.engine.optimized.block_fit.fit_blocks` reads the RAM slack).

A preference (``optimize``: "size", "balanced" (the default), "speed"; engine/optimize.py) picks a row of
:data:`PREFERENCES`. Among the exact encodings of a layer (int8, 4-bit + codebooks, sparse, 2:4
structured where the kernel set has it, :data:`AVAILABLE`; ties go to 2:4, the fastest), the
smallest is kept whose measured slowdown against int8 (:data:`SLOWDOWN`, instructions of the
compressed kernel / the dense one, per kernel set and op; from ``benchmarks/compressed_speed.py``)
is within the row's limit for that storage. ``ram_slack``: the optimised compressed convolutions
decode a block of channels into scratch; after planning, blocks (and row bands) are chosen against the
peak RAM: 0 the lowest peak, > 0 within this fraction of it, and then each layer within the speed
rule of its goal (``optimized/block_fit.py``); None: blocks as prepared, fastest.

``speed_elasticity`` (balanced): after every layer got its smallest storage, a layer whose compressed
kernel would run slower than the goal for its storage (:data:`GOALS`, compressed / dense
instructions, predicted per layer shape by ``storage_cost.py``) goes back to int8 when that adds no
flash, or when the share of the weight layers' instructions it saves is at least this many times the
share of flash (weights + the kernel code it links, ``storage_cost.KERNEL_CODE``) it adds; never
above the flash of the model all in int8 (compressed_weights.py ``keep_fast``). With
``count_code``, "smallest" is the least flash with that kernel code (``least_flash``: e.g. a tiny
1x1 conv whose 4-bit form is not smaller than int8 still decodes when int8 would link the dense
conv kernels).

The active preference and kernel set are set around a compilation (:func:`active`), so the
policy reaches the passes without changing their signatures.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tfcompress.errors import unknown


@dataclass(frozen=True)
class Preference:
    """Largest slowdown allowed per storage ("w4", "sp"; missing: any), the RAM slack, the
    fewest bytes of flash a layer's compressed storage must save to be taken (tiny layers, e.g. a
    one-channel first conv, save a few bytes for a slower kernel), and whether compressed first
    layers (1-3 input channels) run the first-layer kernel (optimized/first.py: as fast as int8,
    1.7 KB more code at -Os, 3.5 KB at -O2) instead of the decoding kernel (1.6-2.3x slower there)."""

    max_slowdown: dict[str, float] = field(default_factory=dict)
    ram_slack: float | None = 0.1
    min_saving: int = 0
    #: least (share of instructions saved) / (share of flash added) for a slow layer to go back to
    #: int8 (module docstring); None: layers keep their smallest storage
    speed_elasticity: float | None = None
    #: "smallest" counts the kernel code a storage links (storage_cost.py), not only the weights
    count_code: bool = False
    #: a compressed first layer (1-3 input channels) decodes into the dense first-layer kernel's
    #: layout and runs it (faster, links that kernel's code)
    first_kernel: bool = True


#: preference name -> its row. "balanced" (the default): the smallest exact storage (the user asked
#: for compressed weights), smallest counting the kernel code each storage links: a layer kept int8
#: for a few bytes brings the dense kernels' code into a model whose other layers decode (eye-gaze
#: pruned, -O2: 13.5 KB of code with every layer compressed, 26.6 KB with min_saving = 64, flash then
#: above the int8 variant's); decoding blocks within 10% of the lowest peak RAM; then a layer slower
#: than its goal goes back to int8 only where the share of instructions that saves is at least the
#: share of flash it adds (speed_elasticity 1.0: the user asked for smaller weights, so flash wins
#: ties; e.g. not the 4-bit FULLY_CONNECTED layers of ResNet-8 and eye-gaze, 0.05% and 0.2% of their
#: instructions for ~4 KB of dense FC code, nor a clustered AD autoencoder, 40% of its instructions
#: for about twice its weights). "size": the least flash by weights and code at -Os, no RAM growth
#: for decoding, no first-layer kernel's code for a compressed first layer; "speed": only storage
#: that is not slower than int8, blocks as fast as they go.
PREFERENCES: dict[str, Preference] = {
    "size": Preference({}, 0.0, count_code=True, first_kernel=False),
    "balanced": Preference({}, 0.1, speed_elasticity=1.0, count_code=True),
    "speed": Preference({"w4": 1.0, "sp": 1.0, "2of4": 1.0}, None),
}

#: measured slowdown (compressed / int8 instructions of the layer) per kernel set, kernel and
#: storage, mps2-an500 -O2 (benchmarks/compressed_speed.py); missing entries count as 1.0.
#: Optimised convolutions decode per channel block (optimized/conv2d_s8_dec_opt.c, pair codes):
#: ResNet-8 4-bit 1.03-1.16, eye-gaze sparse 0.97-1.09 (first layers decode once into the
#: first-layer kernel's layout: 1.01-1.02), more where RAM fitting shrinks blocks; 2:4
#: (offered where a block holds 8 or more channels) 0.68-0.74 on 3x3 layers, 0.87-0.97 on the 1x1
#: shortcuts with their fused ADD; planar 3x3 DEPTHWISE_CONV_2D decodes
#: per group of four channels (optimized/depthwise_conv2d_s8_opt.c): 4-bit 1.08-1.26, sparse
#: 1.12-1.40 (tiny maps highest; other depthwise shapes: portable C, ~20x); 4-bit FULLY_CONNECTED:
#: the index-byte table kernel (optimized/fully_connected_s8_w4_opt.c) 1.62-1.69 on the AD-shaped
#: layers of benchmarks/compressed_fc.py (small layers whose tables would not pay stay portable);
#: sparse FULLY_CONNECTED (nibble dispatch, optimized/fully_connected_s8_sp_opt.c) 2.6-2.8 at 50%
#: sparsity there.
SLOWDOWN: dict[str, dict[tuple[str, str], float]] = {
    "optimized": {
        ("tfc_conv2d_s8", "w4"): 1.05,
        ("tfc_conv2d_add_s8", "w4"): 1.05,
        ("tfc_conv2d_s8", "sp"): 1.1,
        ("tfc_conv2d_add_s8", "sp"): 1.1,
        ("tfc_fully_connected_s8", "w4"): 1.7,
        ("tfc_fully_connected_s8", "sp"): 2.8,
        ("tfc_depthwise_conv2d_s8", "w4"): 1.3,
        ("tfc_depthwise_conv2d_s8", "sp"): 1.3,
        ("tfc_conv2d_s8", "2of4"): 0.75,
        ("tfc_conv2d_add_s8", "2of4"): 0.8,
    },
}
#: the goals of issue 15: most compressed / dense instructions of a layer, per storage (balanced keeps
#: slower layers int8 where that pays, see speed_elasticity; 2:4 layers are faster than dense)
GOALS: dict[str, float] = {"w4": 1.25, "sp": 1.5}
#: storage -> the kernel sets that have kernels for it (missing: every set)
AVAILABLE: dict[str, tuple[str, ...]] = {"2of4": ("optimized",)}

_ACTIVE: contextvars.ContextVar[tuple[str, str]] = contextvars.ContextVar("weight_policy",
                                                                                 default=("balanced", "reference"))
#: the active kernel set object (engine/kernel_set.py KernelSet; None: not known)
_KSET: contextvars.ContextVar[Any] = contextvars.ContextVar("weight_policy_kset", default=None)


def preference(name: str) -> Preference:
    """The row of preference ``name`` or the standard unknown-name error."""
    if name not in PREFERENCES:
        raise unknown("optimize preference", str(name), list(PREFERENCES))
    return PREFERENCES[name]


@contextlib.contextmanager
def active(optimize: str, kernels: str, kset: Any = None) -> Iterator[Preference]:
    """Make ``optimize`` (checked) and the kernel set ``kernels`` (``kset``: its KernelSet, which
    compressed_weights.py asks how the set prepares a layer) the policy of the passes run inside."""
    pref = preference(optimize)
    token, ktoken = _ACTIVE.set((optimize, kernels)), _KSET.set(kset)
    try:
        yield pref
    finally:
        _ACTIVE.reset(token)
        _KSET.reset(ktoken)


def current() -> Preference:
    """The active preference's row."""
    return PREFERENCES[_ACTIVE.get()[0]]


def current_names() -> tuple[str, str]:
    """The active preference's name and kernel set."""
    return _ACTIVE.get()


def current_kset() -> Any:
    """The active KernelSet (None: not given)."""
    return _KSET.get()


def allowed(kernel: str, storage: str) -> bool:
    """Whether the active kernel set has ``storage`` ("w4", "sp", "2of4") and the active preference
    lets layer kernel ``kernel`` use it."""
    name, kernels = _ACTIVE.get()
    if kernels not in AVAILABLE.get(storage, (kernels,)):
        return False
    limit = PREFERENCES[name].max_slowdown.get(storage)
    return limit is None or SLOWDOWN.get(kernels, {}).get((kernel, storage), 1.0) <= limit
