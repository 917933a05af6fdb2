"""The import graph of the ``tfcompress`` package, read from its source with :mod:`ast`.

Nothing is imported: every module file is parsed and every ``import`` statement in it
(at module level or inside functions, relative ones resolved) names the package module
it imports. ``from pkg import name`` names the submodule ``pkg.name`` when there is one,
else ``pkg`` itself (its ``__init__``).

- *import edges* (:meth:`ImportGraph.edges`): the modules a module names, plus the
  packages importing them runs first: ``import a.b.c`` runs ``a/__init__`` and
  ``a/b/__init__`` before ``a.b.c`` (except the importer's own packages, initialised, or
  initialising, before it), so a cycle through a package ``__init__`` is a cycle. Cycles
  are errors (``tests/test_import_cycles.py``).
- *plugins*: a string constant that names a package module (``"tfcompress.data.eyes"``
  or ``"tfcompress.data.eyes:load_synthetic_eyes"``), the way tables of plugins name
  what ``importlib.import_module`` loads on demand. They are not cycles, but the code
  can reach them, so :meth:`ImportGraph.reachable` follows them.

:func:`tfcompress.rundir.code_hash` hashes the modules a pipeline step can reach.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
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
    #: module -> modules it imports by name (anywhere in it)
    imports: dict[str, set[str]] = field(default_factory=dict)
    #: module -> modules it imports by name at module level (when it is imported, not when called)
    toplevel: dict[str, set[str]] = field(default_factory=dict)
    #: module -> modules it names in strings (loaded on demand by importlib)
    plugins: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, root: Path = ROOT, package: str = PACKAGE) -> ImportGraph:
        graph = cls(module_files(root, package))
        for name, path in graph.files.items():
            tree = ast.parse(path.read_text(), filename=str(path))
            nodes = list(_import_nodes(tree))
            graph.imports[name] = graph._imported(name, path, [n for n, _ in nodes]) - {name}
            graph.toplevel[name] = graph._imported(name, path, [n for n, d in nodes if not d]) - {name}
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

    def _imported(self, name: str, path: Path, nodes: list[ast.Import | ast.ImportFrom]) -> set[str]:
        targets: set[str] = set()
        for node in nodes:
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = self._resolve(name, path, node)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.add(sub if alias.name != "*" and sub in self.files else base)
        return {known for t in targets if (known := self._known(t)) is not None}

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

    def source(self, module: str) -> bytes:
        """The source of ``module`` as it is on disk."""
        return self.files[module].read_bytes()

    def reachable(self, roots: Iterable[str]) -> set[str]:
        """Every module the code of ``roots`` can execute, transitively.

        A module imported by name may have any of its functions called: everything it
        imports (functions included) and the plugins it names are reached, by name too.
        Importing ``a.b.c`` also runs the module level of ``a`` and ``a.b``; a module that
        is only run that way (no one imports it by name) reaches its module-level imports,
        the same way, and nothing else: its functions are not called.
        """
        roots = list(roots)
        for r in roots:
            if r not in self.files:
                raise KeyError(f"{r} is not a module of {PACKAGE}")
        named: set[str] = set()  # imported by name: anything in it may run
        passed: set[str] = set()  # run on the way to a submodule: its module level runs
        todo = [(r, True) for r in roots]
        while todo:
            m, by_name = todo.pop()
            if m in named or (not by_name and m in passed):
                continue
            (named if by_name else passed).add(m)
            edges = self.imports[m] | self.plugins[m] if by_name else self.toplevel[m]
            todo.extend((n, by_name) for n in edges)
            todo.extend((a, False) for a in _ancestors(m) if a in self.files)
        return named | passed

    def edges(self) -> dict[str, set[str]]:
        """The import edges: what each module imports, with the packages that runs first."""
        out = {}
        for name, targets in self.imports.items():
            own = {name, *_ancestors(name)}
            out[name] = targets | {a for t in targets for a in _ancestors(t) if a in self.files and a not in own}
        return out

    def cycles(self) -> list[list[str]]:
        """The import cycles, one per strongly connected component of the import edges.

        Each is reported as one closed path through the component (first module repeated
        at the end); a component holding several cycles lists all its modules on the way.
        """
        edges = self.edges()
        return sorted(_closed_walk(sorted(comp), edges) for comp in _components(edges))

    def cycle_edges(self) -> set[tuple[str, str]]:
        """The import edges that lie on a cycle (both ends in one strongly connected component)."""
        edges = self.edges()
        return {(a, b) for comp in _components(edges) for a in comp for b in edges[a] if b in comp}


def _import_nodes(tree: ast.AST) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement of a module, and whether it runs only when a function is called."""
    todo: list[tuple[ast.AST, bool]] = [(tree, False)]
    while todo:
        node, deferred = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, deferred
        inner = deferred or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        todo.extend((child, inner) for child in ast.iter_child_nodes(node))


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
