"""The recipe's ``[board]`` table: where and how the variants are measured."""

from __future__ import annotations

from dataclasses import dataclass

from tfcompress.engine import kernelsets
from tfcompress.engine import optimize as optimize_pref
from tfcompress.errors import TfcError
from tfcompress.recipe_section import Section, positive


@dataclass(frozen=True)
class BoardConfig:
    name: str = "mps2-an500"
    kernels: str = kernelsets.DEFAULT
    eval_samples: int = 200
    #: variants whose weights the device build stores compressed (4-bit / sparse where smaller); "*": all
    compress_weights: tuple[str, ...] = ()
    #: the model output the device metric is computed from: its index or tensor name
    output: str | int = 0
    #: on-device runtimes each deployable variant is measured with, in order: "engine" (tfcompress's
    #: AOT C) and/or "tflm" (TensorFlow Lite Micro, which also runs what the engine cannot compile)
    runtime: tuple[str, ...] = ("engine",)
    #: the TFLM tree (create_tflm_tree.py) for "tflm"; relative to the recipe file; None: $TFLM_DIR
    tflm_dir: str | None = None
    #: the variants "tflm" measures ("*": all)
    tflm_variants: tuple[str, ...] = ("*",)
    #: profiling firmware builds (engine): per-op counts on the device, in results.json and the report
    profile: bool = False
    #: emulated boards: device jobs (build + QEMU) at a time; None: one per core
    jobs: int | None = None
    #: real boards measured in parallel: "PORT=BOARD" (or "PORT=BOARD@PROBE_SERIAL"), all the same board
    farm: tuple[str, ...] = ()
    #: speed/size preference of the engine's layouts (engine/optimize.py); None: the board file's
    optimize: str | None = None

    def runtimes_for(self, variant: str, runtimes: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """The runtimes ``variant`` is measured with (``runtimes``: an override of ``runtime``)."""
        chosen = runtimes or self.runtime
        wanted = "*" in self.tflm_variants or variant in self.tflm_variants
        return tuple(rt for rt in chosen if rt != "tflm" or wanted)

    def compresses(self, variant: str) -> bool:
        """Whether ``variant``'s firmware stores compressed weights."""
        return "*" in self.compress_weights or variant in self.compress_weights


def parse_board(bd: Section) -> BoardConfig:
    """Validate the ``[board]`` table."""
    bd.check_unknown(["name", "kernels", "eval_samples", "compress_weights", "output", "runtime", "tflm_dir",
                      "tflm_variants", "profile", "jobs", "farm", "optimize"])
    if (jobs := bd.get("jobs", (int,), None)) is not None:
        positive(jobs, "board.jobs")
    farm = bd.get("farm", (list,), [])
    if not all(isinstance(v, str) and "=" in v for v in farm):
        raise TfcError("recipe key 'board.farm' must be a list of \"PORT=BOARD\" strings",
                       'e.g. farm = ["/dev/ttyACM0=stm32h747i-disco", "/dev/ttyACM1=stm32h747i-disco"]')
    cw = bd.get("compress_weights", (bool, list), False)
    if isinstance(cw, list) and not all(isinstance(v, str) for v in cw):
        raise TfcError("recipe key 'board.compress_weights' must be true/false or a list of variant names",
                       'e.g. compress_weights = ["pruned-int8", "clustered-int8"]')
    output = bd.get("output", (str, int), BoardConfig.output)
    if output == "" or isinstance(output, int) and output < 0:
        raise TfcError(f"recipe key 'board.output' must be an output index (0, 1, ...) or a tensor name, "
                       f"got {output!r}", 'e.g. output = "probs" or output = 1')
    from tfcompress.runtimes import parse_runtimes

    raw_runtime = bd.get("runtime", (str, list), "engine")
    if isinstance(raw_runtime, list) and not all(isinstance(v, str) for v in raw_runtime):
        raise TfcError("recipe key 'board.runtime' must be \"engine\", \"tflm\" or a list of them",
                       'e.g. runtime = ["engine", "tflm"]')
    runtimes = parse_runtimes(raw_runtime if isinstance(raw_runtime, list) else [raw_runtime],
                              where="recipe key 'board.runtime'")
    tflm_dir = bd.get("tflm_dir", (str,), None)
    tflm_variants = bd.get("tflm_variants", (list,), ["*"])
    if not all(isinstance(v, str) for v in tflm_variants):
        raise TfcError("recipe key 'board.tflm_variants' must be a list of variant names",
                       'e.g. tflm_variants = ["int8", "float32"]')
    return BoardConfig(
        name=bd.get("name", (str,), BoardConfig.name),
        kernels=bd.get("kernels", (str,), BoardConfig.kernels, choices=tuple(kernelsets.names())),
        eval_samples=bd.get("eval_samples", (int,), BoardConfig.eval_samples),
        compress_weights=("*",) if cw is True else tuple(cw or ()),
        output=output,
        runtime=runtimes,
        tflm_dir=tflm_dir,
        tflm_variants=tuple(tflm_variants),
        profile=bd.get("profile", (bool,), False),
        jobs=jobs,
        farm=tuple(farm),
        optimize=bd.get("optimize", (str,), None, choices=optimize_pref.CHOICES),
    )
