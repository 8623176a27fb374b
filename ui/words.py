"""Human words on the workbench: city and pair names instead of adcodes and dyad ids, code and
document names instead of their numbers, p-values as ``<0.001``.

The history's one-line descriptions (``coding.eventlog.undo.describe``) are built from event
payloads and say "city 440100", "dyad 1925", "code 12"; :func:`humanize` puts the names in
("广州市", "广州市 – 佛山市", "“Trust”") for display. Lookups are cached per project and
revision (every write bumps it), so a page pays for them once.
"""
from __future__ import annotations

import math
import re
from typing import Any

import streamlit as st

import coding
from i18n import _
from mixed.evidence import city_names, dyad_label
from quant.data import project as qdata
from ui import state

# English descriptions, and the Chinese ones coding.eventlog.undo.describe gives on a Chinese page
# (its catalogue writes 城市 440100, 城市对 1925, 代码 12, 文档 3, （n 个码位）)
_CITY = re.compile(r"(?:\bcity |城市 )(\d{6})\b")
_DYAD = re.compile(r"(?:\bdyad |城市对 )(\d+)\b")
_CODE = re.compile(r"(?:\bcode |代码 )(\d+)\b")
_DOCUMENT = re.compile(r"(?:\bdocument |文档 )(\d+)\b")
_POINTS = re.compile(r"\(([^()]*) code points\)|（([^（）]*) 个码位）")


@st.cache_data(show_spinner=False, max_entries=4)
def _lookups(project: str, revision: int) -> dict[str, dict]:
    cities = state.read(city_names)
    dyads = state.read(qdata.dyad_frame, [])
    book = state.read(coding.codebook)
    docs = state.read(coding.documents)
    return {
        "city": cities,
        "dyad": {int(i): dyad_label(a, b, cities)
                 for i, a, b in zip(dyads["dyad_id"], dyads["city_a"], dyads["city_b"])},
        "code": {int(i): str(n) for i, n in zip(book["id"], book["name"])} if not book.empty else {},
        "document": {int(i): str(n) for i, n in zip(docs["id"], docs["name"])} if not docs.empty else {},
    }


def lookups() -> dict[str, dict]:
    """``{"city": {adcode: name}, "dyad": {id: "甲市 – 乙市"}, "code": {id: name}, "document": {id: name}}``;
    empty dicts when the project cannot be read."""
    try:
        return _lookups(state.project_path(), state.revision())
    except Exception:  # names are a nicety: never break a page over them
        return {"city": {}, "dyad": {}, "code": {}, "document": {}}


def city(code: Any) -> str:
    """A city's name (its adcode when the project does not know it)."""
    return lookups()["city"].get(str(code), str(code))


def pair(dyad_id: Any) -> str:
    """A dyad as its two city names, ``广州市 – 佛山市`` (``pair <id>`` when unknown)."""
    try:
        return lookups()["dyad"].get(int(dyad_id), _("pair {id}").format(id=dyad_id))
    except (TypeError, ValueError):
        return _("pair {id}").format(id=dyad_id)


def humanize(text: str) -> str:
    """``text`` with "city 440100", "dyad 1925", "code 12", "document 3" replaced by names, and
    "(n code points)" said as characters. Unknown numbers are left as they are. The words put in
    ("pair", "code", "document", "characters") are in the interface language; the rest of ``text``
    (the history's English description) is kept as it is."""
    names = lookups()

    def sub(pattern: re.Pattern, kind: str, fmt: str, key=int) -> None:
        nonlocal text
        table = names[kind]

        def one(m: re.Match) -> str:
            try:
                name = table.get(key(m.group(1)))
            except ValueError:
                name = None
            return m.group(0) if name is None else fmt.format(name=name)

        text = pattern.sub(one, text)

    text = str(text)
    sub(_CITY, "city", "{name}", key=str)
    sub(_DYAD, "dyad", _("pair {name}"))
    sub(_CODE, "code", _("code “{name}”"))
    sub(_DOCUMENT, "document", _("document “{name}”"))
    return _POINTS.sub(lambda m: _("({n} characters)").format(n=m.group(1) or m.group(2)), text)


def p_value(p: Any) -> str:
    """A p-value for reading: ``<0.001`` below one in a thousand, else three decimals; ``–`` if missing."""
    try:
        value = float(p)
    except (TypeError, ValueError):
        return "–"
    if math.isnan(value):
        return "–"
    return "<0.001" if value < 0.001 else f"{value:.3f}"
