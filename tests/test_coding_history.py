"""Undo and redo of every kind of change restore the exact rows; per-coder stacks; restarts;
refusals leave nothing written; the history view."""
from __future__ import annotations

import pytest
from sqlalchemy import select

import coding
import store
from coding import CodingError
from coding.eventlog.undo import HISTORY_COLUMNS
from store.models import AutocodeRule, Suggestion
from coding_state import TEXT, add_cities, base_project, count, dump

A, B = "A", "B"

NEW_TEXT = TEXT.replace("苏州与上海", "据悉，苏州与上海") + "\n\n第四段：补充说明。"

# name -> change made by coder A on the base project (ids in k)
CHANGES = {
    "code_add": lambda s, k: coding.add_code(s, "Capacity", parent_id=k["supply"], coder=A),
    "code_rename": lambda s, k: coding.rename_code(s, k["trust"], "Mutual trust", coder=A),
    "code_update": lambda s, k: coding.update_code(s, k["trust"], definition="new", colour="#123456", coder=A),
    "code_move": lambda s, k: coding.move_code(s, k["needs"], k["trust"], coder=A),
    "code_delete_subtree": lambda s, k: coding.delete_code(s, k["supply"], force=True, coder=A),
    "code_delete_linked": lambda s, k: coding.delete_code(s, k["trust"], force=True, coder=A),
    "variable_map_set": lambda s, k: coding.set_variable_map(s, k["trust"], ["dist_km", "same_province"], coder=A),
    "coding_add": lambda s, k: coding.add_coding(s, k["doc"], 0, 7, [k["trust"], k["needs"]], coder=A),
    "coding_update": lambda s, k: coding.update_coding(s, k["c1"], start=TEXT.index("没有信任"), end=TEXT.index("没有信任") + 4,
                                                       code_id=k["needs"], memo="moved", coder=A),
    "coding_delete": lambda s, k: coding.delete_coding(s, k["c1"], coder=A),
    "link_add_city": lambda s, k: coding.link_city(s, k["c2"], "320500", coder=A),
    "link_add_new_dyad": lambda s, k: coding.link_dyad(s, k["c2"], "330100", "310000", coder=A),
    "link_delete": lambda s, k: coding.unlink(s, k["link_dyad"], coder=A),
    "memo_add_new_dyad": lambda s, k: coding.add_memo(s, "dyad", ("330100", "320500"), "pair", author=A),
    "memo_update": lambda s, k: coding.update_memo(s, k["memo_code"], text="edited", title="T", coder=A),
    "memo_delete": lambda s, k: coding.delete_memo(s, k["memo_coding"], coder=A),
    "code_merge": lambda s, k: coding.merge_codes(s, k["needs"], k["trust"], coder=A),
    "code_split": lambda s, k: coding.split_code(s, k["trust"], ["Vertical", "Horizontal"], coder=A),
    "document_import": lambda s, k: coding.import_source(s, "上海与杭州签署协议。", name="访谈2", coder=A),
    "document_version": lambda s, k: coding.import_new_version(s, k["doc"], NEW_TEXT, coder=A),
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_history_undo_redo_restores_exact_rows(engine, name):
    with store.session_scope(engine) as s:
        k = base_project(s)
        before = dump(s)
    with store.session_scope(engine) as s:
        CHANGES[name](s, k)
        after = dump(s)
    assert after != before
    for _ in range(2):  # undo, redo, undo, redo: each lands on the exact rows
        with store.session_scope(engine) as s:
            done = coding.undo(s, A)
            assert done is not None and done["coder"] == A
        with store.session_scope(engine) as s:
            assert dump(s) == before
        with store.session_scope(engine) as s:
            assert coding.redo(s, A)["event_id"] == done["event_id"]
        with store.session_scope(engine) as s:
            assert dump(s) == after
    with store.session_scope(engine) as s:
        assert coding.redo(s, A) is None  # nothing left to redo
        assert coding.history(s, coder=A)["state"].iloc[2] == "done"


def test_history_codebook_seed_undo_redo(engine):
    with store.session_scope(engine) as s:
        before = dump(s)
        assert coding.ensure_default_codebook(s, coder=A) == 15
        after = dump(s)
        ids = [r[0] for r in after["codes"]]
    with store.session_scope(engine) as s:
        coding.undo(s, A)
        assert dump(s) == before and count(s, store.Code) == 0 and dump(s)["code_variable_map"] == []
        coding.redo(s, A)
        assert dump(s) == after and [r[0] for r in dump(s)["codes"]] == ids


def test_history_undo_delete_restores_same_id_guid_links_and_memo(engine):
    with store.session_scope(engine) as s:
        k = base_project(s)
        row = s.get(store.Coding, k["c1"])
        kept = (row.id, row.guid, row.document_id, row.code_id, row.start, row.end, row.quote, row.prefix,
                row.suffix, row.memo, row.coder)
        links = coding.links_of(s, k["c1"])
        memos = coding.list_memos(s, "coding", k["c1"])[["id", "text"]].values.tolist()
    assert len(links) == 2 and memos == [[k["memo_coding"], "said twice"]]
    with store.session_scope(engine) as s:
        coding.delete_coding(s, k["c1"], coder=A)
        assert s.get(store.Coding, k["c1"]) is None and count(s, store.CodingLink) == 0
    with store.session_scope(engine) as s:
        coding.undo(s, A)
    with store.session_scope(engine) as s:
        row = s.get(store.Coding, k["c1"])
        assert (row.id, row.guid, row.document_id, row.code_id, row.start, row.end, row.quote, row.prefix,
                row.suffix, row.memo, row.coder) == kept
        assert row.quote == "信任是合作的基础" and row.start == TEXT.index("信任是合作的基础")
        assert coding.links_of(s, k["c1"]) == links
        assert coding.list_memos(s, "coding", k["c1"])[["id", "text"]].values.tolist() == memos


def test_history_undo_coding_add_removes_other_coders_links_and_redo_restores_them(engine):
    with store.session_scope(engine) as s:
        add_cities(s)
        doc = coding.import_source(s, TEXT, name="d", coder=A).document_id
        code = coding.add_code(s, "Trust", coder=A)
        (cid,) = coding.add_coding(s, doc, 0, 2, code, coder=A)
        link = coding.link_city(s, cid, "320500", coder=B)
        memo = coding.add_memo(s, "coding", cid, "B's note", author=B)
        n_links, n_memos = count(s, store.CodingLink), count(s, store.Memo)
    assert (n_links, n_memos) == (1, 1)
    with store.session_scope(engine) as s:
        assert coding.undo(s, A)["type"] == "coding_add"
        assert (count(s, store.Coding), count(s, store.CodingLink), count(s, store.Memo)) == (0, 0, 0)
    with store.session_scope(engine) as s:
        coding.redo(s, A)
        assert [k["id"] for k in coding.links_of(s, cid)] == [link]
        assert coding.list_memos(s, "coding", cid)["id"].tolist() == [memo]
    with store.session_scope(engine) as s:  # B's own stack still works on the restored rows
        assert coding.undo(s, B)["type"] == "memo_add"
        assert coding.undo(s, B)["type"] == "link_add"
        assert count(s, store.CodingLink) == 0 and count(s, store.Coding) == 1


def test_history_per_coder_stacks_and_redo_cleared_by_new_change(engine):
    with store.session_scope(engine) as s:
        x = coding.add_code(s, "X", coder=A)
        y = coding.add_code(s, "Y", coder=B)
        coding.rename_code(s, x, "X2", coder=A)
    with store.session_scope(engine) as s:
        assert coding.undo(s, A)["type"] == "code_rename"  # A's latest, although B's came in between
        assert s.get(store.Code, x).name == "X" and s.get(store.Code, y).name == "Y"
        assert coding.undo(s, B)["type"] == "code_add"
        assert s.get(store.Code, y) is None and s.get(store.Code, x) is not None
        assert coding.peek(s, A)["redo"]["type"] == "code_rename"
        coding.add_code(s, "Z", coder=A)  # a new change by A clears A's redo stack only
        assert coding.redo(s, A) is None
        assert coding.redo(s, B)["type"] == "code_add"
        assert s.get(store.Code, y).name == "Y"
        states = coding.history(s, coder=A).set_index("type")["state"]
        assert states["code_rename"] == "discarded" and states["code_add"].tolist() == ["done", "done"]


def test_history_undo_and_redo_survive_a_restart(tmp_path):
    path = tmp_path / "project.sqlite"
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        k = base_project(s)
        before = dump(s)
    with store.session_scope(engine) as s:
        coding.merge_codes(s, k["needs"], k["trust"], coder=A)
        after = dump(s)
    engine.dispose()
    engine = store.connect(path)  # a fresh engine on the same file: all state is in the database
    with store.session_scope(engine) as s:
        assert coding.undo(s, A)["type"] == "code_merge"
    engine.dispose()
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        assert dump(s) == before
        assert coding.peek(s, A)["redo"]["type"] == "code_merge"
        coding.redo(s, A)
    engine.dispose()
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        assert dump(s) == after
    engine.dispose()


def test_history_undo_refused_when_the_document_is_gone(engine):
    with store.session_scope(engine) as s:
        add_cities(s)
        doc = coding.import_source(s, TEXT, name="d", coder=A).document_id
        code = coding.add_code(s, "Trust", coder=B)
        (cid,) = coding.add_coding(s, doc, 0, 2, code, coder=B)
        coding.delete_coding(s, cid, coder=B)
    with store.session_scope(engine) as s:
        assert coding.undo(s, A)["type"] == "document_import"  # no codings left: the document goes
        before = dump(s)
        n_events = count(s, store.Event)
    with store.session_scope(engine) as s:
        with pytest.raises(CodingError, match=r"cannot be undone: .*document 1 no longer exists"):
            coding.undo(s, B)
        assert dump(s) == before and count(s, store.Event) == n_events
        assert coding.peek(s, B)["undo"]["type"] == "coding_delete"  # still at the top of B's stack


def test_history_failed_undo_midway_leaves_nothing_written(engine):
    """Undo of a forced code delete restores codes first; a coding whose document is gone stops it."""
    with store.session_scope(engine) as s:
        add_cities(s)
        d1 = coding.import_source(s, TEXT, name="d1", coder=A).document_id
        d2 = coding.import_source(s, "上海与杭州签署协议。", name="d2", coder="C").document_id
        parent = coding.add_code(s, "P", coder=A)
        child = coding.add_code(s, "Q", parent_id=parent, coder=A)
        coding.add_coding(s, d1, 0, 2, child, coder=A)
        coding.add_coding(s, d2, 0, 2, parent, coder=A)
        coding.delete_code(s, parent, force=True, coder=A)
        assert coding.undo(s, "C")["type"] == "document_import"
        before = dump(s)
    with store.session_scope(engine) as s:
        with pytest.raises(CodingError, match="document 2 no longer exists"):
            coding.undo(s, A)
        assert dump(s) == before and count(s, store.Code) == 0


def test_history_undo_refused_while_another_coder_uses_the_new_code(engine):
    with store.session_scope(engine) as s:
        doc = coding.import_source(s, TEXT, name="d", coder=B).document_id
        code = coding.add_code(s, "Trust", coder=A)
        coding.add_coding(s, doc, 0, 2, code, coder=B)
        before = dump(s)
        with pytest.raises(CodingError, match=r"Code 'Trust' \(\d+\) cannot be removed: it now has 1 coding"):
            coding.undo(s, A)
        assert dump(s) == before


def test_history_view_columns_states_and_limits(engine):
    with store.session_scope(engine) as s:
        assert coding.undo(s, A) is None and coding.redo(s, A) is None
        assert coding.peek(s, A) == {"undo": None, "redo": None}
        x = coding.add_code(s, "X", coder=A)
        coding.rename_code(s, x, "Y", coder=A)
        coding.undo(s, A)
        frame = coding.history(s)
        assert list(frame.columns) == HISTORY_COLUMNS
        assert frame["type"].tolist() == ["undo", "code_rename", "code_add"]
        assert frame["state"].tolist() == ["done", "undone", "done"]
        assert frame["target_event"].iloc[0] == frame["id"].iloc[1]
        assert frame["summary"].tolist() == ["undid event 2 (code_rename)", "renamed code 1 “X” → “Y”",
                                             "added code “X”"]
        assert len(coding.history(s, limit=1)) == 1 and coding.history(s, coder=B).empty
        for bad in (0, -3, 2.5, True):
            with pytest.raises(CodingError, match="positive integer"):
                coding.history(s, limit=bad)
        with pytest.raises(CodingError, match="Coder"):
            coding.undo(s, "  ")
        log = s.scalars(select(store.Event).order_by(store.Event.id)).all()
        assert [e.undone for e in log] == [0, 1, 0]


def _rows(s, name):
    t = store.Base.metadata.tables[name]
    return [tuple(r) for r in s.execute(select(t).order_by(t.c.id))]


def test_history_rows_that_hang_on_a_coding_or_code_leave_and_come_back(engine):
    """Rows of other tables referring to a removed row (suggestions, auto-coding rules) are kept in the undo."""
    with store.session_scope(engine) as s:
        add_cities(s)
        doc = coding.import_source(s, TEXT, name="d", coder=A).document_id
        code = coding.add_code(s, "Trust", coder=A)
        (cid,) = coding.add_coding(s, doc, 0, 2, code, coder=A)
        s.add(AutocodeRule(code_id=code, kind="keywords", pattern=["信任", "合作"]))
        s.flush()
        s.add(Suggestion(kind="city", document_id=doc, coding_id=cid, city_code="320500", reason="named"))
        rules, suggestions = _rows(s, "autocode_rules"), _rows(s, "suggestions")
    assert len(rules) == len(suggestions) == 1
    with store.session_scope(engine) as s:
        assert coding.undo(s, A)["type"] == "coding_add"
        assert _rows(s, "suggestions") == [] and _rows(s, "autocode_rules") == rules
        assert coding.undo(s, A)["type"] == "code_add"
        assert _rows(s, "autocode_rules") == []
        coding.redo(s, A)
        coding.redo(s, A)
        assert _rows(s, "autocode_rules") == rules and _rows(s, "suggestions") == suggestions


def test_history_undo_delete_of_a_subtree_whose_ids_are_not_in_tree_order(engine):
    with store.session_scope(engine) as s:
        leaf = coding.add_code(s, "Leaf", coder=A)  # lower id than the parent it will move under
        top = coding.add_code(s, "Top", codable=False, coder=A)
        coding.move_code(s, leaf, top, coder=A)
        seed_free = dump(s)
        coding.delete_code(s, top, force=True, coder=A)
        assert coding.undo(s, A)["type"] == "code_delete"
        assert dump(s) == seed_free and s.get(store.Code, leaf).parent_id == top


def test_history_undo_seed_after_a_seeded_code_moved_under_a_later_one(engine):
    with store.session_scope(engine) as s:
        coding.ensure_default_codebook(s, coder=A)
        first, last = coding.codebook(s)["id"].min(), coding.codebook(s)["id"].max()
        coding.move_code(s, int(first), int(last), coder=B)  # B's change: A's seed undo must still order by tree
        assert coding.undo(s, A)["type"] == "codebook_seed"
        assert count(s, store.Code) == 0
        coding.redo(s, A)
        assert count(s, store.Code) == 15 and s.get(store.Code, int(first)).parent_id == int(last)
