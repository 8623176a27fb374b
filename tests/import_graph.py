"""The import graph of Tandem's own modules, read from the source with ``ast`` (nothing is imported).

Used by ``tests/test_architecture.py`` to keep ARCHITECTURE.md true. A module is named by its
dotted path (``quant.models.dispatch``, ``cli``); an edge ``a -> b`` is one ``import b`` or
``from b import x`` (absolute; Tandem has no relative imports) found anywhere in ``a``, marked
``top`` when it runs at import time (module level, outside functions and ``if TYPE_CHECKING``).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("applog", "assist", "coding", "commands", "corpus", "data", "i18n", "mixed", "quant", "report",
            "store", "team", "templates", "ui")
MODULES = ("cli", "lazy_exports", "workbench")


@dataclass(frozen=True)
class Edge:
    """One import: ``source`` imports ``target`` (a Tandem module) at ``line``; ``top`` when it
    runs at import time; ``names`` are the names taken by a ``from`` import."""

    source: str
    target: str
    line: int
    top: bool
    names: tuple[str, ...] = ()


@dataclass
class Graph:
    """Modules (dotted name -> file) and the edges between them."""

    files: dict[str, Path] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    external: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # module -> its outside imports

    def component(self, module: str) -> str:
        """The first part of a dotted name (``quant.models.glm`` -> ``quant``)."""
        return module.split(".")[0]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(graph_files: dict[str, Path], name: str) -> str | None:
    """The longest known module that ``name`` starts with (``quant.models.fit`` -> ``quant.models``)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in graph_files:
            return candidate
        parts.pop()
    return None


class _Visitor(ast.NodeVisitor):
    def __init__(self, source: str, files: dict[str, Path]):
        self.source, self.files = source, files
        self.depth = 0  # inside a function or an `if TYPE_CHECKING:` block
        self.edges: list[Edge] = []
        self.external: list[tuple[str, int]] = []  # (module, line) of every non-Tandem import

    def _add(self, target: str, line: int, names: tuple[str, ...] = ()) -> None:
        resolved = _resolve(self.files, target)
        if resolved is not None and resolved != self.source:
            self.edges.append(Edge(self.source, resolved, line, self.depth == 0, names))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] in self.files:
                self._add(alias.name, node.lineno)
            else:
                self.external.append((alias.name, node.lineno))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            raise AssertionError(f"{self.source}:{node.lineno}: relative import (Tandem uses absolute imports)")
        names = tuple(a.name for a in node.names)
        if node.module.split(".")[0] not in self.files:
            self.external.append((node.module, node.lineno))
            return
        for name in names:  # `from quant.models import glm` imports the submodule quant.models.glm
            sub = f"{node.module}.{name}"
            if sub in self.files:
                self._add(sub, node.lineno, (name,))
        rest = tuple(n for n in names if f"{node.module}.{n}" not in self.files)
        if rest:
            self._add(node.module, node.lineno, rest)

    def _nested(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _nested

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
                isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"):
            self._nested(node)
        else:
            self.generic_visit(node)


def build() -> Graph:
    """Parse every Tandem module under ``ROOT`` (packages in ``PACKAGES``, modules in ``MODULES``)."""
    graph = Graph()
    paths = [ROOT / f"{m}.py" for m in MODULES]
    for package in PACKAGES:
        paths += sorted((ROOT / package).rglob("*.py"))
    for path in paths:
        graph.files[_module_name(path)] = path
    for name, path in graph.files.items():
        visitor = _Visitor(name, graph.files)
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        graph.edges += visitor.edges
        graph.external[name] = visitor.external
    return graph


def cycles(nodes: set[str], edges: list[tuple[str, str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan 1972), each sorted."""
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        if a in succ and b in succ:
            succ[a].append(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(succ[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(succ[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found
