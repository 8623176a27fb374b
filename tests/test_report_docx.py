"""The DOCX report draft (report.docx via report.draft.render/write), opened with python-docx."""
import io
import zipfile

import pytest
import statsmodels.api as sm
from docx import Document
from docx.oxml.ns import qn

import store
from mixed.meta import set_meta_inference
from mixed_report_project import XSS, build
from report.draft import build_context, render, write
from report.layout import render_context
from report.errors import ReportError
from report.sections import META_COLOURS


@pytest.fixture
def project(engine):
    with store.session_scope(engine) as s:
        proj = build(s)
        set_meta_inference(s, "connection", "same_province", "discordance", "careers, not provinces <i>!</i>",
                           author="ann")
        set_meta_inference(s, "connection", proj.deviant_dyad, "expansion", "signed for show", display="case",
                           author="ann")
    return proj


@pytest.fixture
def docx_bytes(engine, project):
    with store.session_scope(engine) as s:
        return render(s, {"connection": project.result, "breadth": project.breadth_result}, fmt="docx",
                      generated="2026-01-01")


def _paragraphs(doc):
    """Every paragraph of the body and of table cells, in document order."""
    out = list(doc.paragraphs)
    for t in doc.tables:
        for row in t.rows:
            for cell in row.cells:
                out.extend(cell.paragraphs)
    return out


def _fill(cell) -> str | None:
    shd = cell._tc.tcPr.find(qn("w:shd")) if cell._tc.tcPr is not None else None
    return None if shd is None else shd.get(qn("w:fill"))


def test_docx_opens_with_banner_and_sections(docx_bytes, project):
    doc = Document(io.BytesIO(docx_bytes))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "测试项目: mixed-methods report (draft)"
    banner = next(p for p in doc.paragraphs if p.text.startswith("OUTCOMES ARE SIMULATED."))
    assert "Seeded logit simulation for tests." in banner.text
    assert banner._p.pPr.find(qn("w:shd")).get(qn("w:fill")) == "FDECEA"
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    for h in ["Data and methods", "Results", "Connection", "Joint display: connection",
              "Statistics by themes: connection", "Case comparison: connection", "Selected cases: connection",
              "Breadth", "Appendix: coded evidence linked to cities and dyads"]:
        assert h in headings, h
    assert "20 cities, 190 dyads" in "\n".join(texts)


def test_docx_chinese_quote_with_citation_and_east_asian_font(docx_bytes, project):
    doc = Document(io.BytesIO(docx_bytes))
    paras = doc.paragraphs
    quote, cite = project.quotes["flows"], f"{project.documents['interview']}, ¶ 2"
    i = next(k for k, p in enumerate(paras) if p.text == quote and p.style.name == "Quote")
    assert paras[i + 1].text == f"— {cite} [Social needs]"
    run = paras[i].runs[0]
    assert run.text == quote
    assert run._element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "SimSun"
    normal = doc.styles["Normal"].element.rPr
    assert normal.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    # the same quote in the joint display cell, with its citation on the next line of the run
    cells = [p.text for p in _paragraphs(doc)]
    assert f"{quote}\n— {cite} [Social needs]" in cells


def test_docx_user_text_stays_literal(docx_bytes, project):
    doc = Document(io.BytesIO(docx_bytes))
    texts = [p.text for p in _paragraphs(doc)]
    assert any(XSS in t for t in texts)
    assert any(f"{project.documents['policy']}, ¶ 2" in t for t in texts)  # "政策<b>文件</b>, ¶ 2"
    assert "careers, not provinces <i>!</i>" in texts
    xml = zipfile.ZipFile(io.BytesIO(docx_bytes)).read("word/document.xml").decode("utf-8")
    assert "<script" not in xml and "<img" not in xml and "<b>" not in xml
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in xml


def test_docx_regression_table_journal_layout(docx_bytes, project):
    doc = Document(io.BytesIO(docx_bytes))
    table = next(t for t in doc.tables if t.rows[0].cells[-1].text == "Connection: logit")
    data = project.data
    X = sm.add_constant(data[["log_gravity", "same_province"]].astype(float))
    params = sm.Logit(data["connection"].astype(float), X).fit(disp=0).params
    rows = [[c.text for c in r.cells] for r in table.rows]
    assert rows[0][0] == ""
    assert rows[1][0] == "log_gravity" and rows[1][1].startswith(f"{params['log_gravity']:.3f}")
    assert rows[2][0] == "" and rows[2][1].startswith("(") and rows[2][1].endswith(")")
    assert rows[3][0] == "same_province" and rows[3][1].startswith(f"{params['same_province']:.3f}")
    n_row = next(k for k, r in enumerate(rows) if r[0] == "N")
    assert rows[n_row][1] == "190" and rows[n_row + 1][0] == "Nodes"
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    assert borders.find(qn("w:top")).get(qn("w:val")) == "single"
    assert borders.find(qn("w:insideV")).get(qn("w:val")) == "nil"  # no vertical rules
    rule = table.rows[n_row].cells[1]._tc.tcPr.find(qn("w:tcBorders")).find(qn("w:top"))
    assert rule.get(qn("w:val")) == "single"  # a rule above the N / Nodes / log-likelihood block
    assert any(p.text.startswith("Note. Standard errors in parentheses: ") for p in doc.paragraphs)


def test_docx_rows_coloured_by_meta_inference(docx_bytes, project):
    doc = Document(io.BytesIO(docx_bytes))
    joint = next(t for t in doc.tables if t.rows[0].cells[0].text == "Term" and
                 any(r.cells[0].text == "same_province" for r in t.rows))
    rows = {r.cells[0].text: r for r in joint.rows[1:]}
    assert {_fill(c) for c in rows["same_province"].cells} == {META_COLOURS["discordance"].lstrip("#")}
    assert {_fill(c) for c in rows["log_gravity"].cells} == {None}
    assert rows["same_province"].cells[6].text == "discordance"
    a, b = project.deviant_dyad
    comparison = next(t for t in doc.tables if [c.text for c in t.rows[0].cells][:3] == ["Case", "Id", "Selection"])
    row = next(r for r in comparison.rows if r.cells[1].text == f"{a}-{b}")
    assert row.cells[9].text == "expansion" and row.cells[10].paragraphs[0].text == "signed for show"
    assert {_fill(c) for c in row.cells} == {META_COLOURS["expansion"].lstrip("#")}
    themes = next(t for t in doc.tables if t.rows[0].cells[0].text == "Theme")
    header = [c.text for c in themes.rows[0].cells]
    assert header[1].startswith("typical (|r| ≤ 2) (N = ") and header[-1] == "All (N = 2)"


def test_docx_control_characters_do_not_break_the_file(engine, project):
    with store.session_scope(engine) as s:
        ctx = build_context(s, {"connection": project.result})
    ctx["dimensions"][0]["cases"]["rows"][0]["quotes"].append(
        {"quote": "bell\x07 and null\x00 here", "cite": "doc, ¶ 1", "code": "c"})
    doc = Document(io.BytesIO(render_context(ctx, "docx")))
    assert any(p.text == "bell\ufffd and null\ufffd here" for p in doc.paragraphs)


def test_write_chooses_the_format_by_extension(engine, project, tmp_path):
    with store.session_scope(engine) as s:
        results = {"connection": project.result}
        docx_path = write(s, results, tmp_path / "report.DOCX", generated="2026-01-01")
        md_path = write(s, results, tmp_path / "report.md")
        html_path = write(s, results, str(tmp_path / "report.html"))
        with pytest.raises(ReportError, match="extension"):
            write(s, results, tmp_path / "report.txt")
        with pytest.raises(ReportError, match="fmt"):
            render(s, results, fmt="pdf")
    assert Document(str(docx_path)).paragraphs[0].text.endswith("mixed-methods report (draft)")
    assert md_path.read_text(encoding="utf-8").startswith("# 测试项目")
    assert html_path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not (tmp_path / "report.txt").exists()


def test_row_colours_are_optional(engine, project):
    with store.session_scope(engine) as s:
        ctx = build_context(s, {"connection": project.result}, colour_rows=False)
    page = render_context(ctx, "html")
    doc = Document(io.BytesIO(render_context(ctx, "docx")))
    assert 'class="mi-' not in page and "rows are coloured" not in page
    assert "discordance" in page  # the label itself is still shown
    fills = {_fill(c) for t in doc.tables for r in t.rows for c in r.cells}
    assert fills == {None}
