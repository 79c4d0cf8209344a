"""The package's structure: imports between its modules go one way (no import cycle).

The graph is read from the source with `ast`, without importing anything (fast, and the same
under every backend): every ``import singan_keras...`` and ``from ... import ...`` of a
module, at module level and inside functions (a lazy import still closes a cycle, it only
hides it until the function runs). Imports under ``if TYPE_CHECKING:`` never run and are left
out. An edge goes to the module named; ``from package import name`` goes to the submodule
``package.name`` when there is one. (Python also runs the packages above a module first;
those implicit imports are not edges.)
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE_DIR = Path(__file__).parent.parent / "singan_keras"
PACKAGE = PACKAGE_DIR.name


def module_names(package_dir: Path) -> dict[str, Path]:
    """Dotted name of every module of the package -> its file."""
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = [package_dir.name, *path.relative_to(package_dir).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _runtime_nodes(tree: ast.AST):
    """Every node of `tree` except the bodies of ``if TYPE_CHECKING:`` blocks."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _existing(name: str, modules: dict[str, Path]) -> str | None:
    """`name` if it is a module of the package, else its longest prefix that is."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def imports_of(module: str, modules: dict[str, Path]) -> set[str]:
    """The package's modules that `module` imports (at module level or in functions)."""
    path = modules[module]
    is_package = path.name == "__init__.py"
    found = set()
    for node in _runtime_nodes(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(_existing(alias.name, modules))
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the module's package, one level up per extra dot
                base_parts = module.split(".") if is_package else module.split(".")[:-1]
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules else _existing(base, modules))
    found.discard(None)
    found.discard(module)
    return found


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    modules = module_names(package_dir)
    return {module: imports_of(module, modules) for module in modules}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of a directed graph as [a, b, ..., a], or None (depth-first search)."""
    visiting, done = [], set()

    def visit(node):
        visiting.append(node)
        for target in sorted(graph.get(node, ())):
            if target in visiting:
                return [*visiting[visiting.index(target) :], target]
            if target not in done:
                cycle = visit(target)
                if cycle:
                    return cycle
        visiting.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def test_the_package_has_no_import_cycle():
    graph = import_graph(PACKAGE_DIR)
    assert f"{PACKAGE}.singan" in graph and f"{PACKAGE}.training" in graph  # scanned
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_training_layers_import_one_way():
    """checkpoint (files) <- training (trained scales) <- singan (the facade)."""
    graph = import_graph(PACKAGE_DIR)
    assert f"{PACKAGE}.training" in graph[f"{PACKAGE}.singan"]
    assert f"{PACKAGE}.checkpoint" in graph[f"{PACKAGE}.singan"]
    assert f"{PACKAGE}.singan" not in graph[f"{PACKAGE}.training"]
    assert f"{PACKAGE}.checkpoint" not in graph[f"{PACKAGE}.training"]  # no file I/O there
    assert not {f"{PACKAGE}.training", f"{PACKAGE}.singan"} & graph[f"{PACKAGE}.checkpoint"]


def test_find_cycle_finds_cycles_and_only_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None  # a diamond
    assert find_cycle({"a": {"a"}}) == ["a", "a"]


def test_the_graph_sees_every_kind_of_import(tmp_path):
    """A small package whose modules import each other in every way the scan must see."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    sources = {
        "__init__.py": "VERSION = 1\n",
        "a.py": "from pkg import b\nfrom pkg.sub import c\n",
        "b.py": "def later():\n    from . import a  # lazy, relative\n",
        "sub/__init__.py": "",
        "sub/c.py": "from ..b import later\nimport pkg.sub.d as d\nfrom pkg import VERSION\n",
        "sub/d.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n"
        ),
    }
    for name, text in sources.items():
        (package / name).write_text(text)
    graph = import_graph(package)
    assert graph == {
        "pkg": set(),
        "pkg.a": {"pkg.b", "pkg.sub.c"},
        "pkg.b": {"pkg.a"},
        "pkg.sub": set(),
        "pkg.sub.c": {"pkg.b", "pkg.sub.d", "pkg"},
        "pkg.sub.d": set(),
    }
    assert find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.a"]
