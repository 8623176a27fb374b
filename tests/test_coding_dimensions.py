"""coding.codes.dimensions: the code ↔ dimension map, its default seed, and undo/redo (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

import coding
import store
from coding import CodingError
from coding.codes.default import DEFAULT_DIMENSION_MAP, DEFAULT_VARIABLE_MAP
from coding.codes.dimensions import codes_for_dimension, dimension_map, set_dimension_map
from coding.eventlog.undo import history

A = "A"


def _rows(s):
    t = store.CodeDimensionMap
    return sorted((int(c), str(d)) for c, d in s.execute(select(t.code_id, t.dimension)))


def _ids(s):
    return {n: int(i) for i, n in s.execute(select(store.Code.id, store.Code.name))}


def test_seed_maps_mark_hole_and_every_factor_to_all_three(engine):
    with store.session_scope(engine) as s:
        assert coding.ensure_default_codebook(s, coder=A) == 15
        ids = _ids(s)
        dims = dimension_map(s)
    three = ["breadth", "connection", "degree"]
    assert dims[ids["Mark"]] == three and dims[ids["Hole"]] == three
    for name in DEFAULT_VARIABLE_MAP:  # the six Needs–Supply codes
        assert dims[ids[name]] == three, name
    assert dims[ids["Degree"]] == ["degree"] and dims[ids["Breadth"]] == ["breadth"]
    assert ids["Needs"] not in dims  # categories are evidence for nothing
    assert len(DEFAULT_DIMENSION_MAP) == 11


def test_seed_undo_and_redo_take_the_dimension_rows_along(engine):
    with store.session_scope(engine) as s:
        coding.ensure_default_codebook(s, coder=A)
        seeded = _rows(s)
        payload = s.scalars(select(store.Event.payload).where(store.Event.type == "codebook_seed")).one()
    assert len(seeded) == 8 * 3 + 3
    payload = payload if isinstance(payload, dict) else __import__("json").loads(payload)
    assert sorted((int(c), d) for c, ds in payload["dimension_map"].items() for d in ds) == seeded
    with store.session_scope(engine) as s:
        assert coding.undo(s, A)["type"] == "codebook_seed"
    with store.session_scope(engine) as s:
        assert _rows(s) == [] and s.scalar(select(store.Code.id).limit(1)) is None
    with store.session_scope(engine) as s:
        coding.redo(s, A)
    with store.session_scope(engine) as s:
        assert _rows(s) == seeded


def test_set_dimension_map_undo_redo(engine):
    with store.session_scope(engine) as s:
        coding.ensure_default_codebook(s, coder=A)
        ids = _ids(s)
        seeded = _rows(s)
    mark = ids["Mark"]
    with store.session_scope(engine) as s:
        assert set_dimension_map(s, mark, ["Degree", "degree"], coder=A) == ["degree"]
        assert set_dimension_map(s, ids["Breadth"], ["breadth", "connection"], coder=A) == ["breadth", "connection"]
    with store.session_scope(engine) as s:
        assert dimension_map(s)[mark] == ["degree"]
        assert codes_for_dimension(s, "connection") == sorted(
            [ids[n] for n, d in DEFAULT_DIMENSION_MAP.items() if "connection" in d and n != "Mark"] + [ids["Breadth"]])
        assert history(s, coder=A)["summary"].iloc[0].startswith("mapped code “Breadth” to breadth, connection")
    with store.session_scope(engine) as s:
        coding.undo(s, A)
        coding.undo(s, A)
    with store.session_scope(engine) as s:
        assert _rows(s) == seeded
    with store.session_scope(engine) as s:
        coding.redo(s, A)
    with store.session_scope(engine) as s:
        assert dimension_map(s)[mark] == ["degree"]
        assert set_dimension_map(s, mark, [], coder=A) == []
        assert mark not in dimension_map(s)
    with store.session_scope(engine) as s:
        coding.undo(s, A)
    with store.session_scope(engine) as s:
        assert dimension_map(s)[mark] == ["degree"]


def test_deleting_a_mapped_code_is_undone_with_its_dimensions(engine):
    with store.session_scope(engine) as s:
        coding.ensure_default_codebook(s, coder=A)
        ids = _ids(s)
        seeded = _rows(s)
    with store.session_scope(engine) as s:
        coding.delete_code(s, ids["Hole"], force=True, coder=A)
    with store.session_scope(engine) as s:
        assert ids["Hole"] not in dimension_map(s)
        coding.undo(s, A)
    with store.session_scope(engine) as s:
        assert _rows(s) == seeded


def test_bad_input_is_refused(engine):
    with store.session_scope(engine) as s:
        coding.ensure_default_codebook(s, coder=A)
        ids = _ids(s)
        with pytest.raises(CodingError, match="not one of breadth"):
            set_dimension_map(s, ids["Mark"], ["width"])
        with pytest.raises(CodingError, match="list"):
            set_dimension_map(s, ids["Mark"], "degree")
        with pytest.raises(CodingError, match="category"):
            set_dimension_map(s, ids["Needs"], ["degree"])
        with pytest.raises(CodingError):
            set_dimension_map(s, 99999, ["degree"])
        with pytest.raises(CodingError):
            codes_for_dimension(s, "size")


def test_codebook_page_maps_a_code_to_dimensions(tmp_path, monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    path = tmp_path / "p.sqlite"
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        coding.ensure_default_codebook(s, coder="tester")
        ids = _ids(s)
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    monkeypatch.setenv("TANDEM_CODER", "tester")
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "workbench.py"), default_timeout=120)
    at.run()
    at.switch_page("ui/codebook.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    overview = next(df.value for df in at.dataframe if "dimensions" in df.value.columns)
    row = overview[overview["path"] == "Behaviour/Mark"].iloc[0]
    assert row["dimensions"] == "breadth, connection, degree"
    at.selectbox(key="map_code").set_value(ids["Mark"])
    at.run()
    at.multiselect(key=f"dim_map_{ids['Mark']}").set_value(["degree"])
    next(b for b in at.button if b.label == "Save dimensions").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("evidence for degree" in m.value for m in at.success)
    with store.session_scope(engine) as s:
        assert dimension_map(s)[ids["Mark"]] == ["degree"]
        coding.undo(s, "tester")
    with store.session_scope(engine) as s:
        assert dimension_map(s)[ids["Mark"]] == ["breadth", "connection", "degree"]
    engine.dispose()
