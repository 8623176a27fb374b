"""The Runs page lists saved runs, the Models page saves one, and the shared run picker
(ui/run_picker.py) chooses, warns and offers a refit (Streamlit AppTest, a 30-city project)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import store
from quant.runs import saved as runs
from tests import quant_small_project as small

ROOT = Path(__file__).resolve().parent.parent
PICKER = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import streamlit as st
from ui import state, run_picker
state.refresh_auth()
run = run_picker.pick_run("connection", key="pick")
st.write("RUN:" + ("none" if run is None else run.info.name))
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    path = tmp_path / "small.sqlite"
    engine = store.connect(path)
    small.build(engine)
    engine.dispose()
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    monkeypatch.delenv("TANDEM_TEAM", raising=False)
    return path


def _save(path, name, formula="connection ~ log_distance + sum(log_pop)", **options):
    engine = store.connect(path)
    try:
        with store.session_scope(engine) as s:
            info, result = runs.fit_and_save(s, name, "connection", formula=formula, **options)
    finally:
        engine.dispose()
    return info, result


def _workbench(page):
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_runs_page_lists_a_saved_run_and_compares_two(project):
    _save(project, "广州市–佛山市 model")
    _save(project, "distance only", formula="connection ~ log_distance", se=("model", "hc0"))
    at = _workbench("ui/runs.py")
    assert not at.error, [e.value for e in at.error]
    listed = at.dataframe[0].value
    assert set(listed["run"]) == {"广州市–佛山市 model", "distance only"}
    assert set(listed["status"]) == {"current"}
    assert set(listed["SE type"]) == {"dyadic", "model"}
    assert set(listed["n"]) == {"435"}  # the 30-city project's dyads
    wide = at.dataframe[1].value  # the comparison, newest run first
    assert list(wide.columns) == ["distance only", "广州市–佛山市 model"]
    assert wide.loc["sum_log_pop", "distance only"] == "—"
    assert wide.loc["SE type"].tolist() == ["model", "dyadic"]


def test_runs_page_shows_n_with_thousands_separators(project):
    _save(project, "c1")
    con = sqlite3.connect(project)
    try:  # the demo's size; the stored n is only displayed, never refitted from
        con.execute("UPDATE runs SET n = 11935 WHERE name = 'c1'")
        con.commit()
    finally:
        con.close()
    at = _workbench("ui/runs.py")
    assert at.dataframe[0].value["n"].tolist() == ["11,935"]


def test_runs_page_deletes_with_an_undo_note_and_restores(project):
    _save(project, "c1")
    at = _workbench("ui/runs.py")
    at.button(key="runs_delete").click().run()
    assert not at.exception
    assert any("Undo in the sidebar or Restore below" in s.value for s in at.success)
    with sqlite3.connect(project) as con:
        assert con.execute("select deleted is not null from runs where name='c1'").fetchone() == (1,)
    at.button(key="runs_restore").click().run()
    assert any("Restored the run “c1”" in s.value for s in at.success)
    with sqlite3.connect(project) as con:
        assert con.execute("select deleted is null from runs where name='c1'").fetchone() == (1,)


def test_models_page_saves_the_fit_as_a_run(project):
    at = _workbench("ui/models.py")
    assert not at.error, [e.value for e in at.error]
    name_box = at.text_input(key="run_name_connection")
    assert name_box.value.startswith("connection logit 20")
    name_box.set_value("from the page")
    at.button(key="FormSubmitter:save_run_connection-Save as run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Saved the run “from the page”" in s.value for s in at.success)
    shown = at.session_state["fit_connection"]
    engine = store.connect(project)
    try:
        with store.session_scope(engine) as s:
            run = runs.load_run(s, "from the page")
            assert not runs.run_status(s, "from the page")["stale"]
    finally:
        engine.dispose()
    assert run.info.formula == shown.formula
    np.testing.assert_allclose(run.result.params.to_numpy(), shown.params.to_numpy(), rtol=0, atol=0)
    np.testing.assert_allclose(run.result.cov["dyadic"], shown.cov["dyadic"], rtol=0, atol=0)


def test_picker_offers_the_default_fit_then_warns_when_stale_and_refits_as_new(project):
    at = AppTest.from_string(PICKER, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert "RUN:none" in [m.value for m in at.markdown]
    at.button(key="pick__default").click().run()
    saved = [m.value for m in at.markdown if m.value.startswith("RUN:")][0][4:]
    assert saved.startswith("connection default ")
    assert not at.warning
    with sqlite3.connect(project) as con:  # one covariate value changes
        con.execute("update dyad_attributes set value = value + 1 where name = 'log_distance' "
                    "and dyad_id = (select min(id) from dyads)")
    at.run()
    assert any("data changed" in w.value for w in at.warning)
    at.button(key="pick__refit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    now = [m.value for m in at.markdown if m.value.startswith("RUN:")][0][4:]
    assert now.startswith("connection refit ") and now != saved
    assert len(at.selectbox(key="pick").options) == 2  # the stale run is kept, not refitted in place
    assert not at.warning


def test_a_viewer_reads_and_compares_runs_but_sees_no_save_delete_or_refit(project, monkeypatch):
    import team

    _save(project, "c1")
    _save(project, "c2", formula="connection ~ log_distance")
    engine = store.connect(project)
    with store.session_scope(engine) as s:
        team.add_user(s, "Vic", "viewer-pass-789", "viewer")
    engine.dispose()
    monkeypatch.setenv("TANDEM_TEAM", "1")
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.run()
    fields = {t.label: t for t in at.text_input}
    fields["Name"].set_value("Vic")
    fields["Password"].set_value("viewer-pass-789")
    next(b for b in at.button if b.label == "Log in").click()
    at.run()
    at.switch_page("ui/runs.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert set(at.dataframe[0].value["run"]) == {"c1", "c2"}
    assert len(at.dataframe) >= 2  # the comparison is open to a viewer
    keys = {b.key for b in at.button}
    assert not keys & {"runs_delete", "runs_restore"} and not at.get("form")
    assert any("may read and compare runs but not change them" in c.value for c in at.caption)
    at.switch_page("ui/models.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not [t for t in at.text_input if t.key == "run_name_connection"]
    assert any("may not save runs" in c.value for c in at.caption)
