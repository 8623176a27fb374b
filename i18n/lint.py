"""Find user-facing strings that are not marked for translation in a Streamlit page.

A string is user-facing when it is (part of) the label, help, placeholder, caption, message or
option text of a Streamlit element: the first positional argument, or a ``label``, ``help``,
``placeholder``, ``caption``, ``body``, ``value`` or ``title`` keyword, of a call to a method named
like a Streamlit element (``st.button(...)``, ``col.caption(...)``, ``tab.warning(...)``), and the
tab names of ``st.tabs([...])``. It is marked when it sits inside ``_()``, ``ngettext()`` or
``N_()``. Literals without a Latin letter (``"**{x}**"``, ``"—"``, icons ``":material/…:"``) and
keys (``key=``) are not user-facing; a call whose line ends with the comment ``# i18n: data`` shows
stored data (the default coder name "researcher") and is skipped. ``python -m i18n.lint FILE...``
prints what it finds.

Library mode (``unmarked_library``; ``python -m i18n.lint --library PATH...``, folders searched for
``*.py``) finds the messages a library raises or reports: a literal with a Latin word that is (part
of) the first argument of ``raise <Name>Error(...)`` / ``raise <Name>Exception(...)``, of a call
``<Name>Warning(...)``, of ``<...>warnings.append(...)`` (also ``report["warnings"].append(...)``) and of ``warn(...)`` / ``<...>.warn(...)``. Programmer errors
the user never reads (``TypeError``, ``AssertionError``, ``KeyError``, ``IndexError``,
``AttributeError``, ``NotImplementedError``, ``LookupError``, ``StopIteration``) are left out. A
literal is fine inside ``_()``/``N_()``/``ngettext()``/``pgettext()``, and a call is skipped when its
first or last line (or the literal's line) ends with ``# i18n: data`` (the text is data, e.g. a
stored name) or ``# i18n: internal`` (a message for programmers only).

Both modes exit with status 1 when they print anything.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

__all__ = ["unmarked", "unmarked_library", "ELEMENTS", "INTERNAL_ERRORS"]

ELEMENTS = frozenset({
    "button", "download_button", "form_submit_button", "link_button", "page_link", "checkbox", "toggle",
    "radio", "selectbox", "multiselect", "select_slider", "slider", "text_input", "text_area",
    "number_input", "date_input", "time_input", "file_uploader", "color_picker", "pills", "segmented_control",
    "caption", "markdown", "write", "text", "info", "warning", "error", "success", "toast", "exception",
    "header", "subheader", "title", "expander", "popover", "tabs", "metric", "status", "spinner",
    "progress", "form", "dialog", "chat_input", "feedback", "html",
    "TextColumn", "NumberColumn", "CheckboxColumn", "SelectboxColumn", "DatetimeColumn", "DateColumn",
    "LinkColumn", "ListColumn", "ProgressColumn", "Column", "BarChartColumn", "LineChartColumn",
})
_KEYWORDS = frozenset({"label", "help", "placeholder", "caption", "body", "value", "title", "text"})
_MARKERS = frozenset({"_", "ngettext", "N_", "pgettext"})
_ICON = re.compile(r"^:[a-z_]+/[a-z_0-9]+:$")
_LETTER = re.compile(r"[A-Za-z]{2,}")


def _name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _strings(node: ast.AST):
    """String literals that would reach the reader through ``node`` (not inside a marker call,
    and not the format string of an f-string's expression)."""
    if isinstance(node, ast.Call) and _name(node.func) in _MARKERS:
        return
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        yield from _strings(node.func.value)
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node, node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
        yield node, text
    elif isinstance(node, ast.BinOp):
        yield from _strings(node.left)
        yield from _strings(node.right)
    elif isinstance(node, ast.IfExp):
        yield from _strings(node.body)
        yield from _strings(node.orelse)
    elif isinstance(node, (ast.List, ast.Tuple)):
        for elt in node.elts:
            yield from _strings(elt)


def unmarked(path: str | Path) -> list[tuple[int, str]]:
    """``(line, text)`` of every user-facing literal in ``path`` that is not marked for translation."""
    source = Path(path).read_text(encoding="utf-8")
    data_lines = {k for k, line in enumerate(source.splitlines(), start=1) if line.rstrip().endswith("# i18n: data")}
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or _name(node.func) not in ELEMENTS:
            continue
        args = list(node.args[:1]) + [k.value for k in node.keywords if k.arg in _KEYWORDS]
        if _name(node.func) in ("tabs", "radio", "selectbox", "multiselect", "pills", "segmented_control"):
            args += list(node.args[1:2]) + [k.value for k in node.keywords if k.arg == "options"]
        for arg in args:
            for lit, text in _strings(arg):
                if _LETTER.search(text) and not _ICON.match(text.strip()) and lit.lineno not in data_lines:
                    found.append((lit.lineno, text))
    return sorted(set(found))


#: Exceptions for programmers (a bug, a wrong argument type): their messages stay English.
INTERNAL_ERRORS = frozenset({"TypeError", "AssertionError", "KeyError", "IndexError", "AttributeError",
                             "NotImplementedError", "LookupError", "StopIteration", "RecursionError"})
_SKIP_COMMENTS = ("# i18n: data", "# i18n: internal")


def _library_message(node: ast.AST, raised: set[int]) -> ast.AST | None:
    """The first argument of a call whose text reaches the user as a library message, else None."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    name = _name(node.func)
    if name is None:
        return None
    if id(node) in raised and (name.endswith("Error") or name.endswith("Exception")) and name not in INTERNAL_ERRORS:
        return node.args[0]
    if name.endswith("Warning") and name not in INTERNAL_ERRORS:
        return node.args[0]
    if name == "warn":  # warnings.warn(...), log.warn(...), warn(...) imported from warnings
        return node.args[0]
    if isinstance(node.func, ast.Attribute):
        owner = node.func.value
        if isinstance(owner, ast.Subscript) and isinstance(owner.slice, ast.Constant):  # report["warnings"]
            owner_name = str(owner.slice.value)
        else:
            owner_name = _name(owner) or ""
        if node.func.attr == "append" and owner_name.lower().endswith("warnings"):
            return node.args[0]
    return None


def unmarked_library(path: str | Path) -> list[tuple[int, str]]:
    """``(line, text)`` of every unmarked literal in an error, warning or report-warning message of the
    library module ``path`` (see the module docstring for what counts). Raises SyntaxError for a file
    Python cannot parse."""
    source = Path(path).read_text(encoding="utf-8")
    skip = {k for k, line in enumerate(source.splitlines(), start=1) if line.rstrip().endswith(_SKIP_COMMENTS)}
    tree = ast.parse(source)
    raised = {id(n.exc) for n in ast.walk(tree) if isinstance(n, ast.Raise) and isinstance(n.exc, ast.Call)}
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        arg = _library_message(node, raised)
        if arg is None or node.lineno in skip or (node.end_lineno or node.lineno) in skip:
            continue
        for lit, text in _strings(arg):
            if _LETTER.search(text) and lit.lineno not in skip:
                found.append((lit.lineno, text))
    return sorted(set(found))


def _files(paths):
    for p in map(Path, paths):
        if p.is_dir():
            yield from sorted(q for q in p.rglob("*.py") if "__pycache__" not in q.parts)
        else:
            yield p


def main(argv: list[str]) -> int:
    """Print ``file:line: text`` for each unmarked string; 1 when anything was printed."""
    check = unmarked
    if argv and argv[0] == "--library":
        check, argv = unmarked_library, argv[1:]
    bad = 0
    for f in _files(argv):
        for line, text in check(f):
            print(f"{f}:{line}: {text[:80]!r}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.exit(main(sys.argv[1:]))
