"""No import cycles in the tfcompress package (imports inside functions included).

The graph comes from :mod:`tfcompress.importgraph` (``ast``, nothing imported); its
own rules are pinned down on a small synthetic package below.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tfcompress.importgraph import ImportGraph, package_graph


def test_no_import_cycles():
    graph = package_graph()
    cycles = graph.cycles()
    assert not cycles, "import cycles:\n" + "\n".join("  " + " -> ".join(c) for c in cycles)


def test_no_test_module_imports_another():
    """Shared test code lives in packages (tests/helpers/, tests/corpus/); a test module's helpers are
    its own, no test module imports another."""
    tests = Path(__file__).parent
    bad = []
    for path in sorted(tests.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            bad += [f"{path.name}:{node.lineno} imports {n}" for n in names
                    if any(part.startswith("test_") for part in n.split("."))]
    assert not bad, "\n".join(bad)


def test_graph_sees_every_module():
    graph = package_graph()
    assert "tfcompress" in graph.files and "tfcompress.models.registry" in graph.files
    assert "tfcompress.engine" in graph.files  # a package's __init__ is the module itself
    assert "tfcompress.errors" in graph.imports["tfcompress.recipe"]


# --------------------------------------------------------------- rules, on a toy package


def _package(tmp_path: Path, files: dict[str, str]) -> ImportGraph:
    root = tmp_path / "pkg"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return ImportGraph.build(root, "pkg")


def test_function_level_import_is_an_edge(tmp_path):
    g = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "from pkg.b import f\n",
        "b.py": "def f():\n    from pkg.a import g\n    return g\n",
    })
    assert g.cycles() == [["pkg.a", "pkg.b", "pkg.a"]]


def test_relative_and_submodule_imports(tmp_path):
    g = _package(tmp_path, {
        "__init__.py": "",
        "x/__init__.py": "from . import m\nVALUE = 1\n",
        "x/m.py": "from .n import thing\nfrom .. import z\n",
        "x/n.py": "from pkg.x import VALUE\nthing = VALUE\n",
        "y.py": "import pkg.x.n as nn\n",
        "z.py": "",
    })
    assert g.imports["pkg.x"] == {"pkg.x.m"}  # `from . import m`: the submodule
    assert g.imports["pkg.x.m"] == {"pkg.x.n", "pkg.z"}
    assert g.imports["pkg.x.n"] == {"pkg.x"}  # `from pkg.x import VALUE`: the package __init__
    assert g.imports["pkg.y"] == {"pkg.x.n"}
    assert g.edges()["pkg.y"] == {"pkg.x.n", "pkg.x"}  # importing pkg.x.n runs pkg/x/__init__ first
    assert g.edges()["pkg.x.m"] == {"pkg.x.n", "pkg.z"}  # its own package is no edge
    assert g.cycles() == [["pkg.x", "pkg.x.m", "pkg.x.n", "pkg.x"]]


def test_cycle_through_a_package_init(tmp_path):
    # importing pkg.run first: pkg.run -> pkg.steps.x runs pkg/steps/__init__, which imports
    # pkg.run while it is half-initialised
    g = _package(tmp_path, {
        "__init__.py": "",
        "run.py": "def go():\n    from pkg.steps.x import X\n    return X\n",
        "steps/__init__.py": "from pkg.run import go\n",
        "steps/x.py": "X = 1\n",
    })
    assert g.cycles() == [["pkg.run", "pkg.steps", "pkg.run"]]


def test_string_imports_are_plugins_not_edges(tmp_path):
    g = _package(tmp_path, {
        "__init__.py": "",
        "registry.py": 'import importlib\nSOURCES = {"a": "pkg.plug:load"}\n'
                       'def load(name):\n    return importlib.import_module("pkg.other")\n',
        "plug.py": "from pkg.registry import SOURCES\n",
        "other.py": "",
    })
    assert g.cycles() == []
    assert g.plugins["pkg.registry"] == {"pkg.plug", "pkg.other"}
    assert g.reachable(["pkg.registry"]) == {"pkg", "pkg.registry", "pkg.plug", "pkg.other"}


def test_a_tangle_is_listed_as_one_walk_through_all_its_modules(tmp_path):
    g = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "import pkg.b\n",
        "b.py": "import pkg.a\nimport pkg.c\n",
        "c.py": "import pkg.b\n",
        "d.py": "import pkg.a\n",
    })
    assert g.cycles() == [["pkg.a", "pkg.b", "pkg.c", "pkg.b", "pkg.a"]]
    assert g.cycle_edges() == {("pkg.a", "pkg.b"), ("pkg.b", "pkg.a"), ("pkg.b", "pkg.c"), ("pkg.c", "pkg.b")}


def test_reachable_runs_a_package_init_on_the_way_at_module_level_only(tmp_path):
    g = _package(tmp_path, {
        "__init__.py": "",
        "step.py": "def go():\n    from pkg.lib.core import f\n    return f\n",
        "lib/__init__.py": "from pkg.lib.table import T\n\ndef helper():\n    from pkg.heavy import h\n",
        "lib/core.py": "def f():\n    pass\n",
        "lib/table.py": 'T = {"x": "pkg.plugin"}\n',
        "heavy.py": "",
        "plugin.py": "",
    })
    assert g.reachable(["pkg.step"]) == {"pkg", "pkg.step", "pkg.lib", "pkg.lib.core", "pkg.lib.table"}
    assert g.reachable(["pkg.lib"]) == {"pkg", "pkg.lib", "pkg.lib.table", "pkg.heavy", "pkg.plugin"}
