"""Retrieval filters and counts per city and dyad, checked against a hand-built project.

Project (A=310000 上海, B=320500 苏州, C=330500 湖州, D=341300 宿州; D never linked):

=====  ====  ==================  =====  ==========================
id     doc   code                coder  links
=====  ====  ==================  =====  ==========================
c1     D1    Mark                r      city B
c2     D1    Mark/Partner count  r      dyad A-B
c3     D1    Hole                w      city B, dyad B-C
c4     D2    Social needs        w      city A, dyad A-B
c5     D2    Mark                r      (none)
c6     D3    Degree              r      dyad B-C
=====  ====  ==================  =====  ==========================
"""
from __future__ import annotations


import pandas as pd
import pytest
from sqlalchemy import insert, select

import coding
import store
from coding import CodingError

A, B, C, D = "310000", "320500", "330500", "341300"
D1 = "苏州的领导说要多签协议。\n\n湖州和苏州之间其实没有检查。"
D2 = "上海来的外来人口很多，这是需求。也有只签字的。"
D3 = "事项从十二项增加到八十六项。"


def _doc(session, name, kind, text, paragraphs):
    doc = store.Document(name=name, kind=kind, language="zh", text=text, text_sha256="0" * 64, n_chars=len(text))
    session.add(doc)
    session.flush()
    if paragraphs:
        pos = 0
        for idx, block in enumerate(text.split("\n\n"), start=1):
            session.add(store.Segment(document_id=doc.id, kind="paragraph", idx=idx, start=pos, end=pos + len(block)))
            pos += len(block) + 2
    return doc.id


def _span(text, phrase):
    i = text.index(phrase)
    return i, i + len(phrase)


@pytest.fixture
def world(engine):
    with store.session_scope(engine) as s:
        coding.ensure_default_codebook(s)
        code = {n: coding.code_id_by_name(s, n) for n in ("Mark", "Hole", "Social needs", "Degree")}
        code["Partner count"] = coding.add_code(s, "Partner count", parent_id=code["Mark"])
        s.add_all([store.City(code=c, name=n) for c, n in ((A, "上海市"), (B, "苏州市"), (C, "湖州市"), (D, "宿州市"))])
        d1 = _doc(s, "访谈一", "interview", D1, True)
        d2 = _doc(s, "政策二", "policy", D2, True)
        d3 = _doc(s, "笔记三", "field note", D3, False)
        ids = {}
        ids["c1"] = coding.add_coding(s, d1, *_span(D1, "苏州的领导"), code["Mark"], coder="r")[0]
        ids["c2"] = coding.add_coding(s, d1, *_span(D1, "要多签协议"), code["Partner count"], coder="r")[0]
        ids["c3"] = coding.add_coding(s, d1, *_span(D1, "其实没有检查"), code["Hole"], coder="w")[0]
        ids["c4"] = coding.add_coding(s, d2, *_span(D2, "外来人口很多"), code["Social needs"], coder="w")[0]
        ids["c5"] = coding.add_coding(s, d2, *_span(D2, "只签字的"), code["Mark"], coder="r", memo="典型")[0]
        ids["c6"] = coding.add_coding(s, d3, *_span(D3, "八十六项"), code["Degree"], coder="r")[0]
        coding.link_city(s, ids["c1"], B)
        coding.link_dyad(s, ids["c2"], B, A)
        coding.link_city(s, ids["c3"], B)
        coding.link_dyad(s, ids["c3"], C, B)
        coding.link_city(s, ids["c4"], A)
        coding.link_dyad(s, ids["c4"], A, B)
        coding.link_dyad(s, ids["c6"], B, C)
        dyad_ab = s.scalar(select(store.Dyad.id).where(store.Dyad.city_a == A, store.Dyad.city_b == B))
    return {"engine": engine, "code": code, "ids": ids, "docs": (d1, d2, d3), "dyad_ab": dyad_ab}


def _ids(world, frame):
    back = {v: k for k, v in world["ids"].items()}
    return [back[i] for i in frame["coding_id"]]


def test_queries_retrieve_all_columns_and_order(world):
    with store.session_scope(world["engine"]) as s:
        frame = coding.retrieve(s)
    assert _ids(world, frame) == ["c1", "c2", "c3", "c4", "c5", "c6"]
    assert list(frame.columns) == ["coding_id", "document_id", "document", "kind", "code_id", "code", "start", "end",
                                   "quote", "paragraph", "coder", "memo", "cities", "dyads"]
    rows = frame.set_index(pd.Index(_ids(world, frame)))
    assert rows.loc["c3", "quote"] == "其实没有检查" and rows.loc["c3", "document"] == "访谈一"
    assert rows.loc["c3", "paragraph"] == 2 and rows.loc["c1", "paragraph"] == 1
    assert pd.isna(rows.loc["c6", "paragraph"])  # 笔记三 has no paragraph segments
    assert rows.loc["c4", "kind"] == "policy" and rows.loc["c5", "memo"] == "典型"
    assert rows.loc["c2", "code"] == "Partner count"
    assert rows.loc["c3", "cities"] == [B] and rows.loc["c3", "dyads"] == [f"{B}-{C}"]
    assert rows.loc["c4", "cities"] == [A] and rows.loc["c4", "dyads"] == [f"{A}-{B}"]
    assert rows.loc["c5", "cities"] == [] and rows.loc["c5", "dyads"] == []


def test_queries_retrieve_by_code_with_and_without_subcodes(world):
    mark = world["code"]["Mark"]
    with store.session_scope(world["engine"]) as s:
        assert _ids(world, coding.retrieve(s, code_ids=[mark])) == ["c1", "c2", "c5"]
        assert _ids(world, coding.retrieve(s, code_ids=mark, include_subcodes=False)) == ["c1", "c5"]
        behaviour = coding.code_id_by_name(s, "Behaviour")
        assert _ids(world, coding.retrieve(s, code_ids=[behaviour])) == ["c1", "c2", "c3", "c5"]
        with pytest.raises(CodingError, match="does not exist"):
            coding.retrieve(s, code_ids=[999])


def test_queries_retrieve_by_city_dyad_coder_document(world):
    d1, d2, _ = world["docs"]
    with store.session_scope(world["engine"]) as s:
        assert _ids(world, coding.retrieve(s, city=B)) == ["c1", "c2", "c3", "c4", "c6"]
        assert _ids(world, coding.retrieve(s, city=B, via_dyads=False)) == ["c1", "c3"]
        assert _ids(world, coding.retrieve(s, city=A)) == ["c2", "c4"]
        assert _ids(world, coding.retrieve(s, city=D)).__len__() == 0
        assert _ids(world, coding.retrieve(s, dyad=(C, B))) == ["c3", "c6"]
        assert _ids(world, coding.retrieve(s, dyad=world["dyad_ab"])) == ["c2", "c4"]
        assert _ids(world, coding.retrieve(s, dyad=(A, D))) == []
        assert _ids(world, coding.retrieve(s, coder="w")) == ["c3", "c4"]
        assert _ids(world, coding.retrieve(s, coder=["r"], document_ids=[d1])) == ["c1", "c2"]
        assert _ids(world, coding.retrieve(s, document_ids=d2)) == ["c4", "c5"]
        assert _ids(world, coding.retrieve(s, code_ids=world["code"]["Mark"], city=A)) == ["c2"]
        with pytest.raises(CodingError, match="two different"):
            coding.retrieve(s, dyad=(B, B))
        with pytest.raises(CodingError, match="Dyad 999"):
            coding.retrieve(s, dyad=999)
        with pytest.raises(CodingError, match="not in the project"):
            coding.retrieve(s, city="999999")
        with pytest.raises(CodingError, match="Document 42"):
            coding.retrieve(s, document_ids=[42])


def test_queries_retrieve_context(world):
    with store.session_scope(world["engine"]) as s:
        frame = coding.retrieve(s, coder="w", context=3)
        with pytest.raises(CodingError, match="0 or more"):
            coding.retrieve(s, context=-1)
    rows = frame.set_index(pd.Index(_ids(world, frame)))
    assert rows.loc["c3", "context_before"] == "州之间" and rows.loc["c3", "context_after"] == "。"
    assert rows.loc["c4", "context_before"] == "海来的" and rows.loc["c4", "context_after"] == "，这是"


def test_queries_counts_by_city_hand_checked(world):
    with store.session_scope(world["engine"]) as s:
        every = coding.counts_by_city(s)
        mark = coding.counts_by_city(s, code_ids=[world["code"]["Mark"]])
        mark_only = coding.counts_by_city(s, code_ids=[world["code"]["Mark"]], include_subcodes=False)
    assert every.to_dict("records") == [
        {"city_code": A, "n_direct": 1, "n_via_dyads": 1, "n_total": 2},
        {"city_code": B, "n_direct": 2, "n_via_dyads": 3, "n_total": 5},
        {"city_code": C, "n_direct": 0, "n_via_dyads": 2, "n_total": 2},
        {"city_code": D, "n_direct": 0, "n_via_dyads": 0, "n_total": 0},
    ]
    assert mark.set_index("city_code").loc[[A, B, C], "n_total"].tolist() == [1, 2, 0]
    assert mark.set_index("city_code").loc[B].tolist() == [1, 1, 2]
    assert mark_only.set_index("city_code").loc[[A, B, C, D], "n_total"].tolist() == [0, 1, 0, 0]


def test_queries_counts_by_dyad_hand_checked(world):
    with store.session_scope(world["engine"]) as s:
        every = coding.counts_by_dyad(s)
        mark = coding.counts_by_dyad(s, code_ids=world["code"]["Mark"])
        hole = coding.counts_by_dyad(s, code_ids=world["code"]["Hole"])
    assert every.to_dict("records") == [{"city_a": A, "city_b": B, "n_codings": 2},
                                        {"city_a": B, "city_b": C, "n_codings": 2}]
    assert mark.to_dict("records") == [{"city_a": A, "city_b": B, "n_codings": 1}]
    assert hole.to_dict("records") == [{"city_a": B, "city_b": C, "n_codings": 1}]


def test_queries_count_right_with_50000_codings(engine):
    """Counts and retrieval over 50,000 codings are exact; the
    time they take is measured by bench/unit_timings.py."""
    n = 50_000
    text = "跨城通办" * 5_000
    with store.session_scope(engine) as s:
        coding.ensure_default_codebook(s)
        mark = coding.code_id_by_name(s, "Mark")
        cities = [f"{i:06d}" for i in range(100, 255)]
        s.execute(insert(store.City), [{"code": c, "name": f"市{c}"} for c in cities])
        s.execute(insert(store.Dyad), [{"city_a": cities[i], "city_b": cities[i + 1]} for i in range(154)])
        doc = _doc(s, "big", "interview", text, False)
        s.execute(insert(store.Segment), [{"document_id": doc, "kind": "paragraph", "idx": i + 1, "start": i * 100,
                                           "end": i * 100 + 100} for i in range(200)])
        rows = [{"document_id": doc, "code_id": mark, "start": (i * 7) % 19_000, "end": (i * 7) % 19_000 + 4,
                 "quote": "x", "guid": f"g{i}", "coder": f"coder{i // 19_000}"} for i in range(n)]  # one per span and coder
        s.execute(insert(store.Coding), rows)
        s.execute(insert(store.CodingLink), [
            {"coding_id": i + 1, "city_code": cities[i % 155], "dyad_id": None} if i % 2  # same keys: one batch
            else {"coding_id": i + 1, "city_code": None, "dyad_id": i % 154 + 1} for i in range(n)])
    if engine.dialect.name == "postgresql":  # plans follow statistics; a reused test database has stale ones
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    with store.session_scope(engine) as s:
        by_city = coding.counts_by_city(s)
        by_dyad = coding.counts_by_dyad(s)
        frame = coding.retrieve(s, city=cities[1])
    assert int(by_city["n_direct"].sum()) == n // 2
    assert int(by_dyad["n_codings"].sum()) == n // 2
    # cities[1] is linked directly by odd i with i % 155 == 1, and sits in dyads 1 and 2 (ids): i % 154 in {0, 1}
    expected = {i + 1 for i in range(n) if (i % 2 and i % 155 == 1) or (not i % 2 and i % 154 in (0, 1))}
    assert set(frame["coding_id"]) == expected
