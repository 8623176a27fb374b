"""Memos on the project and on objects: targets checked, search, edits, events."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

import coding
import store
from coding import CodingError, EventType


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _world(session) -> tuple[int, int, int]:
    coding.ensure_default_codebook(session)
    session.add_all([store.City(code="320500", name="苏州市"), store.City(code="310000", name="上海市")])
    doc = store.Document(name="d", kind="policy", language="zh", text="跨城通办协议", text_sha256="0" * 64, n_chars=6)
    session.add(doc)
    session.flush()
    mark = coding.code_id_by_name(session, "Mark")
    (cid,) = coding.add_coding(session, doc.id, 0, 4, [mark])
    return doc.id, mark, cid


def test_memos_targets_and_listing(engine):
    with store.session_scope(engine) as s:
        doc, mark, cid = _world(s)
        ids = {
            "project": coding.add_memo(s, "project", None, "Overall plan", title="Plan"),
            "document": coding.add_memo(s, "document", doc, "Policy text, 2021"),
            "code": coding.add_memo(s, "code", mark, "Mark needs a sharper exclusion"),
            "coding": coding.add_memo(s, "coding", cid, "典型的留痕", author="wang"),
            "city": coding.add_memo(s, "city", "320500", "Many partners, few items"),
            "dyad": coding.add_memo(s, "dyad", ("320500", "310000"), "Shared history of officials"),
        }
        dyad = s.scalars(select(store.Dyad)).one()
        assert (dyad.city_a, dyad.city_b) == ("310000", "320500")
        all_memos = coding.list_memos(s)
        assert list(all_memos["id"]) == list(ids.values())
        assert list(all_memos.columns) == ["id", "target_type", "target_id", "title", "text", "author", "created",
                                           "updated"]
        assert list(coding.list_memos(s, "coding", cid)["id"]) == [ids["coding"]]
        assert list(coding.list_memos(s, "dyad", dyad.id)["id"]) == [ids["dyad"]]
        assert list(coding.list_memos(s, "dyad", ("320500", "310000"))["id"]) == [ids["dyad"]]
        assert coding.list_memos(s, "city", "310000").empty
        assert list(coding.list_memos(s, search="PLAN")["id"]) == [ids["project"]]
        assert list(coding.list_memos(s, search="留痕")["id"]) == [ids["coding"]]
        assert coding.list_memos(s, search="100%").empty
        events = s.scalars(select(store.Event).where(store.Event.type == EventType.MEMO_ADD)
                           .order_by(store.Event.id)).all()
        assert len(events) == 6
        assert [e.document_id for e in events] == [None, doc, None, doc, None, None]
        assert events[3].coder == "wang"
        assert events[5].payload["created_dyad"]["city_a"] == "310000"


@pytest.mark.parametrize(
    "target_type, target_id, match",
    [("project", 1, "no target id"), ("document", 99, "Document 99"), ("code", 99, "Code 99"),
     ("coding", 99, "Coding 99"), ("city", "000000", "not in the project"), ("dyad", 99, "Dyad 99"),
     ("dyad", ("320500", "320500"), "two different"), ("interview", 1, "unknown"), ("code", None, "needs a target")],
)
def test_memos_bad_targets_write_nothing(engine, target_type, target_id, match):
    with store.session_scope(engine) as s:
        _world(s)
        before = (_count(s, store.Memo), _count(s, store.Event), _count(s, store.Dyad))
        with pytest.raises(CodingError, match=match):
            coding.add_memo(s, target_type, target_id, "text")
        assert (_count(s, store.Memo), _count(s, store.Event), _count(s, store.Dyad)) == before


def test_memos_update_and_delete(engine):
    with store.session_scope(engine) as s:
        doc, _, _ = _world(s)
        with pytest.raises(CodingError, match="both are empty"):
            coding.add_memo(s, "document", doc, "  ")
        mid = coding.add_memo(s, "document", doc, "first", title="T", author="li")
        coding.update_memo(s, mid, text="second")
        memo = coding.list_memos(s).iloc[0]
        assert (memo["text"], memo["title"], memo["author"]) == ("second", "T", "li")
        with pytest.raises(CodingError, match="neither title nor text"):
            coding.update_memo(s, mid, text="", title="")
        coding.delete_memo(s, mid, coder="wang")
        assert coding.list_memos(s).empty
        kinds = [(e.type, e.coder, e.document_id) for e in s.scalars(select(store.Event).order_by(store.Event.id))]
        assert kinds[-3:] == [("memo_add", "li", doc), ("memo_update", "li", doc), ("memo_delete", "wang", doc)]
        upd = s.scalars(select(store.Event).where(store.Event.type == "memo_update")).one()
        assert upd.payload["memo_id"] == mid  # the "updated" stamps ride along, so undo restores them exactly
        assert {k: v for k, v in upd.payload["before"].items() if k != "updated"} == {"text": "first"}
        assert {k: v for k, v in upd.payload["after"].items() if k != "updated"} == {"text": "second"}
        assert "updated" in upd.payload["before"] and "updated" in upd.payload["after"]
        deleted = s.scalars(select(store.Event).where(store.Event.type == "memo_delete")).one()
        assert deleted.payload["memo"]["text"] == "second" and deleted.payload["memo"]["title"] == "T"
        with pytest.raises(CodingError, match="does not exist"):
            coding.delete_memo(s, mid)
