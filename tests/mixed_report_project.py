"""A small project for the mixed/ and report/ tests, built with store models directly.

Twenty cities, all 190 dyads, a seeded simulated connection outcome fitted with
``quant.models.dispatch.fit_connection``, two documents split into paragraph segments, a codebook with a
subcode and a code↔variable map, and codings linked to cities and dyads. Helper module (not
collected): the tests import ``build`` from here.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd

import store

XSS = "<script>alert(1)</script> 与 <img src=x onerror=alert(1)> 都应原样显示"

INTERVIEW = [
    "问：你们和哪些城市签了跨城通办协议？",
    "答：我们和邻市签了协议，因为两地之间人口流动很大，很多外来务工人员需要异地办事。",
    "说实话，有些协议签了以后没有落实任何事项，主要是为了给上级看。",
    "两位局长以前在同一个单位工作过，所以谈起来比较顺利。",
]
POLICY = [
    "关于推进政务服务跨城通办的通知",
    XSS,
    "各地要建立异地代收代办机制，明确收件地和办理地的职责。",
]


@dataclass
class Project:
    """Ids and facts of the built project that tests check against."""

    result: object
    data: pd.DataFrame
    breadth_result: object
    city_data: pd.DataFrame
    cities: dict[str, str]
    codes: dict[str, int] = field(default_factory=dict)
    codings: dict[str, int] = field(default_factory=dict)
    quotes: dict[str, str] = field(default_factory=dict)
    paragraphs: dict[str, int] = field(default_factory=dict)
    documents: dict[str, str] = field(default_factory=dict)
    typical_dyad: tuple[str, str] = ("", "")
    deviant_dyad: tuple[str, str] = ("", "")


def simulate(n_cities: int = 20, seed: int = 7) -> tuple[dict[str, str], pd.DataFrame, pd.DataFrame]:
    """Cities, one row per dyad with covariates and a logit-simulated ``connection``, and one
    row per city with ``pop`` and ``breadth`` (its number of simulated partners)."""
    rng = np.random.default_rng(seed)
    cities = {f"{330100 + 100 * i}": f"测试{i:02d}市" for i in range(n_cities)}
    codes = sorted(cities)
    pop = dict(zip(codes, rng.normal(0.0, 1.0, n_cities)))
    province = dict(zip(codes, rng.integers(0, 3, n_cities)))
    rows = []
    for a, b in combinations(codes, 2):
        gravity = pop[a] + pop[b] + rng.normal(0.0, 0.5)
        same = int(province[a] == province[b])
        p = 1.0 / (1.0 + np.exp(-(-1.0 + 1.0 * gravity + 0.8 * same)))
        rows.append({"city_a": a, "city_b": b, "log_gravity": gravity, "same_province": same,
                     "connection": int(rng.random() < p)})
    dyads = pd.DataFrame(rows)
    ties = dyads[dyads["connection"] == 1]
    breadth = pd.concat([ties["city_a"], ties["city_b"]]).value_counts()
    city_data = pd.DataFrame({"city": codes, "pop": [pop[c] for c in codes],
                              "breadth": [int(breadth.get(c, 0)) for c in codes]})
    return cities, dyads, city_data


def _document(session, name: str, kind: str, paragraphs: list[str]) -> tuple[store.Document, list[tuple[int, int]]]:
    text = "\n\n".join(paragraphs)
    doc = store.Document(name=name, kind=kind, language="zh", text=text,
                         text_sha256=hashlib.sha256(text.encode()).hexdigest(), n_chars=len(text))
    session.add(doc)
    session.flush()
    spans, pos = [], 0
    for i, para in enumerate(paragraphs, start=1):
        spans.append((pos, pos + len(para)))
        session.add(store.Segment(document_id=doc.id, kind="paragraph", idx=i, start=pos, end=pos + len(para)))
        pos += len(para) + 2
    return doc, spans


def build(session) -> Project:
    """Fill an empty project (``session`` on the ``engine`` fixture) and fit the connection model."""
    from quant.models.dispatch import fit_breadth, fit_connection

    cities, data, city_data = simulate()
    result = fit_connection(data, "connection ~ log_gravity + same_province", model="logit")
    breadth_result = fit_breadth(city_data, "breadth ~ pop", model="poisson", id_col="city")
    units = result.units.assign(abs_r=lambda d: d["pearson"].abs())
    lo = units.sort_values("abs_r").iloc[0]
    hi = units.sort_values("abs_r").iloc[-1]
    proj = Project(result=result, data=data, breadth_result=breadth_result, city_data=city_data, cities=cities,
                   typical_dyad=(str(lo.city_a), str(lo.city_b)), deviant_dyad=(str(hi.city_a), str(hi.city_b)))

    session.add(store.ProjectInfo(key="name", value="测试项目"))
    session.add(store.ProjectInfo(key="simulated_outcomes", value="Seeded logit simulation for tests."))
    for code, name in cities.items():
        session.add(store.City(code=code, name=name, short_name=name[:-1], province="测试省"))
    session.flush()
    dyad_ids = {}
    for a, b in zip(data["city_a"], data["city_b"]):
        d = store.Dyad(city_a=a, city_b=b)
        session.add(d)
        session.flush()
        dyad_ids[(a, b)] = d.id

    needs = store.Code(name="Social needs", codable=1, position=0)
    supply = store.Code(name="Personal-relationship supply", codable=1, position=1)
    mark = store.Code(name="Mark", codable=1, position=2)
    session.add_all([needs, supply, mark])
    session.flush()
    migrants = store.Code(name="Migrant demand", parent_id=needs.id, codable=1, position=0)
    session.add(migrants)
    session.flush()
    proj.codes = {"needs": needs.id, "supply": supply.id, "mark": mark.id, "migrants": migrants.id}
    session.add_all([
        store.CodeVariableMap(code_id=needs.id, variable="log_gravity"),
        store.CodeVariableMap(code_id=supply.id, variable="same_province"),
    ])

    interview, ispans = _document(session, "访谈A-2021", "interview", INTERVIEW)
    policy, pspans = _document(session, "政策<b>文件</b>", "policy", POLICY)
    proj.documents = {"interview": interview.name, "policy": policy.name}

    def code_span(key, doc, spans, para, code_id, *, sub=None, city=None, dyad=None):
        start, end = spans[para - 1]
        if sub is not None:
            start = doc.text.index(sub, start)
            end = start + len(sub)
        quote = doc.text[start:end]
        c = store.Coding(document_id=doc.id, code_id=code_id, start=start, end=end, quote=quote)
        session.add(c)
        session.flush()
        if city is not None:
            session.add(store.CodingLink(coding_id=c.id, city_code=city))
        if dyad is not None:
            session.add(store.CodingLink(coding_id=c.id, dyad_id=dyad_ids[dyad]))
        proj.codings[key], proj.quotes[key], proj.paragraphs[key] = c.id, quote, para

    first = sorted(cities)[0]
    ta, tb = proj.typical_dyad
    # social needs, linked to the most typical dyad (smallest |r|), paragraph 2 of the interview
    code_span("flows", interview, ispans, 2, needs.id, sub="两地之间人口流动很大", dyad=proj.typical_dyad)
    # a subcode of social needs, linked to one city of that dyad, paragraph 2 again
    code_span("migrants", interview, ispans, 2, migrants.id, sub="很多外来务工人员需要异地办事", city=ta)
    # personal-relationship supply, not linked to any unit
    code_span("careers", interview, ispans, 4, supply.id)
    # Mark, linked to the most deviant dyad; unmapped code
    code_span("mark", interview, ispans, 3, mark.id, dyad=proj.deviant_dyad)
    # the hostile quote: social needs, linked to a city that is in no selected dyad necessarily
    code_span("xss", policy, pspans, 2, needs.id, city=first)
    session.flush()
    return proj
