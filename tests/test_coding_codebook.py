"""Codebook tree: the default codebook, names, moves, deletes, variable map, events."""
from __future__ import annotations

import itertools
import math

import pytest
from sqlalchemy import func, select

import coding
import store
from coding import CodingError, EventType


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _events(session, type_=None) -> list[store.Event]:
    stmt = select(store.Event).order_by(store.Event.id)
    if type_ is not None:
        stmt = stmt.where(store.Event.type == str(type_))
    return list(session.scalars(stmt))


def _doc(session, text: str, name: str = "doc") -> int:
    doc = store.Document(name=name, kind="interview", language="zh", text=text, text_sha256="0" * 64,
                         n_chars=len(text))
    session.add(doc)
    session.flush()
    return doc.id


def _relative_luminance(colour: str) -> float:
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_codebook_default_tree_created_once(engine):
    with store.session_scope(engine) as s:
        assert coding.ensure_default_codebook(s) == 15
        assert coding.ensure_default_codebook(s) == 0
        book = coding.codebook(s)
        assert len(_events(s, EventType.CODEBOOK_SEED)) == 1
    assert list(book["path"]) == [
        "Behaviour", "Behaviour/Mark", "Behaviour/Hole",
        "Needs", "Needs/Social needs", "Needs/Regional needs", "Needs/Organizational needs",
        "Supply", "Supply/Financial supply", "Supply/Administrative supply", "Supply/Personal-relationship supply",
        "Dimensions", "Dimensions/Breadth", "Dimensions/Connection", "Dimensions/Degree",
    ]
    assert list(book.columns) == ["id", "parent_id", "name", "path", "depth", "definition", "inclusion",
                                  "exclusion", "example", "colour", "codable", "n_codings"]
    categories = book[book["depth"] == 0]
    assert not categories["codable"].any() and categories["parent_id"].isna().all()
    codes = book[book["depth"] == 1]
    assert codes["codable"].all() and len(codes) == 11
    assert (codes["definition"].str.len() > 40).all()
    assert (codes["inclusion"] != "").all() and (codes["exclusion"] != "").all() and (codes["example"] != "").all()


def test_codebook_default_colours_are_light_and_distinct(engine):
    with store.session_scope(engine) as s:
        coding.ensure_default_codebook(s)
        book = coding.codebook(s)
    assert book["colour"].str.fullmatch(r"#[0-9A-F]{6}").all()
    # WCAG contrast of black text over the highlight: (L1 + 0.05) / (L2 + 0.05)
    for colour in book["colour"]:
        assert (_relative_luminance(colour) + 0.05) / 0.05 >= 12, colour
    codable = list(book.loc[book["codable"], "colour"])
    assert len(set(codable)) == len(codable)

    def rgb(c):
        return [int(c[i:i + 2], 16) for i in (1, 3, 5)]

    assert min(math.dist(rgb(a), rgb(b)) for a, b in itertools.combinations(codable, 2)) >= 24


def test_codebook_default_variable_map(engine):
    with store.session_scope(engine) as s:
        coding.ensure_default_codebook(s)
        vmap = coding.variable_map(s)
        by_name = {coding.codebook(s).set_index("id").loc[cid, "name"]: v for cid, v in vmap.items()}
    assert by_name == {
        "Social needs": ["log_gravity", "log_pop"],
        "Regional needs": ["same_strategy", "in_strategy"],
        "Organizational needs": ["capital_any", "capital"],
        "Financial supply": ["urban_share_min", "urban_share"],
        "Administrative supply": ["log_pop_min"],
        "Personal-relationship supply": ["same_province"],
    }


def test_codebook_names_unique_among_siblings(engine):
    with store.session_scope(engine) as s:
        coding.ensure_default_codebook(s)
        needs = coding.code_id_by_name(s, "Needs")
        n_codes, n_events = _count(s, store.Code), _count(s, store.Event)
        with pytest.raises(CodingError, match="already exists"):
            coding.add_code(s, "social NEEDS", parent_id=needs)
        with pytest.raises(CodingError, match="already exists"):
            coding.add_code(s, "Needs")  # top level
        for bad in ("", "   ", "a/b", None):
            with pytest.raises(CodingError):
                coding.add_code(s, bad)
        with pytest.raises(CodingError, match="#RRGGBB"):
            coding.add_code(s, "New", colour="red")
        with pytest.raises(CodingError, match="does not exist"):
            coding.add_code(s, "New", parent_id=9999)
        assert (_count(s, store.Code), _count(s, store.Event)) == (n_codes, n_events)
        # the same name under another parent is fine, and bare look-up then is ambiguous
        other = coding.add_code(s, "Social needs", parent_id=coding.code_id_by_name(s, "Supply"), colour="#abcdef")
        assert coding.codebook(s).set_index("id").loc[other, "colour"] == "#ABCDEF"
        with pytest.raises(CodingError, match="ambiguous.*Needs/Social needs.*Supply/Social needs"):
            coding.code_id_by_name(s, "Social needs")
        assert coding.code_id_by_name(s, "Supply/Social needs") == other
        assert coding.code_id_by_name(s, "needs/social needs") != other
        with pytest.raises(CodingError, match="No code"):
            coding.code_id_by_name(s, "Nothing")


def test_codebook_add_code_auto_colour_and_event(engine):
    with store.session_scope(engine) as s:
        a = coding.add_code(s, "Trust", definition="Trust between bureaus", coder="li")
        b = coding.add_code(s, "Distance", parent_id=a)
        book = coding.codebook(s).set_index("id")
        assert book.loc[a, "colour"] != book.loc[b, "colour"]
        assert book.loc[b, "path"] == "Trust/Distance" and book.loc[b, "depth"] == 1
        added = _events(s, EventType.CODE_ADD)
        assert [e.payload["code"]["id"] for e in added] == [a, b]
        assert added[0].coder == "li" and added[0].payload["code"]["definition"] == "Trust between bureaus"


def test_codebook_move_refuses_cycles(engine):
    with store.session_scope(engine) as s:
        top = coding.add_code(s, "Top", codable=False)
        mid = coding.add_code(s, "Mid", parent_id=top)
        low = coding.add_code(s, "Low", parent_id=mid)
        other = coding.add_code(s, "Other")
        for target in (top, mid, low):
            with pytest.raises(CodingError, match="cycle"):
                coding.move_code(s, top, target)
        with pytest.raises(CodingError, match="cycle"):
            coding.move_code(s, mid, low)
        assert _events(s, EventType.CODE_MOVE) == []
        coding.move_code(s, mid, other)
        book = coding.codebook(s).set_index("id")
        assert book.loc[low, "path"] == "Other/Mid/Low"
        assert book.loc[low, "depth"] == 2
        (event,) = _events(s, EventType.CODE_MOVE)
        assert event.payload["before"]["parent_id"] == top and event.payload["after"]["parent_id"] == other
        coding.move_code(s, mid, None)
        assert coding.codebook(s).set_index("id").loc[low, "path"] == "Mid/Low"


def test_codebook_move_refuses_name_clash(engine):
    with store.session_scope(engine) as s:
        a = coding.add_code(s, "A")
        b = coding.add_code(s, "B")
        coding.add_code(s, "X", parent_id=a)
        x2 = coding.add_code(s, "X", parent_id=b)
        with pytest.raises(CodingError, match="already exists"):
            coding.move_code(s, x2, a)


def test_codebook_delete_refused_with_codings_or_children(engine):
    with store.session_scope(engine) as s:
        doc = _doc(s, "我们和苏州签了协议，但没有事项。")
        parent = coding.add_code(s, "Parent")
        child = coding.add_code(s, "Child", parent_id=parent)
        used = coding.add_code(s, "Used")
        (cid,) = coding.add_coding(s, doc, 0, 5, [used])
        n = (_count(s, store.Code), _count(s, store.Coding), _count(s, store.Event))
        with pytest.raises(CodingError, match="1 coding"):
            coding.delete_code(s, used)
        with pytest.raises(CodingError, match="1 sub-code"):
            coding.delete_code(s, parent)
        assert (_count(s, store.Code), _count(s, store.Coding), _count(s, store.Event)) == n
        assert coding.delete_code(s, child) == {"codes": 1, "codings": 0, "links": 0, "memos": 0}
        assert coding.delete_code(s, parent) == {"codes": 1, "codings": 0, "links": 0, "memos": 0}
        assert s.get(store.Coding, cid) is not None


def test_codebook_force_delete_removes_subtree_and_keeps_it_in_event(engine):
    with store.session_scope(engine) as s:
        doc = _doc(s, "我们和苏州签了协议，但没有事项。")
        s.add(store.City(code="320500", name="苏州市"))
        top = coding.add_code(s, "Top", codable=False)
        mid = coding.add_code(s, "Mid", parent_id=top)
        low = coding.add_code(s, "Low", parent_id=mid)
        keep = coding.add_code(s, "Keep")
        coding.set_variable_map(s, low, ["x1"])
        c_mid = coding.add_coding(s, doc, 0, 5, [mid])[0]
        c_low, c_keep = coding.add_coding(s, doc, 3, 8, [low, keep])
        coding.link_city(s, c_low, "320500")
        coding.add_memo(s, "coding", c_mid, "why")
        coding.add_memo(s, "code", low, "about Low")
        counts = coding.delete_code(s, top, force=True, coder="wang")
        assert counts == {"codes": 3, "codings": 2, "links": 1, "memos": 2}
        assert [int(i) for i in coding.codebook(s)["id"]] == [keep]
        assert [c.id for c in s.scalars(select(store.Coding))] == [c_keep]
        assert _count(s, store.CodingLink) == 0 and _count(s, store.Memo) == 0
        assert coding.variable_map(s) == {}
        (event,) = _events(s, EventType.CODE_DELETE)
        assert event.coder == "wang"
        assert sorted(c["id"] for c in event.payload["codes"]) == sorted([top, mid, low])
        assert sorted(c["id"] for c in event.payload["codings"]) == sorted([c_mid, c_low])
        assert event.payload["links"][0]["city_code"] == "320500"
        assert {m["text"] for m in event.payload["memos"]} == {"why", "about Low"}
        assert event.payload["variable_map"] == [[low, "x1"]]


def test_codebook_update_and_rename(engine):
    with store.session_scope(engine) as s:
        doc = _doc(s, "一二三四五六")
        a = coding.add_code(s, "A")
        coding.add_code(s, "B")
        coding.rename_code(s, a, "  Alpha   code ")
        assert coding.codebook(s).set_index("id").loc[a, "name"] == "Alpha code"
        (ren,) = _events(s, EventType.CODE_RENAME)
        assert ren.payload == {"code_id": a, "before": {"name": "A"}, "after": {"name": "Alpha code"}}
        with pytest.raises(CodingError, match="already exists"):
            coding.rename_code(s, a, "b")
        coding.update_code(s, a, definition="new def", colour="#112233")
        (upd,) = _events(s, EventType.CODE_UPDATE)
        assert upd.payload["after"] == {"definition": "new def", "colour": "#112233"}
        with pytest.raises(CodingError, match="cannot be changed"):
            coding.update_code(s, a, guid="x")
        coding.add_coding(s, doc, 0, 2, [a])
        with pytest.raises(CodingError, match="cannot become a category"):
            coding.update_code(s, a, codable=False)
        assert coding.codebook(s).set_index("id").loc[a, "n_codings"] == 1


def test_codebook_set_variable_map(engine):
    with store.session_scope(engine) as s:
        a = coding.add_code(s, "A")
        coding.set_variable_map(s, a, ["log_pop", " log_pop ", "capital"])
        assert coding.variable_map(s) == {a: ["log_pop", "capital"]}
        coding.set_variable_map(s, a, ["capital"])
        assert coding.variable_map(s) == {a: ["capital"]}
        events = _events(s, EventType.VARIABLE_MAP_SET)
        assert [e.payload["before"] for e in events] == [[], ["log_pop", "capital"]]
        with pytest.raises(CodingError):
            coding.set_variable_map(s, a, "capital")
        with pytest.raises(CodingError):
            coding.set_variable_map(s, a, ["ok", ""])
        assert coding.variable_map(s) == {a: ["capital"]}
