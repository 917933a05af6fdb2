"""Run directories and per-stage manifests.

Every pipeline stage writes its artifacts into its own folder with a
``manifest.json`` recording a fingerprint of what it was made from (parameters,
content hashes of its inputs, tool versions). A stage whose manifest is complete
and whose fingerprint matches is skipped; a stage that was interrupted keeps its
folder (checkpoints) and resumes; a stage whose inputs changed is redone.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from tfcompress import __version__
from tfcompress.console import log, to_json
from tfcompress.errors import TfcError
from tfcompress.importgraph import package_graph
from tfcompress.stagecache import StageCache

MANIFEST = "manifest.json"
RUN_MARKER = "run.json"
_TOOLS = ("tensorflow", "tf-keras", "tensorflow-model-optimization", "tflite-micro")


def tool_versions() -> dict[str, str]:
    """Versions of the packages whose behaviour shapes the artifacts."""
    out = {"tfcompress": __version__}
    for name in _TOOLS:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def hash_file(path: Path) -> str:
    """SHA-256 of a file's content."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _keras_zip_hash(path: Path) -> str:
    """SHA-256 of a ``.keras`` file's members (names and bytes), without the save time that
    tf_keras writes into ``metadata.json`` (``date_saved``) and the zip entries' timestamps, so
    the same model (config + weights) saved twice has one hash."""
    h = hashlib.sha256()
    try:
        with zipfile.ZipFile(path) as zf:
            for name in sorted(zf.namelist()):
                data = zf.read(name)
                if name == "metadata.json":
                    meta = json.loads(data)
                    meta.pop("date_saved", None)
                    data = json.dumps(meta, sort_keys=True).encode()
                h.update(name.encode() + b"\0" + hashlib.sha256(data).hexdigest().encode())
    except (zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError):
        return hash_file(path)  # not a zip-format .keras: its bytes
    return h.hexdigest()


#: per file type: a content hash that leaves out what saving the same content again changes
_CONTENT_HASHES: dict[str, Callable[[Path], str]] = {".keras": _keras_zip_hash}


def content_hash(path: Path) -> str:
    """The hash a stage records for an output file: its bytes, or for a model file what it holds."""
    return _CONTENT_HASHES.get(path.suffix, hash_file)(path)


def hash_tree(paths: Iterable[Path]) -> str:
    """One SHA-256 over the contents (and relative names) of files and folders."""
    h = hashlib.sha256()
    for root in sorted(Path(p) for p in paths):
        files = [root] if root.is_file() else sorted(f for f in root.rglob("*") if f.is_file())
        for f in files:
            if f.name == MANIFEST or f.suffix == ".pyc" or "__pycache__" in f.parts:
                continue
            rel = f.name if f == root else str(f.relative_to(root))
            h.update(rel.encode())
            h.update(content_hash(f).encode())
    return h.hexdigest()


@cache
def code_hash(*modules: str) -> str:
    """Content hash of the source of every tfcompress module that ``modules`` can reach (what
    they import, transitively; see :meth:`tfcompress.importgraph.ImportGraph.reachable`): a stage
    made by changed code is redone. A pipeline step passes its own ``__name__``."""
    graph = package_graph()
    h = hashlib.sha256()
    for name in sorted(graph.reachable(modules)):
        h.update(name.encode())
        h.update(hashlib.sha256(graph.source(name)).hexdigest().encode())
    return h.hexdigest()


def fingerprint(params: dict[str, Any], inputs: dict[str, str]) -> str:
    """Fingerprint of a stage: its parameters, its inputs' hashes and tool versions."""
    blob = to_json({"params": params, "inputs": inputs, "tools": tool_versions()})
    return hashlib.sha256(json.dumps(json.loads(blob), sort_keys=True).encode()).hexdigest()


@dataclass
class Stage:
    """One stage folder of a run and its manifest."""

    name: str
    dir: Path
    fingerprint: str
    params: dict[str, Any]
    #: a cache shared with other runs (sweep trials): its copy is used, and a made stage published
    cache: StageCache | None = None
    rel_dir: str = ""

    @property
    def manifest_path(self) -> Path:
        return self.dir / MANIFEST

    def manifest(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.manifest_path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    @property
    def done(self) -> bool:
        """True when the stage completed with the same fingerprint (here or in the shared cache;
        when False with a cache, this process holds the stage's cache lock until it completes)."""
        m = self.manifest()
        if m and m.get("status") == "complete" and m.get("fingerprint") == self.fingerprint:
            return True
        return self.cache is not None and self.cache.fetch(self.rel_dir, self.fingerprint, self.dir)

    def begin(self) -> None:
        """Prepare the folder: keep it to resume the same work, clear it when inputs changed."""
        m = self.manifest()
        if m and m.get("fingerprint") != self.fingerprint and self.dir.exists():
            log(f"  {self.name}: inputs or parameters changed, redoing")
            shutil.rmtree(self.dir)
        elif m and m.get("status") == "running":
            log(f"  {self.name}: resuming an interrupted run")
        self.dir.mkdir(parents=True, exist_ok=True)
        self._write("running", {}, {})

    def complete(self, metrics: dict[str, Any] | None = None, outputs: Iterable[str] = ()) -> None:
        """Mark the stage complete; record metrics and the hash of its outputs."""
        out_paths = [self.dir / o for o in outputs] or [self.dir]
        self._write("complete", metrics or {}, {"outputs": list(outputs), "output_hash": hash_tree(out_paths)})
        if self.cache is not None:
            self.cache.publish(self.rel_dir, self.fingerprint, self.dir)

    def output_hash(self) -> str:
        """Content hash of the completed stage's outputs (downstream stages fingerprint on it)."""
        m = self.manifest()
        if not m or m.get("status") != "complete":
            raise TfcError(f"stage '{self.name}' has not completed", "run the pipeline up to this stage first")
        return str(m["output_hash"])

    def metrics(self) -> dict[str, Any]:
        m = self.manifest() or {}
        return dict(m.get("metrics", {}))

    def _write(self, status: str, metrics: dict[str, Any], extra: dict[str, Any]) -> None:
        data = {
            "stage": self.name,
            "status": status,
            "fingerprint": self.fingerprint,
            "params": self.params,
            "tools": tool_versions(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "metrics": metrics,
            **extra,
        }
        tmp = self.manifest_path.with_suffix(".tmp")
        tmp.write_text(to_json(data))
        tmp.replace(self.manifest_path)


class RunDir:
    """``runs/<name>/``: the artifacts of one recipe, stage by stage (DESIGN.md §1)."""

    def __init__(self, root: Path, cache: StageCache | None = None) -> None:
        self.root = Path(root)
        self.cache = cache

    @classmethod
    def open(cls, root: Path, recipe_name: str, recipe_text: str, *, force: bool = False,
             cache: StageCache | None = None) -> RunDir:
        """Open or create a run directory for ``recipe_name``.

        An existing folder is reused only when it is a tfcompress run of the same
        recipe name (its stages are then skipped or redone by fingerprint). Anything
        else is refused unless ``force`` is given, in which case it is replaced.
        """
        root = Path(root)
        marker = root / RUN_MARKER
        if root.exists() and any(root.iterdir()):
            owner = None
            if marker.is_file():
                try:
                    owner = json.loads(marker.read_text()).get("recipe")
                except json.JSONDecodeError:
                    owner = None
            if owner != recipe_name:
                if not force:
                    what = f"a run of recipe '{owner}'" if owner else "not a tfcompress run directory"
                    raise TfcError(
                        f"run directory '{root}' already exists and is {what}",
                        "pass --force to replace it, or choose another --out",
                    )
                shutil.rmtree(root)
        root.mkdir(parents=True, exist_ok=True)
        marker.write_text(to_json({"recipe": recipe_name, "tfcompress": __version__}))
        (root / "recipe.toml").write_text(recipe_text)
        return cls(root, cache)

    def stage(self, name: str, rel_dir: str, params: dict[str, Any], inputs: dict[str, str] | None = None) -> Stage:
        """A stage at ``rel_dir`` fingerprinted by ``params`` and upstream ``inputs`` hashes."""
        return Stage(name, self.root / rel_dir, fingerprint(params, inputs or {}), params, self.cache, rel_dir)
