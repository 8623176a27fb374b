"""Interface language: English (the source strings) and 简体中文, through gettext catalogues.

One standard mechanism for every user-facing string of the workbench and the command line:
``_("Import documents")`` looks the English source string up in the catalogue of the current
language (``i18n/locale/<locale>/LC_MESSAGES/tandem.mo``, compiled with Babel from the ``.po``
translators edit; ``python -m i18n compile`` rebuilds it, ``python -m i18n extract`` refreshes the
template from the code). A string with no translation shows in English, never as an empty label.

The current language is a context variable, so each Streamlit session (a thread) and each
command-line run has its own: the UI calls ``set_language`` at the start of every rerun with the
user's choice; the CLI calls ``set_language(from_environment())``, which follows ``LANGUAGE``,
``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` as gettext does. ``from_accept_language`` reads a
browser's ``Accept-Language`` header for the first visit.

Strings are marked with ``_`` (translate now), ``ngettext`` (plural forms: Chinese has one),
``pgettext`` (a word with two meanings, told apart by a context) and
``N_`` (mark for extraction, translate later, for module-level tables of labels). Placeholders
use ``str.format`` names: ``_("{n} documents").format(n=3)`` — never %-formatting of user text.

This package imports nothing else from Tandem: every layer may use it.
"""
from __future__ import annotations

import contextvars
import gettext as _gettext
from functools import lru_cache
from pathlib import Path

__all__ = ["LANGUAGES", "DEFAULT", "_", "N_", "ngettext", "pgettext", "set_language", "language", "using",
           "from_environment", "from_accept_language", "normalise", "LOCALE_DIR", "DOMAIN"]

#: Interface languages: code -> name shown in the language switch (each in its own language).
LANGUAGES = {"en": "English", "zh": "简体中文"}
DEFAULT = "en"
DOMAIN = "tandem"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: Interface languages besides English, each with its gettext locale folder.
LOCALES = {"zh": "zh_CN"}

_current: contextvars.ContextVar[str] = contextvars.ContextVar("tandem_language", default=DEFAULT)


def normalise(value: str | None) -> str | None:
    """``"zh"`` for any Chinese tag (zh, zh-CN, zh_Hans, zh-TW …), ``"en"`` for English, else None.

    Traditional-script tags (zh-TW, zh-HK, zh-Hant) also get 简体中文: it is the only Chinese
    interface, and closer than English for those readers.
    """
    if not value:
        return None
    tag = str(value).strip().replace("_", "-").split(".")[0].split("@")[0].lower()
    if tag.startswith("zh"):
        return "zh"
    if tag.startswith("en") or tag in ("c", "posix"):
        return "en"
    return None


@lru_cache(maxsize=None)
def _translations(lang: str) -> _gettext.NullTranslations:
    locale = LOCALES.get(lang)
    if locale is None:
        return _gettext.NullTranslations()
    try:
        return _gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[locale])
    except OSError:  # catalogue not compiled: English rather than a crash
        return _gettext.NullTranslations()


def set_language(lang: str | None) -> str:
    """Make ``lang`` (any tag ``normalise`` knows; None or unknown → English) the current language
    of this thread/context. Returns the code set."""
    code = normalise(lang) or DEFAULT
    _current.set(code)
    return code


def language() -> str:
    """The current interface language code (``"en"`` or ``"zh"``)."""
    return _current.get()


class using:
    """``with using("zh"): ...`` — a block in another language (e.g. a Chinese report draft
    written from an English session); the previous language is restored after."""

    def __init__(self, lang: str | None):
        self.lang = lang
        self._token = None

    def __enter__(self) -> str:
        self._token = _current.set(normalise(self.lang) or DEFAULT)
        return _current.get()

    def __exit__(self, *exc) -> None:
        _current.reset(self._token)


def _(message: str) -> str:
    """``message`` (English source) in the current language."""
    return _translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n`` in the current language."""
    return _translations(_current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language where the same English word has two meanings:
    ``pgettext("page", "Code")`` (the Code page, 编码) vs ``_("Code")`` (a code, 代码)."""
    return _translations(_current.get()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now (translate with ``_`` when shown)."""
    return message


def from_environment(environ=None) -> str:
    """The CLI's language from the environment, as gettext reads it: the first of LANGUAGE
    (a colon-separated list), LC_ALL, LC_MESSAGES, LANG that names English or Chinese; English
    otherwise."""
    import os

    env = os.environ if environ is None else environ
    for key in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for tag in str(env.get(key) or "").split(":"):
            code = normalise(tag)
            if code:
                return code
    return DEFAULT


def from_accept_language(header: str | None) -> str | None:
    """The preferred supported language of an HTTP ``Accept-Language`` header (quality values
    honoured), or None when it names neither English nor Chinese."""
    if not header:
        return None
    ranked = []
    for k, part in enumerate(str(header)[:1000].split(",")):
        tag, _sep, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            name, _s, val = p.strip().partition("=")
            if name == "q":
                try:
                    q = float(val)
                except ValueError:
                    q = 0.0
        code = normalise(tag)
        if code and q > 0:
            ranked.append((-q, k, code))
    return min(ranked)[2] if ranked else None
