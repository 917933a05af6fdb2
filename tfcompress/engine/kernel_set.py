"""What a kernel set is: a named set of C kernels that replace some of the op table's reference
kernels (same C signatures), each with the host-side preparation of the constant data it reads
and its scratch size. The sets' names are listed in :mod:`tfcompress.engine.kernelsets`; the
compiler binds each name to its KernelSet (``compiler.KERNEL_SET_IMPLEMENTATIONS``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tfcompress.engine import optable
from tfcompress.engine.lowered import LoweredOp
from tfcompress.errors import TfcError


@dataclass(frozen=True)
class KernelVariant:
    """One kernel of an optimised set: source file (under firmware/engine/), host preparation of
    the op's constant data, scratch bytes it needs."""

    source: str
    prepare: Callable[[LoweredOp], LoweredOp] | None = None
    scratch: Callable[[LoweredOp], int] | None = None


@dataclass(frozen=True)
class KernelSet:
    """The kernels of the set named ``name`` (:mod:`tfcompress.engine.kernelsets`): the reference
    kernels with ``variants`` replaced, the headers those need, and ``after_plan``: choices made
    once the arena is planned (e.g. direct-window convolutions where im2col scratch raises the peak),
    ``bands``: whether the compiler may band pairs of its kernels (engine/banding.py),
    ``model_headers``: the headers it generates per model."""

    name: str
    variants: Mapping[str, KernelVariant] = field(default_factory=dict)
    headers: tuple[str, ...] = ()
    after_plan: Callable[..., Any] | None = None
    bands: bool = False  # row banding of 1x1 conv + depthwise pairs (engine/banding.py)
    #: headers generated per model: (lowered ops, whether an op's scratch is in the arena) -> path
    #: under engine/ -> text (the optimised set: the kernel variants the model links)
    model_headers: Callable[[list[LoweredOp], Callable[[LoweredOp], bool]], dict[str, str]] | None = None

    def fuses_conv_add(self) -> bool:
        """Fuse CONV_2D+ADD only where the set's conv and fused conv come from the same family (a set
        that replaces the conv but not the fused kernel keeps them separate, so it stays fast)."""
        return "tfc_conv2d_s8" not in self.variants or "tfc_conv2d_add_s8" in self.variants

    def sources(self, functions: set[str]) -> list[str]:
        """The C source files implementing ``functions`` (sorted, unique)."""
        table = optable.reference_kernels() | {f: v.source for f, v in self.variants.items()}
        missing = sorted(f for f in functions if f not in table)
        if missing:
            raise TfcError(f"no kernel source for {', '.join(missing)}",
                           "add the kernel to its op's row in engine/optable.py")
        return sorted({table[f] for f in functions})

    def specialize(self, lowered: list[LoweredOp]) -> list[LoweredOp]:
        """Copies of the ops whose kernel this set replaces, with the constant data and scratch its
        kernel expects (ops it does not replace are returned as they are)."""
        out = []
        for lo in lowered:
            if lo.bodies:  # control flow: its bodies' ops
                lo = lo.copy()
                lo.bodies = {role: self.specialize(body) for role, body in lo.bodies.items()}
            variant = self.variants.get(lo.kernel)
            if variant is None or (variant.prepare is None and variant.scratch is None):
                out.append(lo)
                continue
            copy = lo.copy()
            copy.scratch = variant.scratch(copy) if variant.scratch else 0
            out.append(variant.prepare(copy) if variant.prepare else copy)
        return out

    def scratch_bytes(self, lo: LoweredOp) -> int:
        """Scratch the set's kernel for ``lo`` needs (0 for kernels it does not replace)."""
        variant = self.variants.get(lo.kernel)
        return variant.scratch(lo) if variant is not None and variant.scratch else 0
