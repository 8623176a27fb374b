"""ARCHITECTURE.md kept true: the layers, no cycles, Streamlit only in the UI, small modules,
private names kept private, and every package the document names exists (and the reverse).

The graph is read from the source (``tests/import_graph.py``), imports inside functions included:
a lazy import is still a dependency.
"""
from __future__ import annotations

import ast
import re
from collections import defaultdict

import pytest

import import_graph as ig

#: Components from the bottom up; a component imports only components of lower layers. Components
#: in one layer do not import each other.
LAYERS = (
    ("i18n", "lazy_exports", "templates"),
    ("applog",),
    ("store",),
    ("corpus",),
    ("coding", "team"),
    ("quant",),
    ("mixed", "assist"),
    ("report",),
    ("data",),
    ("commands",),
    ("cli", "ui"),
    ("workbench",),
)
LAYER = {component: i for i, layer in enumerate(LAYERS) for component in layer}

#: quant's sub-packages from the bottom up (errors and blas beneath them all).
QUANT_ORDER = ("quant.errors", "quant.blas", "quant.data", "quant.formula", "quant.covariance", "quant.models",
               "quant.inference", "quant.runs", "quant.cases")

MAX_LINES = 400
#: Modules allowed over MAX_LINES, each with its reason.
LONG_MODULES = {
    "store/models.py": "the schema: one class per table, kept together so that a reader sees every table "
                       "and foreign key in one place (the assist and directed tables have their own modules)",
    "quant/data/project.py": "the one module of quant that writes and reads cities and dyads in the store: both "
                             "share the chunked IN clauses, text limits and id checks, and every caller reaches "
                             "them under one name (qdata)",
    "quant/formula/guard.py": "the formula allowlist is one security boundary (what patsy may evaluate): its "
                              "checker is kept in one file so that it is reviewed whole",
    "ui/state.py": "the session's one gateway: project and engine, the role guard and the safe calls every page "
                   "goes through call one another (db() applies the role guard, write() requires a role, "
                   "refresh_auth() opens the engine), so splitting them would make a cycle",
}

#: A package name that is also one of its modules, allowed (package, name) -> reason.
SHADOWS = {
    ("corpus", "segment"): "corpus.segment() is the one entry point of corpus/segment.py, public API since 0.1; "
                           "Tandem imports the module by path (from corpus.segment import ...)",
    ("coding", "documents"): "coding.documents() lists the project's documents (coding/codings.py), public API since "
                             "0.1; the module coding/documents.py is imported by path",
    ("coding.agreement", "coefficients"): "coefficients() is the module's one entry point; the module is imported "
                                          "by path",
}

#: `from module import _name` across modules allowed in production code, each with its reason.
PRIVATE_IMPORTS: dict[tuple[str, str], str] = {}

GRAPH = ig.build()


def _unit(module: str) -> str:
    """The unit a cycle is looked for between: a sub-package (``coding.history``) or a flat module."""
    parts = module.split(".")
    if len(parts) >= 3 or (len(parts) == 2 and (ig.ROOT / parts[0] / parts[1]).is_dir()):
        return ".".join(parts[:2])
    return module


def _quant_rank(module: str) -> int | None:
    for i, prefix in enumerate(QUANT_ORDER):
        if module == prefix or module.startswith(prefix + "."):
            return i
    return None


def _where(edge: ig.Edge) -> str:
    return f"{GRAPH.files[edge.source].relative_to(ig.ROOT)}:{edge.line} imports {edge.target}"


def test_every_module_belongs_to_a_layer():
    assert {GRAPH.component(m) for m in GRAPH.files} <= set(LAYER), \
        "a new top-level package needs its place in LAYERS and in ARCHITECTURE.md"


def test_imports_go_down_the_layers_only():
    wrong = [_where(e) for e in GRAPH.edges
             if GRAPH.component(e.source) != GRAPH.component(e.target)
             and LAYER[GRAPH.component(e.target)] >= LAYER[GRAPH.component(e.source)]]
    assert not wrong, "upward or sideways imports:\n" + "\n".join(wrong)


def test_quant_sub_packages_import_downwards_only():
    wrong = []
    for e in GRAPH.edges:
        a, b = _quant_rank(e.source), _quant_rank(e.target)
        if a is not None and b is not None and b > a:
            wrong.append(_where(e))
    assert not wrong, "quant sub-package imports against QUANT_ORDER:\n" + "\n".join(wrong)


def test_no_cycles_between_units_of_a_package():
    edges = [(_unit(e.source), _unit(e.target)) for e in GRAPH.edges
             if not e.target.startswith(e.source + ".")  # a package's __init__ re-exporting its own modules
             and GRAPH.component(e.source) == GRAPH.component(e.target)]
    found = ig.cycles({_unit(m) for m in GRAPH.files}, [(a, b) for a, b in edges if a != b])
    detail = []
    for cycle in found:
        members = set(cycle)
        detail += [_where(e) for e in GRAPH.edges if _unit(e.source) in members and _unit(e.target) in members
                   and _unit(e.source) != _unit(e.target) and not e.target.startswith(e.source + ".")]
    assert not found, f"import cycles {found}:\n" + "\n".join(detail)


def test_no_module_level_cycles_between_modules():
    edges = [(e.source, e.target) for e in GRAPH.edges if e.top and not e.target.startswith(e.source + ".")]
    assert not ig.cycles(set(GRAPH.files), edges)


def _defined_in(module: str) -> set[str]:
    """Names a module defines itself (functions, classes, assignments at module level)."""
    tree = ast.parse(GRAPH.files[module].read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def test_modules_import_names_from_their_defining_module_not_from_their_own_package():
    """``from coding import CodingError`` inside ``coding/`` runs the package's re-exports first
    (a cycle in waiting); names a package's ``__init__`` defines itself (``i18n``) are fine."""
    wrong = [_where(e) + f" ({', '.join(e.names)})" for e in GRAPH.edges
             if e.names and e.source.startswith(e.target + ".") and not set(e.names) <= _defined_in(e.target)]
    assert not wrong, "import these from the module that defines them:\n" + "\n".join(wrong)


def _bound_in_init(path) -> dict[str, str]:
    """Names a package's ``__init__`` binds -> what binds them: imports (``from x import name``),
    definitions, assignments, and the keys of a lazy re-export table (``_NAMES``/``_LAZY``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bound = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                bound[alias.asname or alias.name] = f"from {node.module} import {alias.name}"
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound[node.name] = "def"
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in ("_NAMES", "_LAZY") and isinstance(node.value, ast.Dict):
                    for key, value in zip(node.value.keys, node.value.values):
                        bound[ast.literal_eval(key)] = f"lazy from {ast.literal_eval(value)}"
                elif isinstance(target, ast.Name):
                    bound[target.id] = "assignment"
    return bound


def test_no_package_name_shadows_its_own_sub_module():
    """``report/__init__`` binding the function ``render`` hid the module ``report.render``:
    ``import report.render; report.render.TEMPLATES`` failed. A package's names and its modules'
    names stay apart (unless the name is that very module)."""
    wrong = []
    for module, path in GRAPH.files.items():
        if path.name != "__init__.py":
            continue
        children = {p.stem for p in path.parent.glob("*.py")} | {p.name for p in path.parent.iterdir()
                                                                 if (p / "__init__.py").is_file()}
        for name, how in _bound_in_init(path).items():
            if (name in children - {"__init__"} and how != f"from {module} import {name}"
                    and (module, name) not in SHADOWS):
                wrong.append(f"{path.relative_to(ig.ROOT)}: {name} ({how}) hides the module {module}.{name}")
    assert not wrong, "\n".join(wrong)


def test_streamlit_only_in_the_ui():
    wrong = [f"{GRAPH.files[m].relative_to(ig.ROOT)}:{line}"
             for m, imports in GRAPH.external.items() for name, line in imports
             if name.split(".")[0] == "streamlit" and GRAPH.component(m) not in ("ui", "workbench")]
    assert not wrong, "streamlit imported outside ui/ and workbench.py: " + ", ".join(wrong)


def test_modules_stay_small_or_say_why():
    long = {}
    for module, path in GRAPH.files.items():
        rel = path.relative_to(ig.ROOT).as_posix()
        if "/migrations/versions/" in rel:
            continue  # a migration is a record of one schema change, never edited
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES:
            long[rel] = n
    unexplained = {p: n for p, n in long.items() if p not in LONG_MODULES}
    assert not unexplained, f"modules over {MAX_LINES} lines with no reason in LONG_MODULES: {unexplained}"
    stale = set(LONG_MODULES) - set(long)
    assert not stale, f"LONG_MODULES entries no longer needed: {stale}"


def test_private_names_stay_in_their_module():
    found = defaultdict(list)
    for e in GRAPH.edges:
        private = [n for n in e.names if n.startswith("_") and not n.startswith("__") and n != "_"]
        for name in private:
            if (e.target, name) not in PRIVATE_IMPORTS:
                found[e.source].append(f"{_where(e)}: {name}")
    assert not found, "private names imported across modules:\n" + "\n".join(x for v in found.values() for x in v)


DOC = (ig.ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")


def _packages() -> set[str]:
    """Every package and sub-package folder (``quant/models/``), migrations and demo data aside."""
    out = set()
    for module, path in GRAPH.files.items():
        if path.name == "__init__.py" and "migrations" not in path.parts:
            out.add(path.parent.relative_to(ig.ROOT).as_posix() + "/")
    return out


def test_architecture_md_names_every_package():
    missing = sorted(p for p in _packages() if f"`{p}`" not in DOC)
    assert not missing, f"ARCHITECTURE.md does not describe: {missing}"


def test_every_path_architecture_md_names_exists():
    named = set(re.findall(r"`((?:[a-z_]+/)+(?:[a-z_0-9]+\.(?:py|md|js|css|j2|toml))?)`", DOC))
    assert named, "ARCHITECTURE.md names no paths in backquotes"
    missing = sorted(p for p in named if not (ig.ROOT / p).exists())
    assert not missing, f"ARCHITECTURE.md names paths that do not exist: {missing}"


@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: "+".join(layer))
def test_architecture_md_states_the_layers(layer):
    for component in layer:
        name = f"`{component}.py`" if (ig.ROOT / f"{component}.py").exists() else f"`{component}/`"
        assert name in DOC, f"ARCHITECTURE.md does not place {name} in the layers"
