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
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

__all__ = ["unmarked", "ELEMENTS"]

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


if __name__ == "__main__":  # pragma: no cover
    import sys

    for f in sys.argv[1:]:
        for line, text in unmarked(f):
            print(f"{f}:{line}: {text[:80]!r}")
