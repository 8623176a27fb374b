"""A small project with saved runs and coded passages for the case-view, worklist and cases-CLI
tests (helper module, not collected).

``quant_small_project`` (30 cities, 435 dyads, simulated connection and degree), renamed with
Chinese city names, a saved connection run (logit) and breadth run (Poisson), one interview of
four paragraphs, the codes Mark and Needs, and codings linked to cities and dyads so that counts
per unit differ (a coding linked to two units, a city with direct and via-dyad passages).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select

import store
import quant_small_project as qsp

CONN_FORMULA = "connection ~ sum(log_pop) + same(province) + log_distance"
BREADTH_FORMULA = "breadth ~ log_pop + urban"
PARAGRAPHS = [
    "问：你们和哪些城市签了协议？",
    "答：我们和邻市签了协议，两地人口流动很大。",
    "说实话，有些协议签了以后没有落实任何事项，主要是为了给上级看。",
    "=HYPERLINK(\"http://x\") 这句话像公式。",
]


@dataclass
class Built:
    names: dict[str, str]
    codings: dict[str, int] = field(default_factory=dict)
    linked_dyads: list[tuple[str, str]] = field(default_factory=list)
    linked_cities: list[str] = field(default_factory=list)


def city_names(n: int = qsp.N_CITIES) -> dict[str, str]:
    """Code → Chinese name for the small project's cities ("100" → "城00市")."""
    return {str(100 + k): f"城{k:02d}市" for k in range(n)}


def build(engine) -> Built:
    """Fill an empty project on ``engine``; save runs ``conn`` and ``breadth``; code passages."""
    from quant.data import project as qdata
    from quant.runs import saved as runs

    cities, dyads = qsp.tables()
    names = city_names(len(cities))
    cities["name"] = cities["code"].map(names)
    with store.session_scope(engine) as s:
        qdata.save_cities(s, cities)
        qdata.save_dyads(s, dyads)
    with store.session_scope(engine) as s:
        runs.fit_and_save(s, "conn", "connection", formula=CONN_FORMULA)
        runs.fit_and_save(s, "breadth", "breadth", model="poisson", formula=BREADTH_FORMULA)
    built = Built(names=names)
    with store.session_scope(engine) as s:
        text = "\n\n".join(PARAGRAPHS)
        doc = store.Document(name="访谈：测试（示例）", kind="interview", language="zh", text=text,
                             text_sha256=hashlib.sha256(text.encode()).hexdigest(), n_chars=len(text))
        s.add(doc)
        s.flush()
        spans, pos = [], 0
        for i, para in enumerate(PARAGRAPHS, start=1):
            spans.append((pos, pos + len(para)))
            s.add(store.Segment(document_id=doc.id, kind="paragraph", idx=i, start=pos, end=pos + len(para)))
            pos += len(para) + 2
        mark = store.Code(name="Mark", codable=1, position=0)
        needs = store.Code(name="Needs", codable=1, position=1)
        s.add_all([mark, needs])
        s.flush()
        dyad_id = {(a, b): i for i, a, b in s.execute(select(store.Dyad.id, store.Dyad.city_a, store.Dyad.city_b))}

        def code(key, para, code_obj, *, cities=(), pairs=(), coder="researcher"):
            start, end = spans[para - 1]
            c = store.Coding(document_id=doc.id, code_id=code_obj.id, start=start, end=end, quote=text[start:end],
                             coder=coder)
            s.add(c)
            s.flush()
            for city in cities:
                s.add(store.CodingLink(coding_id=c.id, city_code=city))
            for pair in pairs:
                s.add(store.CodingLink(coding_id=c.id, dyad_id=dyad_id[pair]))
            built.codings[key] = c.id

        # 100–101 gets two passages, one of them also linked to city 100 directly; 100–102 one;
        # 101 one direct Mark passage; a passage linked to two dyads; an unlinked passage
        code("flows", 2, needs, pairs=[("100", "101")])
        code("both", 3, mark, cities=["100"], pairs=[("100", "101")])
        code("two_dyads", 2, needs, pairs=[("100", "102"), ("103", "104")], coder="Bo")
        code("mark_city", 3, mark, cities=["101"], coder="Bo")
        code("formula", 4, needs, cities=["105"])
        code("unlinked", 1, needs)
        built.linked_dyads = [("100", "101"), ("100", "102"), ("103", "104")]
        built.linked_cities = ["100", "101", "105"]
    return built
