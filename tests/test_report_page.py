"""The Report page (AppTest): one draft, downloadable as Markdown, HTML and Word."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

import store
from mixed_report_project import build

ROOT = Path(__file__).resolve().parent.parent


def test_report_page_offers_markdown_html_and_docx(tmp_path, monkeypatch):
    path = tmp_path / "project.sqlite"
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        proj = build(s)
    engine.dispose()
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.session_state["fit_connection"] = proj.result
    at.session_state["fit_breadth"] = proj.breadth_result
    at.run()
    at.switch_page("ui/report.py")
    at.run()
    at.multiselect[0].set_value(["breadth", "connection"])
    at.button[0].click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    buttons = {b.proto.label: b for b in at.get("download_button")}
    assert set(buttons) == {"Download Markdown", "Download HTML", "Download Word (DOCX)"}
    assert any("#### Statistics by themes: connection" in m.value for m in at.markdown)
    # the files are served from Streamlit's media store under their type's suffix
    assert buttons["Download Word (DOCX)"].proto.url.endswith(".docx")
    assert buttons["Download HTML"].proto.url.endswith(".html")
