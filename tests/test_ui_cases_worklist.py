"""The Cases and Worklist pages (Streamlit AppTest) on a small project with saved runs: they run
without an error, show names (never raw ids) and one case type per row, and the worklist page
shows the case by name with its memo."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import store
from case_views_project import build

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    path = tmp_path_factory.mktemp("ui_cases") / "p.sqlite"
    engine = store.connect(str(path), create=True)
    try:
        build(engine)
        from mixed import worklist as wl

        with store.session_scope(engine) as s:
            wl.add_case(s, {"city_a": "100", "city_b": "101", "case_type": "typical non-tie"}, run="conn")
            wl.update_memo(s, ("dyad", "100|101"), "先问局长")
    finally:
        engine.dispose()
    return path


def _page(path, page, monkeypatch) -> AppTest:
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_cases_page_rules(project, monkeypatch):
    at = _page(project, "ui/cases.py", monkeypatch)
    for rule in ("typical", "deviant", "overpredicted", "advertised"):
        at.selectbox(key="cases_rule").set_value(rule)
        at.run()
        assert not at.exception, (rule, [e.value for e in at.exception])
        assert not at.error, (rule, [e.value for e in at.error])
        frame = at.dataframe[0].value
        assert len(frame) > 0 and frame["case"].str.startswith("城").all()
        assert not {"city", "city_a", "city_b", "unit_key", "level"} & set(frame.columns)
        assert frame["case_type"].map(lambda t: sum(w in t for w in ("typical", "deviant", "over-predicted",
                                                                       "advertised"))).eq(1).all()


def test_worklist_page_shows_case_and_memo(project, monkeypatch):
    at = _page(project, "ui/worklist.py", monkeypatch)
    assert any("先问局长" == t.value for t in at.text)
    assert any("城00市–城01市" in e.label for e in at.expander)
