"""Links from codings to cities and dyads, and suggestions from place mentions."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

import coding
import store
from coding import CodingError, EventType

CITIES = {"320500": ("苏州市", "苏州"), "310000": ("上海市", "上海"), "341300": ("宿州市", "宿州"),
          "330500": ("湖州市", "湖州")}
# ¶1 names 苏州 and 上海 outside the later coded phrase; ¶2 names 宿州 and 苏州 inside it; ¶3 no city.
P1 = "😀 苏州与上海签署了跨城通办协议，但是没有具体事项。"
P2 = "𠀀 后来宿州也来找苏州谈合作。"
P3 = "这一段没有地名。"
TEXT = "\n\n".join([P1, P2, P3])


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _world(session) -> tuple[int, int]:
    coding.ensure_default_codebook(session)
    for code, (name, short) in CITIES.items():
        session.add(store.City(code=code, name=name, short_name=short))
    doc = store.Document(name="访谈", kind="interview", language="zh", text=TEXT, text_sha256="0" * 64,
                         n_chars=len(TEXT))
    session.add(doc)
    session.flush()
    pos = 0
    for idx, block in enumerate([P1, P2, P3], start=1):
        session.add(store.Segment(document_id=doc.id, kind="paragraph", idx=idx, start=pos, end=pos + len(block)))
        pos += len(block) + 2
    # mentions found independently by searching the short names
    for code, (_, short) in CITIES.items():
        at = TEXT.find(short)
        while at != -1:
            session.add(store.PlaceMention(document_id=doc.id, city_code=code, start=at, end=at + len(short),
                                           surface=short))
            at = TEXT.find(short, at + 1)
    session.flush()
    return doc.id, coding.code_id_by_name(session, "Mark")


def test_links_dyad_folds_pair_and_creates_row(engine):
    with store.session_scope(engine) as s:
        doc, mark = _world(s)
        (cid,) = coding.add_coding(s, doc, 2, 10, [mark])
        assert _count(s, store.Dyad) == 0
        first = coding.link_dyad(s, cid, "320500", "310000")
        dyad = s.scalars(select(store.Dyad)).one()
        assert (dyad.city_a, dyad.city_b) == ("310000", "320500")
        assert coding.link_dyad(s, cid, "310000", "320500") == first
        assert _count(s, store.CodingLink) == 1 and _count(s, store.Dyad) == 1
        (event,) = s.scalars(select(store.Event).where(store.Event.type == EventType.LINK_ADD)).all()
        assert event.payload["created_dyad"] == {"id": dyad.id, "city_a": "310000", "city_b": "320500"}
        (c2,) = coding.add_coding(s, doc, 3, 5, [mark])
        coding.link_dyad(s, c2, "320500", "310000")
        assert _count(s, store.Dyad) == 1
        last = s.scalars(select(store.Event).order_by(store.Event.id.desc())).first()
        assert last.payload["created_dyad"] is None
        assert coding.links_of(s, cid) == [{"id": first, "kind": "dyad", "dyad_id": dyad.id, "city_a": "310000",
                                            "city_b": "320500", "label": "上海市–苏州市", "origin": "manual"}]


def test_links_self_pair_and_unknown_city_write_nothing(engine):
    with store.session_scope(engine) as s:
        doc, mark = _world(s)
        (cid,) = coding.add_coding(s, doc, 2, 10, [mark])
        before = (_count(s, store.CodingLink), _count(s, store.Dyad), _count(s, store.Event))
        with pytest.raises(CodingError, match="two different cities"):
            coding.link_dyad(s, cid, "320500", "320500")
        with pytest.raises(CodingError, match="'999999' is not in the project"):
            coding.link_dyad(s, cid, "320500", "999999")
        with pytest.raises(CodingError, match="not in the project"):
            coding.link_city(s, cid, "苏州")
        with pytest.raises(CodingError, match="origin"):
            coding.link_city(s, cid, "320500", origin="guess")
        with pytest.raises(CodingError, match="Coding 77"):
            coding.link_city(s, 77, "320500")
        assert (_count(s, store.CodingLink), _count(s, store.Dyad), _count(s, store.Event)) == before


def test_links_city_link_unlink_and_events(engine):
    with store.session_scope(engine) as s:
        doc, mark = _world(s)
        (cid,) = coding.add_coding(s, doc, 2, 10, [mark], coder="zhang")
        link = coding.link_city(s, cid, "320500")
        assert coding.link_city(s, cid, "320500") == link
        assert coding.links_of(s, cid) == [{"id": link, "kind": "city", "city_code": "320500", "label": "苏州市",
                                            "origin": "manual"}]
        coding.unlink(s, link, coder="li")
        assert coding.links_of(s, cid) == []
        kinds = [(e.type, e.coder) for e in s.scalars(select(store.Event).order_by(store.Event.id))][-2:]
        assert kinds == [("link_add", "zhang"), ("link_delete", "li")]
        with pytest.raises(CodingError, match="does not exist"):
            coding.unlink(s, link)


def test_links_suggestions_from_paragraph_when_span_has_no_mention(engine):
    with store.session_scope(engine) as s:
        doc, mark = _world(s)
        start = TEXT.index("跨城通办")
        (cid,) = coding.add_coding(s, doc, start, start + 4, [mark])
        got = coding.suggest_links(s, cid)
    assert got == [
        {"kind": "city", "city_code": "320500", "label": "苏州市", "reason": "named in ¶ 1 as “苏州”"},
        {"kind": "city", "city_code": "310000", "label": "上海市", "reason": "named in ¶ 1 as “上海”"},
        {"kind": "dyad", "city_a": "310000", "city_b": "320500", "label": "上海市–苏州市",
         "reason": "both named in ¶ 1"},
    ]


def test_links_suggestions_inside_span_and_exclusion_of_linked(engine):
    with store.session_scope(engine) as s:
        doc, mark = _world(s)
        start = TEXT.index("宿州也来")
        (cid,) = coding.add_coding(s, doc, start, start + len("宿州也来找苏州"), [mark])
        got = coding.suggest_links(s, cid)
        assert [(g["kind"], g.get("city_code"), g.get("city_a"), g.get("city_b")) for g in got] == [
            ("city", "341300", None, None), ("city", "320500", None, None), ("dyad", None, "320500", "341300")]
        assert got[0]["reason"] == "named in the coded passage as “宿州”"
        assert got[2]["label"] == "苏州市–宿州市"
        link = coding.accept_suggestion(s, cid, got[2])
        assert coding.links_of(s, cid)[0]["origin"] == "suggestion" and coding.links_of(s, cid)[0]["id"] == link
        coding.accept_suggestion(s, cid, got[0])
        assert [g.get("city_code") for g in coding.suggest_links(s, cid)] == ["320500"]
        with pytest.raises(CodingError, match="neither"):
            coding.accept_suggestion(s, cid, {"kind": "region"})


def test_links_suggestions_span_over_two_paragraphs_and_none(engine):
    with store.session_scope(engine) as s:
        doc, mark = _world(s)
        end_of_p1 = len(P1)
        # "。\n\n𠀀" crosses from ¶1 into ¶2 but holds no mention: both paragraphs are searched
        (cid,) = coding.add_coding(s, doc, end_of_p1 - 1, end_of_p1 + 3, [mark])
        got = coding.suggest_links(s, cid)
        assert {g["reason"] for g in got if g["kind"] == "dyad"} == {"both named in ¶ 1–2"}
        assert [g["city_code"] for g in got if g["kind"] == "city"] == ["320500", "310000", "341300"]
        assert len([g for g in got if g["kind"] == "dyad"]) == 3
        p3 = TEXT.index(P3)
        (none,) = coding.add_coding(s, doc, p3, p3 + 3, [mark])
        assert coding.suggest_links(s, none) == []
