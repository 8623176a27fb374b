"""Input checks shared by the coding modules: ids, names, coders, and row look-ups.

Each check raises :class:`coding.errors.CodingError` with one sentence naming the value.
Nothing here writes.
"""
from __future__ import annotations

import operator
import unicodedata
from typing import Any, Iterable, TypeVar

from sqlalchemy.orm import Session

from i18n import N_, _
import store
from coding.errors import CodingError

MAX_CODER = 100

T = TypeVar("T")

#: The names callers give ids and rows (``what``/``noun`` below), marked so the messages read in
#: the interface language; a name not listed shows as given.
_NAMES = (N_("Code"), N_("Code id"), N_("Code ids"), N_("Document"), N_("Document id"), N_("Document ids"),
          N_("Coding"), N_("Coding id"), N_("Coding ids"), N_("Memo"), N_("Memo id"), N_("Link"), N_("Dyad"),
          N_("Dyad id"), N_("Suggestion"), N_("Rule id"), N_("Rule ids"), N_("Auto-coding rule"), N_("City code"))


def as_id(value: Any, what: str) -> int:
    """``value`` as an int id (numpy ints accepted; bools, floats and strings refused)."""
    if isinstance(value, bool):
        raise CodingError(_("{what} must be an integer id, got {value!r}.").format(what=_(what), value=value))
    try:
        return operator.index(value)
    except TypeError:
        raise CodingError(_("{what} must be an integer id, got {value!r}.").format(what=_(what), value=value)) from None


def as_ids(values: Any, what: str) -> list[int]:
    """One id or an iterable of ids as a list without duplicates, order kept."""
    if isinstance(values, (str, bytes)):
        raise CodingError(_("{what} must be integer ids, got {values!r}.").format(what=_(what), values=values))
    try:
        items: Iterable[Any] = [values] if not hasattr(values, "__iter__") else list(values)
    except TypeError:
        raise CodingError(_("{what} must be integer ids, got {values!r}.").format(what=_(what), values=values)) from None
    out: list[int] = []
    for item in items:
        i = as_id(item, what)
        if i not in out:
            out.append(i)
    if not out:
        raise CodingError(_("{what} is empty; give at least one id.").format(what=_(what)))
    return out


def as_text(value: Any, what: str) -> str:
    """A string field (memo, definition, ...) in NFC; ``None`` is refused."""
    if not isinstance(value, str):
        raise CodingError(_("{what} must be a string, got {value!r}.").format(what=_(what), value=value))
    return unicodedata.normalize("NFC", value)


def as_coder(value: Any) -> str:
    """A coder or author id: a non-empty string of at most 100 characters in the canonical
    form of ``corpus.name_keys.clean_label`` (NFKC with full-width punctuation kept,
    invisible characters removed, spaces collapsed), so "Ｍａｒｋ" and "Mark\\u200b" are the
    coder "Mark"; a line break, control character or bidi override is refused with
    ``CodingError``."""
    if not isinstance(value, str) or not value.strip():
        raise CodingError(_("Coder {value!r} is not valid; give a non-empty name.").format(value=value))
    from corpus.name_keys import clean_label
    from corpus.names import BadNameError

    try:
        name = clean_label(value, "coder name", max_len=10 * MAX_CODER)
    except BadNameError as exc:
        raise CodingError(str(exc)) from None
    if len(name) > MAX_CODER:
        raise CodingError(_("Coder {value!r}... is longer than {max_coder} characters.").format(
                            value=name[:20], max_coder=MAX_CODER))
    return name


def get_row(session: Session, model: type[T], row_id: Any, noun: str, *, id_what: str | None = None) -> T:
    """The ``model`` row with primary key ``row_id``, or ``CodingError``.

    ``row_id`` is checked with :func:`as_id` (named ``id_what``, default ``"<noun> id"``);
    a missing row raises ``"<noun> <row_id!r> does not exist."``.
    """
    row = session.get(model, as_id(row_id, id_what or f"{noun} id"))
    if row is None:
        raise CodingError(_("{noun} {row_id!r} does not exist.").format(noun=_(noun), row_id=row_id))
    return row


def get_document(session: Session, document_id: Any) -> store.Document:
    """The document with this id, or ``CodingError``."""
    return get_row(session, store.Document, document_id, "Document")


def get_code(session: Session, code_id: Any) -> store.Code:
    """The code with this id, or ``CodingError``."""
    return get_row(session, store.Code, code_id, "Code")


def get_coding(session: Session, coding_id: Any) -> store.Coding:
    """The coding with this id, or ``CodingError``."""
    return get_row(session, store.Coding, coding_id, "Coding")


def get_rule(session: Session, rule_id: Any) -> store.models.AutocodeRule:
    """The auto-coding rule with this id, or ``CodingError`` (``"Auto-coding rule 7 does not exist."``;
    a bad id is named "Rule id")."""
    return get_row(session, store.models.AutocodeRule, rule_id, "Auto-coding rule", id_what="Rule id")


def get_city(session: Session, city_code: Any) -> store.City:
    """The city with this code (exact string), or ``CodingError``."""
    if not isinstance(city_code, str) or not city_code.strip():
        raise CodingError(_("City code {city_code!r} is not valid; give a city code such as '320500'.").format(
                            city_code=city_code))
    city = session.get(store.City, city_code.strip())
    if city is None:
        raise CodingError(_("City {city_code!r} is not in the project.").format(city_code=city_code))
    return city
