"""The import graph of the ``tfcompress`` package, read from its source with :mod:`ast`.

Nothing is imported: every module file is parsed and every ``import`` statement in it
(at module level or inside functions, relative ones resolved) becomes an edge to the
package module it names. ``from pkg import name`` is an edge to the submodule
``pkg.name`` when there is one, else to ``pkg`` itself (its ``__init__``). Importing
``a.b.c`` also runs ``a/__init__`` and ``a/b/__init__`` first, so those are edges too,
except for the importer's own packages (they are initialised, or initialising, before
it): a cycle through a package ``__init__`` is a cycle.

Two kinds of edges:

- *import edges*: ``import``/``from ... import`` statements. Cycles among them are
  errors (``tests/test_import_cycles.py``).
- *plugin edges*: a string constant that names a package module (``"tfcompress.data.eyes"``
  or ``"tfcompress.data.eyes:load_synthetic_eyes"``), the way tables of plugins name
  what ``importlib.import_module`` loads on demand. They are not cycles, but the code
  can reach them, so :meth:`ImportGraph.reachable` follows them.

:func:`tfcompress.rundir.code_hash` hashes the modules a stage can reach.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

PACKAGE = "tfcompress"
ROOT = Path(__file__).resolve().parent


def module_files(root: Path = ROOT, package: str = PACKAGE) -> dict[str, Path]:
    """Dotted module name -> source file for every ``.py`` file under ``root``."""
    out: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if "__pycache__" in rel.parts:
            continue
        parts = [package, *rel.with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _ancestors(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


@dataclass
class ImportGraph:
    """Modules of one package and the edges between them."""

    files: dict[str, Path]
    imports: dict[str, set[str]] = field(default_factory=dict)
    plugins: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, root: Path = ROOT, package: str = PACKAGE) -> ImportGraph:
        graph = cls(module_files(root, package))
        for name, path in graph.files.items():
            tree = ast.parse(path.read_text(), filename=str(path))
            graph.imports[name] = graph._import_edges(name, path, tree) - {name}
            graph.plugins[name] = graph._plugin_edges(tree) - {name}
        return graph

    # ------------------------------------------------------------------ edges

    def _known(self, dotted: str) -> str | None:
        """The longest prefix of ``dotted`` that is a module of the package."""
        parts = dotted.split(".")
        for i in range(len(parts), 0, -1):
            candidate = ".".join(parts[:i])
            if candidate in self.files:
                return candidate
        return None

    def _import_edges(self, name: str, path: Path, tree: ast.AST) -> set[str]:
        targets: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = self._resolve(name, path, node)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.add(sub if alias.name != "*" and sub in self.files else base)
        edges: set[str] = set()
        own = {name, *_ancestors(name)}
        for target in targets:
            known = self._known(target)
            if known is None:
                continue
            edges.add(known)
            # importing a.b.c runs a/__init__ and a/b/__init__ first, unless the importer is
            # inside them already (its own packages are initialised, or initialising, before it)
            edges.update(a for a in _ancestors(known) if a in self.files and a not in own)
        return edges

    @staticmethod
    def _resolve(name: str, path: Path, node: ast.ImportFrom) -> str:
        if node.level == 0:
            return node.module or ""
        package = name.split(".") if _is_package(path) else name.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        return ".".join([*package, *([node.module] if node.module else [])])

    def _plugin_edges(self, tree: ast.AST) -> set[str]:
        edges: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                module = node.value.split(":", 1)[0]
                if module in self.files and module != PACKAGE:
                    edges.add(module)
        return edges

    # ------------------------------------------------------------------ queries

    def reachable(self, roots: Iterable[str]) -> set[str]:
        """Every module importing ``roots`` can execute: imports and plugins, transitively,
        with the ``__init__`` of every package on the way."""
        todo = list(roots)
        for r in todo:
            if r not in self.files:
                raise KeyError(f"{r} is not a module of {PACKAGE}")
        seen: set[str] = set()
        while todo:
            m = todo.pop()
            if m in seen:
                continue
            seen.add(m)
            todo.extend(self.imports[m] | self.plugins[m])
            todo.extend(a for a in _ancestors(m) if a in self.files)
        return seen

    def cycles(self) -> list[list[str]]:
        """The import cycles, one per strongly connected component of the import edges.

        Each is reported as one closed path through the component (first module repeated
        at the end); a component holding several cycles lists all its modules on the way.
        """
        out = []
        for comp in _components(self.imports):
            out.append(_closed_walk(sorted(comp), self.imports))
        return sorted(out)

    def cycle_edges(self) -> set[tuple[str, str]]:
        """The import edges that lie on a cycle (both ends in one strongly connected component)."""
        edges = set()
        for comp in _components(self.imports):
            edges |= {(a, b) for a in comp for b in self.imports[a] if b in comp}
        return edges


def _components(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    comps: list[set[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(edges.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = set()
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    comp.add(m)
                    if m == node:
                        break
                if len(comp) > 1:
                    comps.append(comp)
    return comps


def _closed_walk(members: list[str], edges: dict[str, set[str]]) -> list[str]:
    """A closed walk from ``members[0]`` through every module of one component."""
    inside = set(members)

    def path(a: str, b: str) -> list[str]:  # a shortest path a -> b inside the component, without a
        prev: dict[str, str] = {}
        seen, frontier = {a}, [a]
        while frontier:
            later = []
            for m in frontier:
                for n in sorted(edges[m] & inside):
                    if n == b:
                        out = [b]
                        while m != a:
                            out.append(m)
                            m = prev[m]
                        return out[::-1]
                    if n not in seen:
                        seen.add(n)
                        prev[n] = m
                        later.append(n)
            frontier = later
        raise AssertionError(f"{b} is not reachable from {a}")

    walk = [members[0]]
    for m in members[1:] + [members[0]]:
        if m not in walk or m == members[0]:
            walk += path(walk[-1], m)
    return walk


@cache
def package_graph() -> ImportGraph:
    """The import graph of the installed ``tfcompress`` source (parsed once per process)."""
    return ImportGraph.build()
