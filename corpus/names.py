"""Names people type: codes, coders, users, documents, variables, cities.

A name is shown beside other names and compared with them, so two names that look the
same must be the same string. ``clean_name`` makes it so:

- Unicode NFKC (Unicode Standard Annex #15): full-width letters and digits become ASCII
  (``"Ｍａｒｋ"`` -> ``"Mark"``), the ideographic space becomes a space; Chinese characters
  are unchanged;
- invisible format characters (zero-width space/joiners, word joiner, BOM, soft hyphen)
  are removed;
- runs of spaces collapse to one, and the ends are trimmed;
- refused, with one sentence: control characters (newline, tab, NUL, ...), bidirectional
  overrides and isolates (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C, which can
  make a name display as another; Unicode Technical Report #36), an empty result, and a
  name longer than ``max_len`` code points.
"""
from __future__ import annotations

import unicodedata

from corpus.errors import CorpusError
from i18n import N_, _

#: Bidirectional controls that reorder what is shown (refused, never silently removed).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")

_NAMES = {
    "\n": N_("a line break"), "\r": N_("a line break"), "\t": N_("a tab"), "\x00": N_("a NUL character"),
}

#: The kinds of name callers pass as ``what`` (translated when the message is raised; another
#: value is shown as given).
WHATS = (N_("name"), N_("code name"), N_("memo title"), N_("coder name"), N_("document name"), N_("user name"),
         N_("run name"))


class BadNameError(CorpusError):
    """A name was refused; the message names the kind of name and the reason."""


def _describe(ch: str) -> str:
    if ch in _NAMES:
        return _(_NAMES[ch])
    label = unicodedata.name(ch, "").lower()
    code = f"U+{ord(ch):04X}"
    if label:
        return _("the invisible character {code} ({label})").format(code=code, label=label)
    return _("the invisible character {code}").format(code=code)


def clean_name(text: str, what: str = "name", *, max_len: int = 200) -> str:
    """The canonical form of a typed name, or one sentence saying why it is refused.

    Parameters
    ----------
    text : str
        The name as typed or read from a file.
    what : str
        What the name names, for the message (``"code name"``, ``"user name"``).
    max_len : int
        Longest accepted name, in code points after cleaning.

    Returns
    -------
    str : NFKC, invisible format characters removed, inner spaces collapsed, trimmed.

    Raises
    ------
    BadNameError
        ``text`` is not a string, holds a control or bidirectional-override character,
        is empty once cleaned, or is longer than ``max_len``.
    """
    what = _(what) if what in WHATS else what
    if not isinstance(text, str):
        raise BadNameError(_("The {what} must be text, not {type}.").format(what=what, type=type(text).__name__))
    for ch in text:
        if ch in BIDI_CONTROLS or unicodedata.category(ch) == "Cc":
            shown = "".join(c for c in text if c not in BIDI_CONTROLS and unicodedata.category(c) != "Cc")
            raise BadNameError(_("The {what} {shown!r} holds {value}; type it on one line without it.")
                               .format(what=what, shown=shown[:60], value=_describe(ch)))
    norm = unicodedata.normalize("NFKC", text)
    norm = "".join(c for c in norm if unicodedata.category(c) != "Cf")
    norm = " ".join(norm.split())
    if not norm:
        raise BadNameError(_("The {what} is empty once spaces and invisible characters are removed.")
                           .format(what=what))
    if len(norm) > max_len:
        raise BadNameError(_("The {what} {norm!r}… is {n} characters long; at most {max_len} are allowed.")
                           .format(what=what, norm=norm[:40], n=len(norm), max_len=max_len))
    return norm
