"""Undo and redo that would remove a document or more than three codings ask first.

``coding.eventlog.undo.undo_effect`` / ``redo_effect`` read what would go from the event's ops and
change nothing; the counts are checked against SQL counts made here, and against what the
undo then really does. The sidebar asks with the document's name and the number of
codings; Cancel leaves everything in place, Confirm does it.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

import coding
import store
from coding.eventlog.undo import redo_effect, undo_effect
from coding_state import add_cities, dump

ROOT = Path(__file__).resolve().parent.parent
NAME = "访谈-苏州.txt"
TEXT = "\n\n".join(f"第{i}段：苏州与上海的窗口合作，信任是基础。" for i in range(1, 16))


def _n(s, stmt) -> int:
    return int(s.scalar(stmt))


def _import_and_code(s, n_codings: int, importer: str = "A", coder: str = "B") -> int:
    """Import NAME as ``importer``; ``coder`` codes the first ``n_codings`` paragraphs, links and memos two."""
    add_cities(s)
    coding.ensure_default_codebook(s)
    doc = coding.import_source(s, TEXT, name=NAME, coder=importer).document_id
    mark = coding.code_id_by_name(s, "Mark")
    pos = 0
    ids = []
    for i in range(n_codings):
        start = TEXT.index("苏州", pos)
        ids += coding.add_coding(s, doc, start, start + 4, [mark], coder=coder)
        pos = start + 5
    if len(ids) >= 2:
        coding.link_city(s, ids[0], "320500", coder=coder)
        coding.link_dyad(s, ids[1], "320500", "310000", coder=coder)
        coding.add_memo(s, "coding", ids[0], "a note", author=coder)
    return doc


def test_undo_effect_of_an_import_names_the_document_and_counts_its_codings(engine):
    with store.session_scope(engine) as s:
        doc = _import_and_code(s, 12)
    with store.session_scope(engine) as s:
        before = dump(s)
        effect = undo_effect(s, "A")
        assert dump(s) == before  # nothing changed
        n_codings = _n(s, select(func.count()).select_from(store.Coding).where(store.Coding.document_id == doc))
        coding_ids = select(store.Coding.id).where(store.Coding.document_id == doc)
        n_links = _n(s, select(func.count()).select_from(store.CodingLink)
                     .where(store.CodingLink.coding_id.in_(coding_ids)))
    assert (n_codings, n_links) == (12, 2)
    assert effect["type"] == "document_import"
    assert effect["documents"] == [{"id": doc, "name": NAME, "codings": 12}]
    assert (effect["codings"], effect["links"], effect["memos"]) == (12, 2, 1)
    assert effect["confirm"] is True
    assert effect["question"] == (f"Undo the import of “{NAME}”? "
                                  "It removes the document, its 12 codings, 1 memo and 2 links.")
    # the codings are B's, so the library refuses to remove the document under them; the effect says so
    assert effect["refused"] and "12 codings" in effect["refused"]
    with store.session_scope(engine) as s:
        try:
            coding.undo(s, "A")
            raise AssertionError("the undo should have been refused")
        except coding.CodingError as err:
            assert "12 coding(s)" in str(err)


def test_undo_effect_of_an_import_without_codings_matches_the_undo(engine):
    with store.session_scope(engine) as s:
        doc = _import_and_code(s, 0)
    with store.session_scope(engine) as s:
        effect = undo_effect(s, "A")
    assert effect["documents"] == [{"id": doc, "name": NAME, "codings": 0}]
    assert effect["confirm"] is True and effect["refused"] is None
    assert effect["question"] == f"Undo the import of “{NAME}”? It removes the document (it has no codings)."
    with store.session_scope(engine) as s:
        coding.undo(s, "A")
    with store.session_scope(engine) as s:
        assert _n(s, select(func.count()).select_from(store.Document)) == 0
        # nothing left to undo for A: no question
        assert undo_effect(s, "A")["confirm"] is False


def test_redo_of_a_code_deletion_counts_the_codings_it_removes_again(engine):
    with store.session_scope(engine) as s:
        _import_and_code(s, 5, importer="B", coder="A")
        mark = coding.code_id_by_name(s, "Mark")
        coding.delete_code(s, mark, force=True, coder="A")
    with store.session_scope(engine) as s:
        assert _n(s, select(func.count()).select_from(store.Coding)) == 0
        # undoing the deletion puts rows back and removes nothing
        effect = undo_effect(s, "A")
        assert effect["confirm"] is False and effect["codings"] == 0 and effect["documents"] == []
        coding.undo(s, "A")
    with store.session_scope(engine) as s:
        n = _n(s, select(func.count()).select_from(store.Coding).where(store.Coding.code_id == mark))
        effect = redo_effect(s, "A")
    assert n == 5
    assert effect["codings"] == 5 and effect["confirm"] is True and effect["refused"] is None
    assert effect["codes"] == ["Mark"]
    assert effect["question"].startswith("Redo “deleted code “Mark”")
    assert "5 codings" in effect["question"]


def test_undo_effect_of_a_new_version_removes_no_coding(engine):
    """Undoing a new version moves its codings back to the old document: only the new document goes."""
    with store.session_scope(engine) as s:
        _import_and_code(s, 4, importer="A", coder="B")
        old = s.scalar(select(store.Document.id))
        coding.import_new_version(s, old, TEXT.replace("第1段", "第一段"), name="访谈-苏州 v2", coder="A")
    with store.session_scope(engine) as s:
        effect = undo_effect(s, "A")
        new = s.scalar(select(store.Document.id).where(store.Document.name == "访谈-苏州 v2"))
        moved = _n(s, select(func.count()).select_from(store.Coding).where(store.Coding.document_id == new))
    assert moved == 4
    assert effect["documents"] == [{"id": new, "name": "访谈-苏州 v2", "codings": 0}]
    assert effect["codings"] == 0 and effect["refused"] is None
    with store.session_scope(engine) as s:
        coding.undo(s, "A")
        assert _n(s, select(func.count()).select_from(store.Coding).where(store.Coding.document_id == old)) == 4


def _app(path, monkeypatch) -> AppTest:
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    monkeypatch.setenv("TANDEM_CODER", "A")
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=60)
    at.run()
    assert not at.exception
    return at


def _warnings(at) -> list[str]:
    return [w.value for w in at.sidebar.warning]


def test_sidebar_asks_before_undoing_an_import_and_cancel_keeps_it(tmp_path, monkeypatch):
    path = tmp_path / "p.sqlite"
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        doc = _import_and_code(s, 12)
    at = _app(path, monkeypatch)
    at.button(key="history_undo").click().run()
    assert not at.exception
    with store.session_scope(engine) as s:
        n = _n(s, select(func.count()).select_from(store.Coding).where(store.Coding.document_id == doc))
    asked = [w for w in _warnings(at) if NAME in w]
    assert asked and f"its {n} codings" in asked[0] and n == 12
    at.button(key="history_cancel").click().run()
    assert not at.exception
    assert not [w for w in _warnings(at) if NAME in w]
    with store.session_scope(engine) as s:
        assert s.scalar(select(store.Document.name).where(store.Document.id == doc)) == NAME
        assert _n(s, select(func.count()).select_from(store.Coding)) == 12
    engine.dispose()


def test_sidebar_confirm_undoes_the_import(tmp_path, monkeypatch):
    path = tmp_path / "p.sqlite"
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        corpus_doc = _import_and_code(s, 0)
    at = _app(path, monkeypatch)
    at.button(key="history_undo").click().run()
    assert any(NAME in w for w in _warnings(at))
    with store.session_scope(engine) as s:  # asking changed nothing
        assert s.get(store.Document, corpus_doc) is not None
    at.button(key="history_confirm").click().run()
    assert not at.exception
    with store.session_scope(engine) as s:
        assert s.get(store.Document, corpus_doc) is None
    engine.dispose()


def test_a_small_undo_is_done_at_once(tmp_path, monkeypatch):
    path = tmp_path / "p.sqlite"
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        doc = _import_and_code(s, 0)
        mark = coding.code_id_by_name(s, "Mark")
        coding.add_coding(s, doc, 0, 3, [mark], coder="A")
    at = _app(path, monkeypatch)
    at.button(key="history_undo").click().run()
    assert not at.exception
    assert not _warnings(at)
    with store.session_scope(engine) as s:
        assert _n(s, select(func.count()).select_from(store.Coding)) == 0
        assert s.get(store.Document, doc) is not None
    engine.dispose()


def test_history_lines_name_cities_pairs_and_codes(tmp_path, monkeypatch):
    """The sidebar's history says 广州市 – 佛山市 where the event log says "dyad <id>"."""
    path = tmp_path / "p.sqlite"
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        doc = _import_and_code(s, 2)
        dyad, a, b = s.execute(select(store.Dyad.id, store.Dyad.city_a, store.Dyad.city_b)).one()
        names = dict(s.execute(select(store.City.code, store.City.name)).all())
        cid = s.scalar(select(store.Coding.id).order_by(store.Coding.id.desc()))
        coding.link_city(s, cid, "330100", coder="B")
    at = _app(path, monkeypatch)
    table = next(d for d in at.sidebar.dataframe)
    assert list(table.value.columns) == ["When", "Who", "Change", "State"]
    changes = " | ".join(table.value["Change"])
    assert f"to dyad {dyad}" not in changes and f"pair {names[a]} – {names[b]}" in changes
    assert "city 330100" not in changes and "杭州市" in changes
    assert "(0 code points)" not in changes and f"imported document “{NAME}”" in changes
    assert doc
    engine.dispose()


def test_p_values_read_as_people_write_them():
    from ui.words import p_value

    assert [p_value(v) for v in (0.0004, 0.001, 0.01234, 0.5, float("nan"), None, "x")] == \
        ["<0.001", "0.001", "0.012", "0.500", "–", "–", "–"]
