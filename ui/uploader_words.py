"""Streamlit's own file-uploader words in the interface language.

Streamlit 1.67 draws the drop zone of ``st.file_uploader`` with English words of its own — the
button "Upload", the line "50MB per file • CSV, XLSX" and, while a file is dragged over it,
"Drag and drop file(s) here" — and has no option to change them (no locale setting; asked for in
streamlit/streamlit#13500, open). On a page in another language :func:`uploader_words` adds a
small style sheet that hides those words (``font-size: 0``) and shows the translated ones with
``::after { content: "…" }``. The content strings are fixed catalogue sentences (never user text)
and are CSS-escaped character by character (:func:`css_string`). The accepted types, which
Streamlit writes into the same text node as the size, are not repeated: every uploader's label
names its file types.

On an English page nothing is added. Call it once per rerun (``workbench.py`` after the language
is set, or a page that has an uploader); it draws nothing visible itself.
"""
from __future__ import annotations

import streamlit as st

from i18n import _, language

__all__ = ["css_string", "uploader_css", "uploader_words"]

_ZONE = '[data-testid="stFileUploaderDropzone"]'
_BUTTON = f'{_ZONE} button [data-testid="stMarkdownContainer"] p'
_LIMIT = f'{_ZONE} [data-testid="stFileUploaderDropzoneInstructions"] span'
# While a file is dragged over the zone Streamlit adds a block (no test id) before the button.
_DRAG = f'{_ZONE} > div:not([data-testid]) > span'


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string in which every character but ASCII letters, digits and
    spaces is a hex escape (``"\\4e0a \\4f20 "`` for 上传), so no text can close the string,
    the rule or the ``<style>`` element."""
    out = []
    for ch in str(text):
        if ch.isascii() and (ch.isalnum() or ch == " "):
            out.append(ch)
        else:
            out.append(f"\\{ord(ch):x} ")
    return '"' + "".join(out) + '"'


def uploader_css(max_mb: int | float) -> str:
    """The style sheet that replaces the drop zone's words with the current language's.

    ``max_mb`` is the server's upload limit in megabytes (``server.maxUploadSize``).
    """
    size = f"{max_mb:g}"
    button = css_string(_("Upload"))
    limit = css_string(_("At most {size} MB per file").format(size=size))
    drag = css_string(_("Drop the files here"))
    return (
        f"{_BUTTON}, {_LIMIT}, {_DRAG} {{ font-size: 0 !important; }}\n"
        f"{_BUTTON}::after {{ content: {button}; font-size: 0.875rem; }}\n"
        f"{_LIMIT}::after {{ content: {limit}; font-size: 0.875rem; }}\n"
        f"{_DRAG}::after {{ content: {drag}; font-size: 0.875rem; font-weight: 600; }}\n"
    )


def uploader_words() -> None:
    """On a non-English page, restyle every file uploader's own words (see the module doc)."""
    if language() == "en":
        return
    try:
        max_mb = float(st.get_option("server.maxUploadSize"))
    except Exception:  # an unknown option in some test runners: Streamlit's default
        max_mb = 200.0
    st.html(f"<style>\n{uploader_css(max_mb)}</style>")  # i18n: data
