"""Meta-inferences stored in the project (mixed.meta) and read back by the joint display."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

import store
from mixed.errors import MixedError
from mixed.joint import joint_display, joint_long
from mixed.meta import case_key, clear_meta_inference, meta_inferences, meta_lookup, set_meta_inference
from mixed_report_project import build
from store.models import MetaInference


@pytest.fixture
def project(engine):
    with store.session_scope(engine) as s:
        proj = build(s)
    return proj


def test_meta_set_update_and_read_back(engine, project):
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    with store.session_scope(engine) as s:
        rec = set_meta_inference(s, "connection", "log_gravity", "Expansion", "  flows explain it  ",
                                 author="ann", formula=project.result.formula)
    assert rec["label"] == "expansion" and rec["note"] == "flows explain it" and rec["author"] == "ann"
    with store.session_scope(engine) as s:
        first = meta_lookup(s, "side-by-side", "connection")["log_gravity"]
        set_meta_inference(s, "connection", "log_gravity", "discordance", "contradicted by ¶ 3", author="bo")
    after = datetime.now(timezone.utc) + timedelta(seconds=1)
    assert before <= first["updated"] <= after and first["formula"] == project.result.formula
    with store.session_scope(engine) as s:
        frame = meta_inferences(s, display="side-by-side", dimension="connection")
        n_rows = s.scalar(select(func.count()).select_from(MetaInference))
    assert n_rows == 1  # replaced, not added
    (row,) = frame.to_dict("records")
    assert (row["label"], row["note"], row["author"]) == ("discordance", "contradicted by ¶ 3", "bo")
    assert row["updated"] >= first["updated"] and row["updated"].tzinfo is not None
    assert row["formula"] is None  # the second save named no formula


def test_meta_note_only_then_removed(engine, project):
    with store.session_scope(engine) as s:
        rec = set_meta_inference(s, "breadth", "pop", "", "still reading the interviews", author="ann")
        assert rec["label"] == ""
        assert set_meta_inference(s, "breadth", "pop", "", "   ", author="ann") is None
        assert meta_inferences(s).empty
        set_meta_inference(s, "breadth", "pop", "confirmation", author="ann")
        assert clear_meta_inference(s, "breadth", "pop") is True
        assert clear_meta_inference(s, "breadth", "pop") is False


def test_meta_case_keys_are_normalized(engine, project):
    a, b = project.deviant_dyad
    assert case_key((b, a)) == f"{a}-{b}" and case_key(" 330100 ") == "330100"
    with store.session_scope(engine) as s:
        set_meta_inference(s, "connection", (b, a), "discordance", "signed for show", display="case", author="ann")
        assert list(meta_lookup(s, "case", "connection")) == [f"{a}-{b}"]
        assert meta_lookup(s, "side-by-side", "connection") == {}  # displays are kept apart
        assert meta_lookup(s, "case", "degree") == {}
    with pytest.raises(MixedError, match="two different"):
        case_key((a, a))


@pytest.mark.parametrize("kwargs, match", [
    ({"label": "support"}, "not one of confirmation"),
    ({"dimension": "scope"}, "dimension"),
    ({"display": "matrix"}, "display"),
    ({"row_key": "  "}, "empty"),
    ({"author": ""}, "author"),
])
def test_meta_rejects_bad_input(engine, project, kwargs, match):
    args = {"dimension": "connection", "row_key": "log_gravity", "label": "confirmation", "author": "ann",
            "display": "side-by-side"}
    args.update(kwargs)
    with store.session_scope(engine) as s:
        with pytest.raises(MixedError, match=match):
            set_meta_inference(s, args["dimension"], args["row_key"], args["label"], display=args["display"],
                               author=args["author"])


def test_joint_display_fills_meta_inference_from_the_store(engine, project):
    with store.session_scope(engine) as s:
        set_meta_inference(s, "connection", "same_province", "confirmation", "careers overlap <b>x</b>",
                           author="ann")
        set_meta_inference(s, "breadth", "log_gravity", "discordance", author="ann")  # another dimension
    with store.session_scope(engine) as s:
        jd = joint_display(s, project.result).set_index("term")
    assert jd.loc["same_province", "meta_inference"] == "confirmation"
    assert jd.loc["same_province", "note"] == "careers overlap <b>x</b>"
    assert jd.loc["same_province", "meta_author"] == "ann"
    assert jd.loc["log_gravity", "meta_inference"] == "" and jd.loc["log_gravity", "note"] == ""
    long = joint_long(jd.reset_index())
    meta = long[(long.row_key == "connection:same_province") & (long.column == "meta_inference")].iloc[0]
    note = long[(long.row_key == "connection:same_province") & (long.column == "note")].iloc[0]
    assert meta.value == "confirmation" and note.value == "careers overlap <b>x</b>"
    assert meta.provenance.startswith("researcher ann, ") and meta.provenance.endswith(" UTC")
    empty = long[(long.row_key == "connection:log_gravity") & (long.column == "meta_inference")].iloc[0]
    assert empty.value == "" and empty.provenance == "researcher"


def test_meta_on_a_project_file_without_the_table(engine, project):
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE meta_inferences"))
    with store.session_scope(engine) as s:
        assert meta_inferences(s).empty
        jd = joint_display(s, project.result)
        assert set(jd["meta_inference"]) == {""}
        with pytest.raises(MixedError, match="predates"):
            set_meta_inference(s, "connection", "log_gravity", "confirmation", author="ann")
