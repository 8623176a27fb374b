"""The Joint display page (AppTest): meta-inferences saved per term and per case, the three tabs."""
from pathlib import Path

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

import store
from mixed.meta import meta_lookup
from mixed_report_project import build

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def page(tmp_path, monkeypatch):
    path = tmp_path / "project.sqlite"
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        proj = build(s)
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    monkeypatch.setenv("TANDEM_CODER", "ann")
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.session_state["fit_connection"] = proj.result  # the test project stores no covariates to fit from
    at.run()
    at.switch_page("ui/joint.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    yield at, engine, proj
    engine.dispose()


def _key(*parts) -> str:
    return "|".join(("mi",) + parts)


def test_joint_page_saves_a_term_judgement(page):
    at, engine, proj = page
    key = _key("side-by-side", "connection", "log_gravity")
    at.selectbox(key=f"{key}|label").select("expansion")
    at.text_area(key=f"{key}|note").input("flows explain the ties <b>!</b>")
    at.button(key=f"{key}|save").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with store.session_scope(engine) as s:
        stored = meta_lookup(s, "side-by-side", "connection")["log_gravity"]
    assert (stored["label"], stored["note"], stored["author"]) == ("expansion", "flows explain the ties <b>!</b>", "ann")
    assert stored["formula"] == proj.result.formula
    assert any("Saved: expansion." in m.value for m in at.success)
    assert any("1 of 2 terms judged." in c.value for c in at.caption)
    assert any(":blue-badge[expansion]" in m.value for m in at.markdown)


def test_joint_page_shows_a_failed_save_as_a_message(page):
    at, engine, _ = page
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE meta_inferences"))
    key = _key("side-by-side", "connection", "same_province")
    at.selectbox(key=f"{key}|label").select("confirmation")
    at.button(key=f"{key}|save").click()
    at.run()
    assert not at.exception
    assert any("predates stored meta-inferences" in e.value for e in at.error)


def test_joint_page_themes_and_case_comparison_tabs(page):
    at, engine, proj = page
    assert [t.label for t in at.tabs] == ["Side-by-side", "Statistics by themes", "Case comparison"]
    assert any("2 of 190 dyads with coded evidence" in c.value for c in at.caption)
    frames = [df.value for df in at.dataframe]
    themes = next(f for f in frames if "theme" in f.columns)
    assert list(themes["theme"]) == ["Social needs", "Mark"]
    ta, tb = proj.typical_dyad
    da, db = proj.deviant_dyad
    picked = at.multiselect(key="compare_pick_connection").value
    assert set(picked) == {f"{ta}-{tb}", f"{da}-{db}"}  # the selected cases that have coded passages
    key = _key("case", "connection", f"{da}-{db}")
    at.selectbox(key=f"{key}|label").select("discordance")
    at.text_area(key=f"{key}|note").input("signed to please the province")
    at.button(key=f"{key}|save").click()
    at.run()
    assert not at.exception and not at.error
    with store.session_scope(engine) as s:
        stored = meta_lookup(s, "case", "connection")
    assert stored[f"{da}-{db}"]["label"] == "discordance"
    comparison = next(df.value for df in at.dataframe if "selection_rule" in df.value.columns)
    row = comparison[comparison["case_id"] == f"{da}-{db}"].iloc[0]
    assert row["meta_inference"] == "discordance" and row["qual_themes"] == "Mark"
