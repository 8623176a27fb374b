"""Every change writes exactly one event of the right type, in the same transaction."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

import coding
import store
from coding import CodingError, EventType
from coding.codes.dimensions import set_dimension_map
from coding.documents import set_document_attribute

TEXT = "苏州与上海签署了跨城通办协议。"


def _setup(s):
    s.add_all([store.City(code="320500", name="苏州市"), store.City(code="310000", name="上海市")])
    doc = store.Document(name="d", kind="interview", language="zh", text=TEXT, text_sha256="0" * 64,
                         n_chars=len(TEXT))
    s.add(doc)
    s.flush()
    s.add(store.Segment(document_id=doc.id, kind="sentence", idx=1, start=0, end=len(TEXT)))
    s.flush()
    return doc.id


# Each step: (description, function of (session, state) -> None, expected event type)
STEPS = [
    ("seed", lambda s, st: coding.ensure_default_codebook(s), EventType.CODEBOOK_SEED),
    ("add code", lambda s, st: st.update(code=coding.add_code(s, "Trust")), EventType.CODE_ADD),
    ("rename", lambda s, st: coding.rename_code(s, st["code"], "Trust between bureaus"), EventType.CODE_RENAME),
    ("update", lambda s, st: coding.update_code(s, st["code"], definition="d"), EventType.CODE_UPDATE),
    ("move", lambda s, st: coding.move_code(s, st["code"], coding.code_id_by_name(s, "Supply")), EventType.CODE_MOVE),
    ("vmap", lambda s, st: coding.set_variable_map(s, st["code"], ["same_province"]), EventType.VARIABLE_MAP_SET),
    ("dimensions", lambda s, st: set_dimension_map(s, st["code"], ["connection", "degree"]),
     EventType.DIMENSION_MAP_SET),
    ("add coding", lambda s, st: st.update(coding=coding.add_coding(s, st["doc"], 0, 2, st["code"])[0]),
     EventType.CODING_ADD),
    ("unit coding", lambda s, st: coding.code_segment(s, st["doc"], "sentence", 1, st["code"]), EventType.CODING_ADD),
    ("update coding", lambda s, st: coding.update_coding(s, st["coding"], end=5), EventType.CODING_UPDATE),
    ("link city", lambda s, st: st.update(link=coding.link_city(s, st["coding"], "320500")), EventType.LINK_ADD),
    ("link dyad", lambda s, st: coding.link_dyad(s, st["coding"], "320500", "310000"), EventType.LINK_ADD),
    ("unlink", lambda s, st: coding.unlink(s, st["link"]), EventType.LINK_DELETE),
    ("memo", lambda s, st: st.update(memo=coding.add_memo(s, "coding", st["coding"], "m")), EventType.MEMO_ADD),
    ("edit memo", lambda s, st: coding.update_memo(s, st["memo"], text="m2"), EventType.MEMO_UPDATE),
    ("drop memo", lambda s, st: coding.delete_memo(s, st["memo"]), EventType.MEMO_DELETE),
    ("drop coding", lambda s, st: coding.delete_coding(s, st["coding"]), EventType.CODING_DELETE),
    ("drop code", lambda s, st: coding.delete_code(s, st["code"], force=True), EventType.CODE_DELETE),
    ("split", lambda s, st: st.update(kids=coding.split_code(s, coding.code_id_by_name(s, "Supply"), ["A", "B"])),
     EventType.CODE_SPLIT),
    ("merge", lambda s, st: coding.merge_codes(s, st["kids"][1], st["kids"][0]), EventType.CODE_MERGE),
    ("import", lambda s, st: st.update(doc2=coding.import_source(s, "上海与杭州。", name="d2").document_id),
     EventType.DOCUMENT_IMPORT),
    ("version", lambda s, st: coding.import_new_version(s, st["doc2"], "上海与杭州合作。"), EventType.DOCUMENT_VERSION),
    ("attribute", lambda s, st: set_document_attribute(s, st["doc"], "城市", "苏州市", coder="researcher"),
     EventType.ATTRIBUTES_SET),
    ("undo", lambda s, st: coding.undo(s, "researcher"), EventType.UNDO),
    ("redo", lambda s, st: coding.redo(s, "researcher"), EventType.REDO),
]


def test_events_every_change_writes_one_event(engine):
    state = {}
    with store.session_scope(engine) as s:
        state["doc"] = _setup(s)
    for name, step, expected in STEPS:
        with store.session_scope(engine) as s:
            last = s.scalar(select(func.max(store.Event.id))) or 0
            step(s, state)
        with store.session_scope(engine) as s:  # committed together with the change
            new = s.scalars(select(store.Event).where(store.Event.id > last)).all()
            assert [e.type for e in new] == [expected.value], name
            assert new[0].coder == "researcher"
    assert {t for _, _, t in STEPS} | set(RUN_STEPS_TYPES) == set(EventType)


RUN_STEPS_TYPES = [EventType.RUN_SAVE, EventType.RUN_RENAME, EventType.RUN_DELETE, EventType.RUN_RESTORE,
                   EventType.WORKLIST_ADD, EventType.WORKLIST_UPDATE, EventType.WORKLIST_REMOVE]


def test_events_runs_and_worklist_write_one_event_each(tmp_path):
    """Saved runs and the fieldwork worklist write one event per change, like coding does."""
    from mixed import worklist
    from quant.runs import saved as runs
    from tests.quant_small_project import build

    engine = store.connect(tmp_path / "runs.sqlite", create=True)
    build(engine)
    steps = [
        (lambda s: runs.fit_and_save(s, "c1", "connection", formula="connection ~ log_distance"), EventType.RUN_SAVE),
        (lambda s: runs.rename_run(s, "c1", "c2"), EventType.RUN_RENAME),
        (lambda s: runs.delete_run(s, "c2"), EventType.RUN_DELETE),
        (lambda s: runs.restore_run(s, "c2"), EventType.RUN_RESTORE),
        (lambda s: worklist.add_case(s, {"city_a": "100", "city_b": "101", "case_type": "typical"}, run="c2"),
         EventType.WORKLIST_ADD),
        (lambda s: worklist.update_memo(s, ("dyad", "100|101"), "visit both bureaus"), EventType.WORKLIST_UPDATE),
        (lambda s: worklist.remove_case(s, ("dyad", "100|101")), EventType.WORKLIST_REMOVE),
    ]
    assert [t for _, t in steps] == RUN_STEPS_TYPES
    for step, expected in steps:
        with store.session_scope(engine) as s:
            last = s.scalar(select(func.max(store.Event.id))) or 0
            step(s)
        with store.session_scope(engine) as s:
            new = s.scalars(select(store.Event).where(store.Event.id > last)).all()
            assert [e.type for e in new] == [expected.value]
    engine.dispose()


def test_events_rolled_back_with_the_change(engine):
    with store.session_scope(engine) as s:
        _setup(s)
    with pytest.raises(RuntimeError):
        with store.session_scope(engine) as s:
            coding.add_code(s, "Gone")
            raise RuntimeError("abort")
    with store.session_scope(engine) as s:
        assert s.scalar(select(func.count(store.Event.id))) == 0
        assert s.scalar(select(func.count(store.Code.id))) == 0


def test_events_record_checks_type_and_log_lists(engine):
    with store.session_scope(engine) as s:
        with pytest.raises(CodingError, match="unknown"):
            coding.record(s, "coding_teleport", {}, "r")
        with pytest.raises(CodingError, match="dict"):
            coding.record(s, EventType.CODE_ADD, ["x"], "r")
        first = coding.record(s, "code_add", {"code": {"id": 1}}, "r", document_id=7)
        second = coding.record(s, EventType.MEMO_ADD, {"memo": {}}, "w")
        log = coding.event_log(s)
        assert list(log["id"]) == [second, first]
        assert list(coding.event_log(s, document_id=7)["id"]) == [first]
        assert list(coding.event_log(s, coder="w", type=EventType.MEMO_ADD)["id"]) == [second]
