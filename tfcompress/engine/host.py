"""Build the generated C with the host ``cc`` and run ``tfc_model_run`` from Python (ctypes).

Shared libraries are cached by content hash under ``$TFC_CACHE_DIR`` (default
``~/.cache/tfcompress/engine``), so a model is compiled once.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from tfcompress.engine.compiler import CompiledModel
from tfcompress.engine.ir import DTYPES
from tfcompress.errors import TfcError
from tfcompress.resources import engine_kernels_dir, templates_root

#: -ffp-contract=off: the float kernels (float islands) must not fuse a multiply and an add into
#: one FMA where TFLM's float reference computes two roundings (GCC already keeps them apart under
#: -std=c99; clang, or a host with FMA in its baseline such as aarch64, might not)
CFLAGS = ["-O2", "-std=c99", "-ffp-contract=off", "-Wall", "-Wextra", "-Werror", "-fPIC"]


def cache_dir() -> Path:
    """Where built host libraries are kept."""
    base = os.environ.get("TFC_CACHE_DIR") or Path.home() / ".cache" / "tfcompress" / "engine"
    return Path(base)


def _cc() -> str:
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        raise TfcError("no host C compiler found", "install gcc (apt-get install build-essential)")
    return cc


def _compile(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise TfcError(f"host build failed: {proc.stderr.strip()[:2000]}",
                       "this is an engine bug; please report it with the model")


def _digest(model: CompiledModel, flags: list[str], extra: str = "") -> tuple[str, str, str]:
    model_c, model_h = model.sources()
    h = hashlib.sha256()
    for part in (model_c, model_h, " ".join(flags), extra):
        h.update(part.encode())
    for name in model.kernel_sources() + model.kernel_headers():
        h.update((engine_kernels_dir() / name).read_bytes())
    for name, text in sorted(model.generated_headers().items()):
        h.update(f"{name}\n{text}".encode())
    return h.hexdigest()[:24], model_c, model_h


def build_shared(model: CompiledModel, extra_flags: list[str] | None = None,
                 extra_sources: dict[str, str] | None = None) -> Path:
    """Build (or reuse) ``libtfcmodel.so`` for ``model``; returns its path. ``extra_sources`` (file
    name -> C text) are written beside model.c: ``.c`` files are compiled in, others (headers) are
    there for ``extra_flags`` to use (e.g. ``-include``)."""
    flags = CFLAGS + list(extra_flags or [])
    extra = dict(extra_sources or {})
    key, _, _ = _digest(model, flags, "".join(f"{n}\n{t}" for n, t in sorted(extra.items())))
    target = cache_dir() / key / "libtfcmodel.so"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        work = Path(tmp)
        model.write(work)
        for name, text in extra.items():
            (work / name).write_text(text, encoding="utf-8")
        sources = ["model.c"] + [f"engine/{s}" for s in model.kernel_sources()]
        sources += [name for name in sorted(extra) if name.endswith(".c")]
        _compile([_cc(), *flags, "-shared", "-o", "lib.so", *sources, "-lm"], work)
        os.replace(work / "lib.so", target)
    return target


def build_executable(model: CompiledModel, out_dir: str | Path, extra_flags: list[str] | None = None) -> Path:
    """Build a standalone test driver (input file -> output file), e.g. with sanitizer flags."""
    out = Path(out_dir)
    model.write(out)
    shutil.copyfile(templates_root() / "engine" / "host_main.c", out / "host_main.c")
    sources = ["host_main.c", "model.c"] + [f"engine/{s}" for s in model.kernel_sources()]
    flags = [f for f in CFLAGS if f != "-fPIC"] + list(extra_flags or [])
    _compile([_cc(), *flags, "-o", "model_test", *sources, "-lm"], out)
    return out / "model_test"


class HostModel:
    """A compiled model loaded into this process.

    ``invoke([x0, x1, ...])`` returns the list of outputs; ``run(x)`` is the single-input,
    single-output shorthand. State (stateful models) carries over between calls until ``reset()``.
    """

    def __init__(self, model: CompiledModel, *, extra_flags: list[str] | None = None,
                 extra_sources: dict[str, str] | None = None) -> None:
        self.model = model
        path = build_shared(model, extra_flags, extra_sources)
        self._private: Path | None = None
        if model.stateful:  # the library's static state is per load: give each instance its own copy
            fd, name = tempfile.mkstemp(suffix=".so", dir=path.parent)
            os.close(fd)
            shutil.copyfile(path, name)
            self._private = Path(name)
            path = self._private
        self.lib = ctypes.CDLL(str(path))
        if self._private is not None:
            self._private.unlink()  # stays mapped; nothing left behind
        self.lib.tfc_model_run.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self.lib.tfc_model_run.restype = ctypes.c_int
        self.lib.tfc_model_reset.argtypes = []
        self.lib.tfc_model_reset.restype = None
        self._in = [(DTYPES[t.dtype][0], tuple(t.shape)) for t in model.inputs]
        self._out = [(DTYPES[t.dtype][0], tuple(t.shape)) for t in model.outputs]

    def invoke(self, inputs: list[np.ndarray] | tuple[np.ndarray, ...]) -> list[np.ndarray]:
        """One inference; ``inputs`` in the model's input order (cast and reshaped to each input)."""
        if len(inputs) != len(self._in):
            raise TfcError(f"the model takes {len(self._in)} inputs, got {len(inputs)}",
                           "pass one array per model input")
        arrays = [np.ascontiguousarray(np.asarray(x).astype(dt, copy=False).reshape(shape))
                  for x, (dt, shape) in zip(inputs, self._in, strict=True)]
        outs = [np.zeros(shape, dtype=dt) for dt, shape in self._out]
        in_ptrs = (ctypes.c_void_p * max(len(arrays), 1))(*[a.ctypes.data for a in arrays])
        out_ptrs = (ctypes.c_void_p * len(outs))(*[o.ctypes.data for o in outs])
        rc = self.lib.tfc_model_run(in_ptrs, out_ptrs)
        if rc != 0:
            raise TfcError(f"tfc_model_run returned {rc}", "this is an engine bug; please report it")
        return outs

    def run(self, x: np.ndarray) -> np.ndarray:
        """One inference of a single-input model; returns output 0."""
        return self.invoke([x])[0]

    def reset(self) -> None:
        """Put the model's state back to its initial value (tfc_model_reset)."""
        self.lib.tfc_model_reset()
