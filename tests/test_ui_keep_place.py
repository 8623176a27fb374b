"""The Code page keeps your place: document, section and selected coding survive a switch to
another page and back (the session) and a reload (the URL's query parameters); values read
back are checked, and a bad one gives a one-line notice, never an exception."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import coding
import corpus
import store
from ui import code_place

ROOT = Path(__file__).resolve().parent.parent
N_PARAS = 100
TEXT = "\n\n".join(f"第{i}段：广州与佛山的窗口合作 paragraph {i}." for i in range(1, N_PARAS + 1))


@pytest.fixture
def project(tmp_path, monkeypatch):
    """Two documents (a short one first, then one of 100 paragraphs) and a coding in ¶ 75 of the long one."""
    path = tmp_path / "p.sqlite"
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        short = corpus.import_text(s, "短文。\n\n第二段。", name="短文", kind="interview").document_id
        long_doc = corpus.import_text(s, TEXT, name="访谈-广州.txt", kind="interview").document_id
        coding.ensure_default_codebook(s)
        start = TEXT.index("第75段")
        (cid,) = coding.add_coding(s, long_doc, start, start + 4, [coding.code_id_by_name(s, "Mark")])
    engine.dispose()
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    return {"short": short, "long": long_doc, "coding": cid, "start": start}


def _code_page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=60)
    if query:
        at.query_params.update(query)
    at.switch_page("ui/code.py")
    at.run()
    assert not at.exception
    return at


def _shown(at) -> tuple:
    """(document id, section shown, selected coding shown in the panel)."""
    doc = at.selectbox(key="code_doc").value
    key = f"section_{doc}"
    section = at.number_input(key=key).value if any(n.key == key for n in at.number_input) else 1
    panel = [m.value for m in at.markdown if m.value.startswith("**Coding ")]
    return doc, section, panel[0].split("**")[1] if panel else None


def test_leaving_the_code_page_and_coming_back_restores_the_place(project):
    at = _code_page()
    assert _shown(at)[0] == project["short"]  # the first document at first
    at.selectbox(key="code_doc").set_value(project["long"]).run()
    at.number_input(key=f"section_{project['long']}").set_value(2).run()
    at.session_state["selected_coding"] = project["coding"]  # as a click on its highlight does
    at.session_state["_turned_to"] = project["coding"]  # without turning to its section (3)
    at.run()
    assert _shown(at) == (project["long"], 2, f"Coding {project['coding']}")

    at.switch_page("ui/project.py").run()
    assert not at.exception
    assert "code_doc" not in at.session_state  # Streamlit dropped the widget's state on the other page
    at.query_params.clear()  # a click in the navigation leaves the query behind
    at.switch_page("ui/code.py").run()
    assert not at.exception
    assert _shown(at) == (project["long"], 2, f"Coding {project['coding']}")


def test_a_reload_restores_the_place_from_the_url(project):
    at = _code_page()
    at.selectbox(key="code_doc").set_value(project["long"]).run()
    at.number_input(key=f"section_{project['long']}").set_value(3).run()
    at.session_state["selected_coding"] = project["coding"]
    at.run()
    url = dict(at.query_params)
    assert url == {"doc": str(project["long"]), "section": "3", "per": "30", "coding": str(project["coding"])}

    fresh = _code_page(url)  # a new session: only the URL is left
    assert _shown(fresh) == (project["long"], 3, f"Coding {project['coding']}")
    assert not fresh.info  # nothing to warn about


def test_section_length_is_configurable_and_keeps_the_paragraphs_in_view(project):
    at = _code_page({"doc": str(project["long"]), "section": "3", "per": "30"})
    assert any("¶ 61–90" in c.value for c in at.caption)
    at.selectbox(key="code_per").set_value(10).run()
    assert not at.exception
    # paragraph 61 was first: with 10 per section it is section 7 (¶ 61–70)
    assert at.number_input(key=f"section_{project['long']}").value == 7
    assert any("¶ 61–70" in c.value for c in at.caption)


def test_bad_values_in_the_url_fall_back_with_one_notice(project):
    at = _code_page({"doc": "999999", "section": "abc", "coding": "12345"})
    assert _shown(at)[0] == project["short"]
    notices = [i.value for i in at.info if not i.value.startswith("No codings")]
    assert len(notices) == 1 and "999999" in notices[0] and "短文" in notices[0]

    at = _code_page({"doc": str(project["long"]), "section": "99", "coding": "424242"})
    assert _shown(at)[:2] == (project["long"], 4)  # 100 paragraphs, 30 each: 4 sections
    notices = " ".join(i.value for i in at.info)
    assert "Section 99" in notices and "Coding 424242" in notices


def test_place_helpers():
    assert code_place.parse({"doc": "7", "section": ["1", "2"], "per": "x", "coding": None}) == \
        {"doc": 7, "section": 2, "per": None, "coding": None, "p": None}
    assert code_place.choose_document("3", [3, 4]) == (3, None)
    doc, notice = code_place.choose_document(9, [3, 4], {3: "访谈"})
    assert doc == 3 and "“访谈”" in notice
    assert code_place.choose_document(None, [3, 4]) == (3, None)
    with pytest.raises(ValueError):
        code_place.choose_document(1, [])
    assert code_place.choose_section(0, 4)[0] == 1 and code_place.choose_section(5, 4)[0] == 4
    assert code_place.choose_section(2, 4) == (2, None)
    assert code_place.choose_per_section("50") == 50 and code_place.choose_per_section("7") == 30
    # paragraph starts 0, 10, 20, ...: position 35 is in paragraph 4 (index 3) -> section 2 of 2 per section
    assert code_place.section_of(35, list(range(0, 100, 10)), 2) == 2
    assert code_place.section_of(0, [0, 10], 2) == 1
    assert code_place.to_params({"doc": 1, "section": 2, "coding": None}) == {"doc": "1", "section": "2"}


def test_each_document_keeps_its_paragraphs_in_view_when_the_section_length_changes(project):
    at = _code_page({"doc": str(project["long"]), "section": "3", "per": "30"})  # ¶ 61–90
    at.selectbox(key="code_doc").set_value(project["short"]).run()
    at.selectbox(key="code_per").set_value(10).run()
    at.selectbox(key="code_doc").set_value(project["long"]).run()
    assert not at.exception
    # back on the long document: paragraph 61 still first, now in section 7 of 10 paragraphs each
    assert at.number_input(key=f"section_{project['long']}").value == 7
    assert any("¶ 61–70" in c.value for c in at.caption)
