"""No two modules of the package import each other, directly or round a loop: every import
statement counts, at module level, under TYPE_CHECKING or inside a function (a deferred
import that only hides a loop is still a loop)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: the folders setup.py assembles the package from (its package_dir mapping)
FOLDERS = {
    "intakeflow": ROOT / "src" / "intakeflow",
    "intakeflow.provider": ROOT / "operators",
    "intakeflow.plugins": ROOT / "plugins",
}


def module_name(package: str, folder: Path, path: Path) -> str:
    rel = path.relative_to(folder).with_suffix("")
    return ".".join([package, *(rel.parts[:-1] if rel.name == "__init__" else rel.parts)])


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(pkg, folder, p): p for pkg, folder in FOLDERS.items() for p in folder.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                for alias in node.names:
                    # `from pkg import submodule` depends on the submodule, `from pkg import name` on pkg
                    target = f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    if target in modules:
                        targets.add(target)
        graph[name] = targets - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_cycle_finder_sees_deferred_imports() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph()
    assert graph.get("intakeflow.cli") and graph.get("intakeflow.provider.operators.process")
    assert "intakeflow.plugins.monitoring.app" in graph["intakeflow.plugins.plugin"]
    assert cycles(graph) == []
