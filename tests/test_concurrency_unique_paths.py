"""Every path that writes codings meets the rule "one code on one span for one coder" (the
unique index ``ux_codings_one_span``) with a fold or one sentence, never a crash, on SQLite
and on PostgreSQL (where a refused statement would otherwise abort the transaction)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

import coding
import corpus
import store
from coding_state import add_cities, dump

SENTENCE = "信任是合作的基础。"
OLD = f"开场白。{SENTENCE}中间一段话。{SENTENCE}结尾。"
NEW = f"开场白。中间一段话。{SENTENCE}结尾。"  # the correction keeps one of the two sentences


def _n(s, model) -> int:
    return s.scalar(select(func.count()).select_from(model))


def test_reanchor_folds_two_codings_that_land_on_one_span(engine):
    with store.session_scope(engine) as s:
        add_cities(s)
        doc = corpus.import_text(s, OLD, name="访谈", kind="interview").document_id
        trust = coding.add_code(s, "Trust", coder="A")
        first, second = OLD.index(SENTENCE), OLD.rindex(SENTENCE)
        (c1,) = coding.add_coding(s, doc, first, first + 8, trust, coder="A", memo="first")
        (c2,) = coding.add_coding(s, doc, second, second + 8, trust, coder="A", memo="second")
        coding.link_city(s, c1, "320500", coder="A")
        coding.link_city(s, c2, "320500", coder="A")  # the same link: dropped when folded
        coding.link_city(s, c2, "310000", coder="A")  # a new one: moves to the kept coding
        memo = coding.add_memo(s, "coding", c2, "why twice", author="A")
        before = dump(s)
    with store.session_scope(engine) as s:
        report = coding.import_new_version(s, doc, NEW, coder="A")
    at = NEW.index(SENTENCE)
    with store.session_scope(engine) as s:
        rows = s.execute(select(store.Coding.id, store.Coding.document_id, store.Coding.start, store.Coding.memo)).all()
        assert rows == [(c1, report.new_document_id, at, "first\n\nsecond")]
        links = sorted(s.scalars(select(store.CodingLink.city_code).where(store.CodingLink.coding_id == c1)))
        assert links == ["310000", "320500"]
        assert s.get(store.Memo, memo).target_id == str(c1)
    statuses = {r["coding_id"]: r["status"] for r in report.codings}
    assert statuses[c2] == "folded" and statuses[c1] in ("anchored", "review")
    assert any(f"Coding {c2} landed on the span [{at}, {at + 8})" in w for w in report.warnings)
    with store.session_scope(engine) as s:
        coding.undo(s, "A")
        assert dump(s) == before  # both codings back, with their links and memos, ids and GUIDs


def test_undo_refuses_to_restore_a_coding_that_now_has_a_twin(engine):
    with store.session_scope(engine) as s:
        doc = corpus.import_text(s, OLD, name="访谈", kind="interview").document_id
        trust = coding.add_code(s, "Trust", coder="A")
        needs = coding.add_code(s, "Needs", coder="A")
        (c1,) = coding.add_coding(s, doc, 4, 12, trust, coder="A")
        (x,) = coding.add_coding(s, doc, 4, 12, needs, coder="A")
        coding.delete_coding(s, c1, coder="A")
    with store.session_scope(engine) as s:  # B merges Needs into Trust: A's coding x becomes Trust on that span
        coding.merge_codes(s, needs, trust, coder="B")
    with store.session_scope(engine) as s:
        with pytest.raises(coding.CodingError, match=f"coding {x} now holds the same code on the same span"):
            coding.undo(s, "A")
        assert _n(s, store.Coding) == 1  # the transaction is still usable and nothing changed
        coding.add_memo(s, "coding", x, "written after the refused undo", author="A")
    with store.session_scope(engine) as s:
        assert s.execute(select(store.Coding.id, store.Coding.code_id)).all() == [(x, trust)]
        assert _n(s, store.Memo) == 1


def test_update_and_merge_never_make_twins(engine):
    with store.session_scope(engine) as s:
        doc = corpus.import_text(s, OLD, name="访谈", kind="interview").document_id
        trust = coding.add_code(s, "Trust", coder="A")
        needs = coding.add_code(s, "Needs", coder="A")
        (a,) = coding.add_coding(s, doc, 4, 12, trust, coder="A", memo="a")
        (b,) = coding.add_coding(s, doc, 4, 12, needs, coder="A", memo="b")
    with store.session_scope(engine) as s:
        with pytest.raises(coding.CodingError, match=f"Coding {b} would then duplicate coding {a}"):
            coding.update_coding(s, b, code_id=trust)
        coding.add_memo(s, "code", needs, "still writable", author="A")
    with store.session_scope(engine) as s:
        out = coding.merge_codes(s, needs, trust, coder="A")
    assert out["collapsed"] == 1 and out["moved"] == 0
    with store.session_scope(engine) as s:
        assert s.execute(select(store.Coding.id, store.Coding.memo)).all() == [(a, "a\n\nb")]
