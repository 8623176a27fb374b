"""The Joint display page (AppTest): it reads a saved run (never fits); meta-inferences saved per term and per
case; codes across case groups; the decoupling tab; themes and case comparison."""
from pathlib import Path

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

import store
from mixed.meta import meta_lookup
from quant.runs import saved as runs
from quant.runs.analysis import ModelData, Spec
from mixed_report_project import build

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def page(tmp_path, monkeypatch):
    path = tmp_path / "project.sqlite"
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        proj = build(s)
        md = ModelData(data=proj.data, spec=Spec("connection", "logit", proj.result.formula),
                       design_formula=proj.result.formula)
        runs.save_run(s, "连接 1", proj.result, md, by="ann")
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    monkeypatch.setenv("TANDEM_CODER", "ann")
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
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
    assert [t.label for t in at.tabs] == ["Side-by-side", "Codes × case groups", "Decoupling",
                                          "Statistics by themes", "Case comparison"]
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


def test_joint_page_codes_across_case_groups_and_decoupling(page):
    at, engine, proj = page
    import numpy as np

    from coding.codes.dimensions import set_dimension_map

    assert any("No code is mapped to connection yet" in m.value for m in at.info)
    with store.session_scope(engine) as s:
        mark = s.execute(text("SELECT id FROM codes WHERE name = 'Mark'")).scalar_one()
        set_dimension_map(s, mark, ["connection"], coder="ann")
        pairs = s.execute(text(
            "SELECT l.coding_id, d.city_a, d.city_b FROM coding_links l JOIN dyads d ON d.id = l.dyad_id "
            "JOIN codings k ON k.id = l.coding_id WHERE k.code_id = :m"), {"m": mark}).all()
    u = proj.result.units
    deviant = {frozenset((str(a), str(b))) for a, b, r in zip(u["city_a"], u["city_b"], u["pearson"]) if abs(r) > 2}
    want = len({cid for cid, a, b in pairs if frozenset((a, b)) in deviant})
    assert want >= 1
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("**Mark**" in m.value for m in at.markdown)
    counts = next(df.value for df in at.dataframe if "facet" in df.value.columns)
    got = counts[(counts["facet"] == "fit") & (counts["group"] == "deviant")]["passages"].iloc[0]
    assert got == want
    assert int(counts[counts["group"] == "deviant"]["pairs in the run"].iloc[0]) == int(
        (np.abs(u["pearson"].to_numpy()) > 2).sum())
    assert any(e.label.startswith("deviant · ") for e in at.expander)
    assert not at.error, [e.value for e in at.error]
    decoupling = next(df.value for df in at.dataframe if "connection: significant?" in df.value.columns)
    assert "connection: 连接 1" in decoupling.columns
    assert any("No Needs–Supply factor is mapped" in m.value for m in at.info)  # no Needs/Supply category here
