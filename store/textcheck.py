"""Characters no project database stores, refused the same way on SQLite and PostgreSQL.

PostgreSQL's ``text`` cannot hold U+0000 (NUL), and no driver can encode an unpaired
surrogate (U+D800..U+DFFF) as UTF-8; SQLite would keep a NUL and refuse a surrogate with
a raw ``UnicodeEncodeError``. So that a project behaves the same on both backends,
every string bound to a statement is checked before it is sent
(:func:`before_cursor_execute`, an engine event), and so is every string inside a JSON
value (:func:`json_serializer`, the engine's JSON serialiser): such a text raises
:class:`store.TextError` with one sentence naming the column and the position (code
points), and nothing of the statement is written.

Imported documents never get here with such characters: ``corpus.normalise`` replaces
each one by U+FFFD at import (one code point for one, so offsets are unchanged).
"""
from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from i18n import _
from store.errors import TextError

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""One character no project database stores: NUL or an unpaired (lone) surrogate."""

_SUFFIX = re.compile(r"(_\d+)?(__\d+)?$")


def _char_name(ch: str) -> str:
    if ch == "\x00":
        return _("a NUL character (U+0000)")
    return _("an unpaired surrogate (U+{code})").format(code=f"{ord(ch):04X}")


def _preview(text: str, pos: int) -> str:
    """Up to 20 code points around ``pos``, the bad characters shown as escapes."""
    piece = text[max(0, pos - 12):pos + 8]
    shown = UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", piece)
    shown = "".join(c if unicodedata.category(c)[0] != "C" or c in "\\" else f"\\u{ord(c):04x}" for c in shown)
    return ("…" if pos > 12 else "") + shown + ("…" if pos + 8 < len(text) else "")


def check_text(value: str, what: str) -> None:
    """Refuse a string holding NUL or an unpaired surrogate.

    Parameters
    ----------
    value : str
    what : str
        Names the value in the message, e.g. ``"codes.name"``.

    Raises
    ------
    TextError
        ``"The text for codes.name ('Trust\\u0000…') holds a NUL character (U+0000) at code
        point 5, which a project cannot store; remove it."``
    """
    found = UNSTORABLE.search(value)
    if found is not None:
        pos = found.start()
        raise TextError(_("The text for {what} ('{preview}') holds {char_name} at code point {pos}, which a project "
                          "cannot store; remove it.").format(
                          what=what, preview=_preview(value, pos), char_name=_char_name(found.group()), pos=pos))


def check_json(value: Any, what: str) -> None:
    """:func:`check_text` on every string (keys too) inside a JSON-like value."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            check_text(item, what)
        elif isinstance(item, dict):
            for key, val in item.items():
                if isinstance(key, str):
                    check_text(key, what)
                stack.append(val)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def json_serializer(value: Any) -> str:
    """The engines' JSON serialiser: :func:`check_json`, then ``json.dumps`` (as SQLAlchemy's default)."""
    check_json(value, _("a JSON value"))
    return json.dumps(value)


def _where(context: Any, key: Any) -> str:
    """``table.column`` (or ``column``) for a bound parameter, as far as the statement says."""
    compiled = getattr(context, "compiled", None)
    name = None
    if isinstance(key, str):
        name = key
    elif compiled is not None and isinstance(key, int):
        names = getattr(compiled, "positiontup", None) or []
        name = names[key] if key < len(names) else None
    if name is None:
        return _("a value of the statement")
    name = _SUFFIX.sub("", name)
    table = getattr(getattr(compiled, "statement", None), "table", None)
    table_name = getattr(table, "name", None)
    return f"{table_name}.{name}" if table_name else name


def _check_params(params: Any, context: Any) -> None:
    if isinstance(params, dict):
        for key, value in params.items():
            if isinstance(value, str) and UNSTORABLE.search(value):
                check_text(value, _where(context, key))
    elif isinstance(params, (list, tuple)):
        for i, value in enumerate(params):
            if isinstance(value, str) and UNSTORABLE.search(value):
                check_text(value, _where(context, i))


def handle_error(context) -> BaseException | None:
    """Engine event: a :class:`TextError` from the JSON serialiser is raised as itself, not wrapped
    in SQLAlchemy's ``StatementError`` (whose text would quote the statement and its parameters)."""
    original = context.original_exception
    return original if isinstance(original, TextError) else None


def before_cursor_execute(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ARG001
    """Engine event: refuse any bound string that holds NUL or an unpaired surrogate (:class:`TextError`)."""
    if not parameters:
        return
    if executemany:
        for params in parameters:
            _check_params(params, context)
    else:
        _check_params(parameters, context)
