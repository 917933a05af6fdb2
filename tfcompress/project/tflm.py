"""TensorFlow Lite Micro as the second on-device runtime (DESIGN.md §5b).

A TFLM project runs the .tflite through ``tflite::MicroInterpreter`` behind the same model API as
the engine (``model.h``: ``tfc_model_run``, ``tfc_model_reset``, ``tfc_input_info``/
``tfc_output_info``, the ``TFC_*`` macros), so the serial harness, the board support and every
host tool (validate, evaluate, the pipeline) drive it unchanged. It is built against a TFLM tree
made by TFLM's own ``create_tflm_tree.py`` (``--tflm-dir`` / ``TFLM_DIR`` / the recipe's
``board.tflm_dir``); the project never contains TFLM sources. The tree is compiled once per
tree content, compiler and flags into a static library in the user cache (``tflm_lib.mk``).

- :func:`resolve_tree` finds and checks the tree (one-line errors naming the path and what was
  expected) and tells its kernels (``cmsis-nn`` or ``reference``).
- :func:`prepare_tflm` reads the model, maps its ops to the tree's ``MicroMutableOpResolver``
  methods (an op the tree lacks is an error naming it), and sizes the arena from TFLM's recording
  allocator on the host plus :data:`ARENA_MARGIN`; the result writes model.h / model.cc /
  model_data.cc like the engine's ``CompiledModel.write``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from tfcompress.engine.ir import GraphIO
from tfcompress.errors import TfcError
from tfcompress.textsafe import show

#: the environment variable naming the default TFLM tree
TFLM_DIR_ENV = "TFLM_DIR"
#: TFLM's tree generator (relative to a tflite-micro checkout)
CREATE_TREE = "tensorflow/lite/micro/tools/project_generation/create_tflm_tree.py"
INTERPRETER_H = "tensorflow/lite/micro/micro_interpreter.h"
RESOLVER_H = "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#: what a tree made by create_tflm_tree.py holds (checked, in this order)
TREE_FILES = (INTERPRETER_H, RESOLVER_H, "tensorflow/lite/schema/schema_generated.h",
              "third_party/flatbuffers/include/flatbuffers/flatbuffers.h")
CMSIS_NN_MARK = "tensorflow/lite/micro/kernels/cmsis_nn/conv.cc"
TREE_FIX = (f"pass --tflm-dir (or set {TFLM_DIR_ENV}) to a tree made by TFLM's create_tflm_tree.py, e.g. "
            f"python3 {CREATE_TREE} --makefile_options=\"TARGET=cortex_m_generic OPTIMIZED_KERNEL_DIR=cmsis_nn "
            "TARGET_ARCH=cortex-m7+fp\" /path/to/tree (README: TensorFlow Lite Micro runtime)")

#: The arena a TFLM firmware gets: TFLM's recording allocator on the (64-bit) host, which
#: overstates what the 32-bit device needs (pointers and TfLiteTensor structs are bigger), plus
#: this margin for the device's own scratch requests (CMSIS-NN kernels ask for buffers the host's
#: reference kernels do not): 10% + 1 KiB, rounded up to 16 bytes.
ARENA_MARGIN = (0.10, 1024)
ARENA_MARGIN_TEXT = "arena = host figure + 10% + 1024 B, rounded up to 16 B"
#: Flash the TFLM interpreter, kernels, harness and libc take besides the model (for the fit check
#: before building; DESIGN.md §6: 69 KB reference, 118 KB CMSIS-NN at -O2)
TFLM_CODE_BYTES = {"cmsis-nn": 160 * 1024, "reference": 110 * 1024}
#: RAM of the interpreter objects, resolver and harness besides the arena (fit check)
TFLM_STATIC_RAM = 4096

#: Sources the project copies from firmware/tflm/ (the board's counter and UART for TFLM, and
#: the makefile that builds and caches the TFLM library)
FIRMWARE_FILES = ("micro_time.cc", "debug_log.cc")
LIB_MAKEFILE = "tflm_lib.mk"

_METHOD = re.compile(r"TfLiteStatus\s+(Add\w+)\s*\(")
_BUILTIN = re.compile(r"BuiltinOperator_(\w+)")
_CUSTOM = re.compile(r'AddCustom\(\s*"(\w+)"')


class TreeError(TfcError):
    """The TFLM tree is missing or is not one (the user's to fix, whatever the model)."""


@dataclass(frozen=True)
class TflmTree:
    """A TFLM source tree made by ``create_tflm_tree.py``."""

    path: Path
    kernels: str  # "cmsis-nn" | "reference"

    @cached_property
    def op_methods(self) -> dict[str, str]:
        """Builtin op name -> the ``MicroMutableOpResolver`` method that registers it (read from
        this tree's micro_mutable_op_resolver.h, so a newer TFLM's ops are known without us);
        custom ops registered by name as ``CUSTOM:<name>`` (the engine reader's op name)."""
        text = (self.path / RESOLVER_H).read_text(encoding="utf-8", errors="replace")
        out: dict[str, str] = {}
        starts = [(m.start(), m.group(1)) for m in _METHOD.finditer(text)]
        for k, (at, method) in enumerate(starts):
            body = text[at : starts[k + 1][0] if k + 1 < len(starts) else len(text)]
            m = _BUILTIN.search(body)
            if m and m.group(1) != "CUSTOM":
                out.setdefault(m.group(1), method)
            custom = _CUSTOM.search(body)
            if custom and not m:  # a custom op (AddDetectionPostprocess): named as the reader names it
                out.setdefault("CUSTOM:" + custom.group(1), method)
        return out

    @property
    def key(self) -> str:
        """Short digest of the tree's location (part of a project's identity; the library cache
        is keyed by the tree's content, see tflm_lib.mk)."""
        return hashlib.sha256(str(self.path).encode()).hexdigest()[:8]

    def to_dict(self) -> dict[str, str]:
        return {"path": str(self.path), "kernels": self.kernels}


def resolve_tree(tflm_dir: str | Path | None = None) -> TflmTree:
    """The TFLM tree ``tflm_dir``, else ``$TFLM_DIR``; a missing or wrong tree is a one-line
    TfcError naming the path and what was expected."""
    given = tflm_dir if tflm_dir not in (None, "") else os.environ.get(TFLM_DIR_ENV)
    if not given:
        raise TreeError("the TensorFlow Lite Micro runtime needs a TFLM source tree and none was given", TREE_FIX)
    path = Path(given).expanduser().resolve()
    if not path.is_dir():
        raise TreeError(f"TFLM tree {show(str(path), 200)} not found (expected a directory made by "
                       "create_tflm_tree.py)", TREE_FIX)
    missing = next((f for f in TREE_FILES if not (path / f).is_file()), None)
    if missing is not None:
        what = f"{show(str(path), 200)} is not a TensorFlow Lite Micro tree: {missing} is missing"
        if (path / CREATE_TREE).is_file():
            raise TreeError(what + " (it is a tflite-micro checkout, not a generated tree)",
                           f"make a tree from it: python3 {CREATE_TREE} --makefile_options=\"TARGET=cortex_m_generic "
                           "OPTIMIZED_KERNEL_DIR=cmsis_nn TARGET_ARCH=cortex-m7+fp\" /path/to/tree, then pass that")
        raise TreeError(what + " (expected a tree made by create_tflm_tree.py)", TREE_FIX)
    return TflmTree(path, "cmsis-nn" if (path / CMSIS_NN_MARK).is_file() else "reference")


def arena_with_margin(host_bytes: int) -> int:
    """The arena a firmware gets for TFLM's host figure (:data:`ARENA_MARGIN`)."""
    frac, extra = ARENA_MARGIN
    return (int(host_bytes * (1 + frac)) + extra + 15) // 16 * 16


@dataclass
class TflmProgram(GraphIO):
    """A .tflite prepared for the TFLM runtime: what a TFLM project is generated from (the
    counterpart of the engine's ``CompiledModel``)."""

    model_bytes: bytes
    graph: Any  # tfcompress.engine.ir.Graph: tensors and ops as read from the file
    tree: TflmTree
    source_name: str
    ops: list[tuple[str, str]]  # (builtin, resolver method) in order of first use
    arena_host_bytes: int
    arena_bytes: int
    resource_variables: int = 0
    runtime: str = "tflm"
    notes: list[str] = field(default_factory=list)

    @property
    def kernels(self) -> str:
        return self.tree.kernels

    @property
    def stateful(self) -> bool:
        """Variable tensors or resource variables: outputs depend on earlier runs."""
        return bool(self.resource_variables) or any(
            t.is_variable for g in self.graph.subgraphs for t in g.tensors)

    @property
    def weights_bytes(self) -> int:
        """The model's flash: the whole flatbuffer (TFLM reads weights from it in place)."""
        return len(self.model_bytes)

    @property
    def ram_bytes(self) -> int:
        """The arena the firmware reserves (the device reports what it uses: HELLO's arena)."""
        return self.arena_bytes

    @property
    def engine_key(self) -> str:
        """Part of a generated project's identity (see generate.engine_key)."""
        return f"tflm-{self.tree.kernels}-{self.tree.key}-a{self.arena_bytes}"

    def info(self) -> dict[str, Any]:
        return {"runtime": "tflm", "tflm_dir": str(self.tree.path), "kernels": self.kernels,
                "ops": [op for op, _ in self.ops], "arena_host_bytes": self.arena_host_bytes,
                "arena_bytes": self.arena_bytes, "arena_margin": ARENA_MARGIN_TEXT,
                "model_bytes": len(self.model_bytes)}

    def write(self, out: Path) -> None:
        """model.h (the engine's API, plus TFLM's arena hook), model.cc (the API on
        MicroInterpreter, the op resolver), model_data.cc (the .tflite as an aligned const array)."""
        from tfcompress import __version__
        from tfcompress.engine.emit import IO_MAX_DIMS, _io
        from tfcompress.resources import template_env

        out = Path(out)
        env = template_env()
        inputs = [_io(t, "") for t in self.inputs]
        outputs = [_io(t, "") for t in self.outputs]
        n_ops = sum(len(g.ops) for g in self.graph.subgraphs)
        ctx = dict(version=__version__, source_name=self.source_name, model_hash=self.graph.model_hash,
                   n_ops=n_ops, arena_bytes=self.arena_bytes, state_bytes=0, weights_bytes=len(self.model_bytes),
                   inputs=inputs, outputs=outputs, io_max_dims=IO_MAX_DIMS, stateful=self.stateful,
                   inputs_bytes=sum(t["nbytes"] for t in inputs), outputs_bytes=sum(t["nbytes"] for t in outputs),
                   ops=[{"builtin": b, "method": m} for b, m in self.ops], arena_host=self.arena_host_bytes,
                   arena_margin=ARENA_MARGIN_TEXT, resource_variables=self.resource_variables,
                   model_bytes=len(self.model_bytes), input_rows=[_info_row(t) for t in inputs],
                   output_rows=[_info_row(t) for t in outputs])
        header = env.get_template("engine/model.h.j2").render(**ctx)
        header += env.get_template("project/tflm/model_tflm.h.j2").render(**ctx)
        (out / "model.h").write_text(header, encoding="utf-8")
        (out / "model.cc").write_text(env.get_template("project/tflm/model.cc.j2").render(**ctx), encoding="utf-8")
        (out / "model_data.cc").write_text(model_data_source(self.model_bytes, self.source_name), encoding="utf-8")


def _info_row(t: dict[str, Any]) -> str:
    """One ``tfc_tensor_info`` initialiser (model.cc)."""
    return (f"{{{t['nbytes']}u, {t['elements']}u, {t['zero_point']}, {t['scale']}, {t['dtype_code']}, "
            f"{t['ndim']}, {{{t['shape_padded']}}}}}")


def model_data_source(data: bytes, source_name: str) -> str:
    """model_data.cc: the .tflite as a 16-byte aligned ``const`` array in flash (``extern`` so
    that C++ gives it external linkage)."""
    from tfcompress.textsafe import c_comment

    hexes = [f"0x{b:02x}" for b in data]
    rows = "\n".join("    " + ", ".join(hexes[i : i + 16]) + "," for i in range(0, len(hexes), 16))
    return (f"// model_data.cc - generated by tfcompress from {c_comment(source_name)}: the .tflite flatbuffer "
            f"({len(data)} bytes), read in place by TFLM.\n"
            "extern \"C\" {\n"
            "extern const unsigned char tfc_model_data[];\n"
            f"alignas(16) const unsigned char tfc_model_data[{max(len(data), 1)}] = {{\n{rows or '    0,'}\n}};\n"
            f"extern const unsigned int tfc_model_data_len;\nconst unsigned int tfc_model_data_len = {len(data)}u;\n"
            "}\n")


def model_ops(graph: Any) -> list[str]:
    """Op names of every subgraph, in order of first use."""
    return list(dict.fromkeys(op.name for g in graph.subgraphs for op in g.ops))


def resolver_ops(graph: Any, tree: TflmTree) -> list[tuple[str, str]]:
    """(builtin, resolver method) for each op of the model; an op the tree's
    MicroMutableOpResolver cannot register is a TfcError naming it."""
    methods = tree.op_methods
    out = []
    for name in model_ops(graph):
        method = methods.get(name)
        if method is None:
            what = (f"custom op {show(name.split(':', 1)[1])}" if name.startswith("CUSTOM:")
                    else f"op {name}")
            raise TfcError(f"TensorFlow Lite Micro ({tree.path}) has no kernel for {what}: its "
                           "MicroMutableOpResolver cannot register it",
                           "run the model with the engine (--runtime engine) or replace the op")
        out.append((name, method))
    return out


def _resource_variables(graph: Any) -> int:
    names = {(op.options.get("container"), op.options.get("shared_name"))
             for g in graph.subgraphs for op in g.ops if op.name == "VAR_HANDLE"}
    return len(names)


def prepare_tflm(model: str | Path | bytes, tree: TflmTree, source_name: str | None = None) -> TflmProgram:
    """Read ``model``, check TFLM can run it (the host interpreter loads it; the tree has every
    op), size the arena (TFLM's recording allocator on the host + :data:`ARENA_MARGIN`)."""
    from tfcompress.engine.ir import DTYPES
    from tfcompress.engine.reader import load_bytes, read_graph
    from tfcompress.tflm import OracleError, tflm_arena_breakdown

    data = load_bytes(model)
    graph = read_graph(data)
    for kind, indices in (("input", graph.inputs), ("output", graph.outputs)):
        for k, i in enumerate(indices):
            t = graph.t(i)
            if DTYPES[t.dtype][2] == 0:
                raise TfcError(f"{kind} {k} ({show(t.name)}) is {t.dtype}, which the harness cannot carry",
                               "convert the model with int8, int16, float32, uint8, int32, int64 or bool I/O")
    ops = resolver_ops(graph, tree)
    try:
        arena = tflm_arena_breakdown(data)
    except OracleError as err:
        raise TfcError(f"TensorFlow Lite Micro cannot run this model: {err.what.split(': ', 1)[-1]}",
                       "keep it on the host (dynamic-range and float16 models have no TFLM kernels)") from None
    name = source_name or (Path(model).name if isinstance(model, (str, Path)) else "model.tflite")
    return TflmProgram(data, graph, tree, name, ops, arena["total"], arena_with_margin(arena["total"]),
                       resource_variables=_resource_variables(graph))


def copy_firmware(out: Path) -> None:
    """firmware/tflm/ into a project: micro_time.cc and debug_log.cc under tflm/, tflm_lib.mk."""
    from tfcompress.resources import firmware_root

    src = firmware_root() / "tflm"
    (out / "tflm").mkdir(exist_ok=True)
    for name in FIRMWARE_FILES:
        shutil.copy2(src / name, out / "tflm" / name)
    shutil.copy2(src / LIB_MAKEFILE, out / LIB_MAKEFILE)


def library_cache_dir() -> Path:
    """Where tflm_lib.mk keeps built TFLM libraries (one folder per tree content + flags)."""
    base = os.environ.get("TFC_CACHE_DIR")
    return (Path(base) if base else Path.home() / ".cache" / "tfcompress") / "tflm"
