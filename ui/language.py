"""The interface language of this browser session: chosen in the sidebar, remembered, and set at
the start of every rerun (``i18n.set_language``) so that every page's ``_()`` strings follow it.

First visit: the language remembered on this computer (single-user workbench: a file in the user
data folder), else the browser's preferred language (``Accept-Language``), else English. In team
mode the choice is kept for the browser session (a shared server keeps no file per person) and the
browser's language is the default, so a Chinese browser opens in Chinese.
"""
from __future__ import annotations

import streamlit as st

import i18n
from i18n import N_, _

KEY = "tandem_language"
_FILE = "ui_language.txt"


def _file():
    from data.demo.build import user_data_dir

    return user_data_dir() / _FILE


def _shared_server() -> bool:
    """Team mode, or a setting that cannot be read yet (the workbench then says why): keep no file."""
    from ui import state

    try:
        if state.demo_pending():  # first start: the demo is being built, and a demo is never a team project
            return False
        return bool(state.team_mode())
    except Exception:
        return True


def _remembered() -> str | None:
    if _shared_server():
        return None
    try:
        return i18n.normalise(_file().read_text(encoding="utf-8").strip())
    except OSError:
        return None


def _remember(lang: str) -> None:
    if _shared_server():
        return
    try:
        path = _file()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(lang, encoding="utf-8")
    except OSError:  # a read-only home: the choice still holds for this session
        pass


def _browser() -> str | None:
    try:
        headers = st.context.headers
        found = i18n.from_accept_language(headers.get("Accept-Language") if headers else None)
        return found or i18n.normalise(getattr(st.context, "locale", None))
    except Exception:  # AppTest and bare runs have no request
        return None


def apply() -> str:
    """Set this rerun's language (see the module docstring); returns its code."""
    if st.session_state.get(KEY) not in i18n.LANGUAGES:
        st.session_state[KEY] = _remembered() or _browser() or i18n.DEFAULT
    return i18n.set_language(st.session_state[KEY])


def _changed() -> None:
    lang = st.session_state[KEY]
    i18n.set_language(lang)
    _remember(lang)


def switch() -> None:
    """The language switch (sidebar): English / 简体中文, always labelled in both."""
    st.selectbox(N_("Language / 语言"), list(i18n.LANGUAGES), key=KEY, format_func=i18n.LANGUAGES.get,
                 on_change=_changed, help=_("The workbench's language; your codebook and documents stay as written."))
