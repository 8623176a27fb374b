"""The Exchange page (ui/exchange.py) in Streamlit AppTest: export with and without the Project
schema, the REFI-QDA import report and the MAXQDA coded-segments report as shown. AppTest cannot
upload files, so the imports are run through the library here and their reports handed to the
page the way the page keeps them (session state); the counts they show are checked against counts
read from the file with lxml."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree
from streamlit.testing.v1 import AppTest

import cli
import store

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "ui" / "exchange.py")


@pytest.fixture
def project(tmp_path) -> Path:
    from tests.test_exchange_segments_import import _project

    path = tmp_path / "交换.sqlite"
    assert cli.main(["new", "--project", str(path)]) == 0
    engine = store.connect(str(path))
    try:
        with store.session_scope(engine) as s:
            _project(s)
    finally:
        engine.dispose()
    return path


def _page(project: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("TANDEM_PROJECT", str(project))
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at) -> str:
    return "\n".join(str(e.value) for kind in ("success", "warning", "info", "caption", "error")
                     for e in getattr(at, kind))


def test_export_without_schema_says_it_was_checked_structurally(project, monkeypatch, tmp_path):
    monkeypatch.setenv("TANDEM_PROJECT_XSD", str(tmp_path / "missing.xsd"))
    at = _page(project, monkeypatch)
    assert [t.label for t in at.tabs] == ["Import a REFI-QDA project", "Export the project", "MAXQDA coded segments"]
    from coding.exchange import CONVENTIONS

    chooser = at.selectbox(key="qdpx_convention")
    assert chooser.options == ["Detect from the selections (recommended)", "Unicode characters (QualCoder)",
                               "UTF-16 units (NVivo, ATLAS.ti)", "UTF-16 units, a Windows line break counted as two",
                               "Unicode characters, a Windows line break counted as two"]
    assert len(CONVENTIONS) == 4  # every convention the library knows has its words here
    at.button(key="qdpx_prepare").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    warnings = [w.value for w in at.warning]
    assert any("schema was not found" in w and "checked structurally only" in w for w in warnings)
    assert "2 source(s)" in _texts(at)
    assert at.get("download_button"), "no download offered"


def test_export_with_schema_says_valid(project, monkeypatch, shared):
    xsd = shared("refi", "Project-mrt2019.xsd")
    monkeypatch.setenv("TANDEM_PROJECT_XSD", str(xsd))
    at = _page(project, monkeypatch)
    at.button(key="qdpx_prepare").click().run()
    assert not at.exception and not at.error
    assert any("Valid against the REFI-QDA Project schema (Project-mrt2019.xsd)" in s.value for s in at.success)


def test_qdpx_import_report_shown_with_counts_from_the_file(project, monkeypatch, shared, tmp_path):
    qdpx = shared("refi", "qdpx_toolkit_hand_authored.qdpx")
    from coding.exchange import import_qdpx

    engine = store.connect(str(project))
    try:
        with store.session_scope(engine) as s:
            report = import_qdpx(s, qdpx.read_bytes())
    finally:
        engine.dispose()
    with zipfile.ZipFile(qdpx) as zf:
        root = etree.fromstring(zf.read("project.qde"))
    q = "{urn:QDA-XML:project:1.0}"
    # codings of text: in plain-text selections of text sources and in transcript selections
    in_file = sum(len(sel.findall(f"{q}Coding")) for tag in ("PlainTextSelection", "TranscriptSelection")
                  for sel in root.iter(f"{q}{tag}"))
    assert in_file == 3
    monkeypatch.setenv("TANDEM_PROJECT", str(project))
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["exchange_qdpx_report"] = {k: v for k, v in report.items() if not k.startswith("_")}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    c = report["codings"]
    assert int(metrics["Placed exactly"]) + int(metrics["Moved to their text"]) + int(
        metrics["Not placed (kept)"]) + int(metrics["Already in the project"]) == in_file
    assert (int(metrics["Placed exactly"]), int(metrics["Moved to their text"])) == (c["placed"], c["moved"])
    skipped = at.dataframe[-1].value if report["skipped"] else None
    if skipped is not None:
        assert dict(zip(skipped["Element"], skipped["Count"])) == report["skipped"]
        assert "Not brought in (counted)" in _texts(at)


def test_segments_report_lists_every_row_not_placed(project, monkeypatch):
    from coding.exchange.segments_import import import_coded_segments
    from tests.test_exchange_segments_import import _csv

    engine = store.connect(str(project))
    try:
        with store.session_scope(engine) as s:
            report = import_coded_segments(s, _csv(), "segments.csv")
    finally:
        engine.dispose()
    monkeypatch.setenv("TANDEM_PROJECT", str(project))
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["exchange_segments_report"] = report
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: int(m.value) for m in at.metric}
    assert metrics == {"Placed": 4, "Already present": 0, "Ambiguous": 2, "Not found": 2, "Refused": 2}
    table = at.dataframe[0].value
    # row 7 is placed, but outside its paragraph: DOC2 has one blank line only, so each of its lines is a
    # paragraph (corpus.segment) and paragraph 2 is "Respondent: We met in"; the note says so
    assert list(table["Row"]) == [4, 5, 7, 8, 9, 10, 11]
    assert list(table["Status"]) == ["ambiguous", "ambiguous", "placed", "not found", "not found", "refused",
                                     "refused"]
    assert table["Why"][2] == "found outside paragraphs 2–2"
    assert "Text (first 30 characters)" in table.columns and "Why" in table.columns
    at.button(key="segments_close").click().run()
    assert not at.metric
