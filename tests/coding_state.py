"""Shared helpers for the history, merge and re-anchoring tests: a small real project and a
full dump of the rows that undo/redo must restore exactly."""
from __future__ import annotations

from sqlalchemy import select

import coding
import corpus
import store

CITIES = [("320500", "苏州市", "苏州"), ("310000", "上海市", "上海"), ("330100", "杭州市", "杭州")]

# Chinese interview text with a CJK Extension B character (U+20000) and an emoji: one code point each.
TEXT = ("苏州与上海签署了跨城通办协议，𠀀号窗口先行试点。\n\n"
        "第二段：杭州的干部说，信任是合作的基础😀，没有信任就没有协议。\n\n"
        "第三段：宿州的窗口人员不足，需要上级支持。")


def add_cities(s) -> None:
    s.add_all([store.City(code=c, name=n, short_name=sn) for c, n, sn in CITIES])
    s.flush()


def base_project(s, coder: str = "A") -> dict:
    """Cities, one imported document, codes, codings with links and memos, a variable map.

    Returns the ids: ``doc, trust, supply, needs, c1, c2, link_city, link_dyad, memo_coding, memo_code``.
    """
    add_cities(s)
    doc = corpus.import_text(s, TEXT, name="访谈1", kind="interview").document_id
    trust = coding.add_code(s, "Trust", definition="Confidence between bureaus.", coder=coder)
    supply = coding.add_code(s, "Supply", codable=False, coder=coder)
    needs = coding.add_code(s, "Needs", parent_id=supply, coder=coder)
    coding.set_variable_map(s, trust, ["same_province"], coder=coder)
    start = TEXT.index("信任是合作的基础")
    (c1,) = coding.add_coding(s, doc, start, start + 8, trust, coder=coder, memo="key claim")
    start2 = TEXT.index("窗口人员不足")
    (c2,) = coding.add_coding(s, doc, start2, start2 + 6, needs, coder=coder)
    link_city = coding.link_city(s, c1, "330100", coder=coder)
    link_dyad = coding.link_dyad(s, c1, "320500", "310000", coder=coder)
    memo_coding = coding.add_memo(s, "coding", c1, "said twice", author=coder)
    memo_code = coding.add_memo(s, "code", trust, "a central code", author=coder)
    return {"doc": doc, "trust": trust, "supply": supply, "needs": needs, "c1": c1, "c2": c2,
            "link_city": link_city, "link_dyad": link_dyad, "memo_coding": memo_coding, "memo_code": memo_code}


def _rows(s, name: str, skip: tuple[str, ...] = ()) -> list[tuple]:
    t = store.Base.metadata.tables[name]
    cols = [c for c in t.c if c.name not in skip]
    return [tuple(r) for r in s.execute(select(*cols).order_by(*(c for c in cols[:3])))]


def dump(s) -> dict[str, list[tuple]]:
    """Every row undo/redo touch, all columns (ids, GUIDs, offsets, quotes, stamps); the text by hash."""
    s.flush()
    out = {name: _rows(s, name) for name in ("codes", "codings", "coding_links", "memos", "dyads")}
    out["documents"] = _rows(s, "documents", skip=("text",))
    out["segments"] = _rows(s, "segments", skip=("id",))
    out["place_mentions"] = _rows(s, "place_mentions", skip=("id",))
    t = store.Base.metadata.tables["code_variable_map"]
    out["code_variable_map"] = [tuple(r) for r in s.execute(select(t.c.code_id, t.c.variable).order_by(t.c.id))]
    return out


def count(s, model) -> int:
    from sqlalchemy import func

    return s.scalar(select(func.count()).select_from(model))
