"""Chinese report drafts (ReportOptions(language="zh"), ``report --language zh``) on the demo project.

Expected values are written by hand: the six section headings of a Chinese social-science paper,
the 注： line with the SE type and the default star levels, 文档名，第n段 citations checked against
the stored documents, GB/T 7714-2015 reference entries, a Babel zh_CN date, and the DOCX fonts
(宋体/黑体 via w:eastAsia), 1.5 line spacing, two-character first-line indent and three-line tables.
"""
import io
import re
from datetime import date

import pytest
from bs4 import BeautifulSoup
from docx import Document
from docx.oxml.ns import qn
from sqlalchemy import select

import i18n
import store
from demo_runs import demo_copy
from quant.runs import saved as runs
from report.draft import build_context
from report.layout import render_context
from report.errors import ReportError
from report.options import ReportOptions
from report.run_sections import load_runset
from report.zh_draft import stars_zh, zh_blocks, zh_cite
from report.zh_terms import zh_date

HEADINGS = ["一、研究设计", "二、数据与方法", "三、实证结果", "四、质性证据", "五、案例选择",
            "六、结论与讨论"]
CITE = re.compile(r"——(?P<doc>[^，\n]+)，第(?P<n>\d+)段")
# GB/T 7714-2015 numeric entry: [n] SURNAME I I, SURNAME I. Title[J]. Journal, year, vol(issue): p-p.
JOURNAL = re.compile(r"^\[(\d+)\] (?:[A-Z][A-Z'\-]+(?: [A-Z]{1,2})*)(?:, [A-Z][A-Z'\-]+(?: [A-Z]{1,2})*)*"
                     r"(?:, et al)?\. [^\[]+\[J\]\. [^,]+, (?:19|20)\d\d, \d+\(\d+\): \d+-\d+\.$")
ANY_ENTRY = re.compile(r"^\[(\d+)\] [A-Z][A-Z'\-]+ [A-Z]{1,3}[ ,.].*\[(J|M|C|R)\](//.*)?\. .*(19|20)\d\d")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo_zh") / "demo.sqlite"
    demo_copy(path)
    engine = store.connect(path, create=False)
    with store.session_scope(engine) as s:
        for d in ("breadth", "connection", "degree"):
            runs.fit_and_save(s, f"{d} demo", d)
    with store.session_scope(engine) as s:
        runset = load_runset(s)
        opts = ReportOptions(language="zh", figures=False, generated="2026-01-01")
        ctx = build_context(s, runset, options=opts)
        results = {k: v.result for k, v in runset.runs.items()}
        documents = {d.name: d for d in s.scalars(select(store.Document))}
        paragraphs = {name: len([p for p in d.text.split("\n") if p.strip()]) for name, d in documents.items()}
    md = render_context(ctx, "md")
    page = render_context(ctx, "html")
    docx = render_context(ctx, "docx")
    yield {"engine": engine, "path": path, "ctx": ctx, "results": results, "md": md, "html": page, "docx": docx,
           "paragraphs": paragraphs}
    engine.dispose()


def _in_order(text: str, items) -> bool:
    pos = [text.find(h) for h in items]
    return all(p >= 0 for p in pos) and pos == sorted(pos)


def test_six_sections_in_order_in_every_format(demo):
    md_heads = [line[3:] for line in demo["md"].splitlines() if line.startswith("## ")]
    assert md_heads[:6] == HEADINGS
    assert md_heads[6] == "参考文献"
    soup = BeautifulSoup(demo["html"], "html.parser")
    assert [h.get_text() for h in soup.find_all("h2")][:6] == HEADINGS
    assert soup.html["lang"] == "zh-CN"
    doc = Document(io.BytesIO(demo["docx"]))
    heads = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert heads[:7] == HEADINGS + ["参考文献"]


def test_tables_have_a_note_with_se_type_stars_and_n(demo):
    md = demo["md"]
    n_dyads = f"{int(demo['results']['connection'].n):,}"
    assert "注：括号内为二元稳健标准误；*** p<0.001，** p<0.01，* p<0.05；N = " + n_dyads + "。" in md
    assert "注：括号内为基于模型的标准误；*** p<0.001，** p<0.01，* p<0.05；N = 155。" in md
    assert re.search(r"^\*\*表1　", md, re.M) and re.search(r"^\*\*表2　", md, re.M)
    # the draft's own levels: a draft with stars (0.1, 0.05, 0.01) writes them in its notes
    with i18n.using("zh"):
        blocks = zh_blocks(demo["ctx"], demo["results"], stars=(0.1, 0.05, 0.01), c=2.0)
    notes = [b["note"] for b in blocks if b["type"] == "table" and b["note"].startswith("注：括号内为")]
    assert notes and all("*** p<0.01，** p<0.05，* p<0.1" in n for n in notes)
    assert stars_zh((0.05, 0.01, 0.001)) == "*** p<0.001，** p<0.01，* p<0.05"


def test_passages_are_cited_document_paragraph(demo):
    found = CITE.findall(demo["md"])
    assert len(found) >= 10
    for doc_name, n in found:
        assert doc_name in demo["paragraphs"], doc_name
        assert int(n) >= 1 and int(n) <= demo["paragraphs"][doc_name]  # a paragraph the document has
    assert re.search(r"[^，]+，第\d+段", demo["md"])
    with i18n.using("zh"):
        assert zh_cite("广州访谈, ¶ 12") == "广州访谈，第12段"
        assert zh_cite("note, chars 3–9") == "note, chars 3–9"
    assert ", ¶ " not in demo["md"]


def test_references_follow_gbt_7714(demo):
    md = demo["md"]
    refs = md[md.index("## 参考文献"):md.index("## 附录")]
    entries = [line for line in refs.splitlines() if line.startswith("[")]
    assert len(entries) >= 6
    assert [int(ANY_ENTRY.match(e).group(1)) for e in entries] == list(range(1, len(entries) + 1))
    journals = [e for e in entries if "[J]" in e]
    assert journals and all(JOURNAL.match(e) for e in journals), [e for e in journals if not JOURNAL.match(e)]
    assert ("[3] LIEBERMAN E S. Nested analysis as a mixed-method strategy for comparative research[J]. American "
            "Political Science Review, 2005, 99(3): 435-452.") in entries
    assert any(e.startswith("[5] ARONOW P M, SAMII C, ASSENOVA V A. ") for e in entries)
    # numbered in order of first citation: [1] in the design, the dyadic-robust SE cites [4-6]
    body = md[:md.index("## 参考文献")]
    assert body.index("[1]") < body.index("[2]") < body.index("[3]") < body.index("[4-6]")
    assert "二元稳健标准误[4-6]" in body


def test_chinese_date_and_numbers(demo):
    assert "起草日期：2026年1月1日。" in demo["md"]
    assert zh_date(date(2026, 12, 3)) == "2026年12月3日"
    assert zh_date("2026-12-03") == "2026年12月3日"
    assert "城市对 11,935 个" in demo["md"]
    assert "2026-01-01" not in demo["md"].split("## 二、")[0]


def _rfonts(run):
    rpr = run._element.rPr
    return None if rpr is None or rpr.rFonts is None else rpr.rFonts


def test_docx_fonts_spacing_indent_and_three_line_tables(demo):
    doc = Document(io.BytesIO(demo["docx"]))
    normal = doc.styles["Normal"]
    assert normal.paragraph_format.line_spacing == 1.5
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "SimSun"
    body = [p for p in doc.paragraphs if p._p.pPr is not None and p._p.pPr.find(qn("w:ind")) is not None
            and p._p.pPr.find(qn("w:ind")).get(qn("w:firstLineChars")) == "200"]
    assert len(body) >= 3
    assert any("本研究采用混合方法设计" in p.text for p in body)
    for p in body:
        assert p.paragraph_format.first_line_indent.pt == 24.0
        for run in p.runs:
            fonts = _rfonts(run)
            assert fonts.get(qn("w:eastAsia")) == "SimSun"
            assert fonts.get(qn("w:ascii")) == "Times New Roman"
    heads = [p for p in doc.paragraphs if p.style.name.startswith("Heading") or p.style.name == "Title"]
    assert len(heads) >= 10
    for p in heads:
        assert p.runs and all(_rfonts(r).get(qn("w:eastAsia")) == "SimHei" for r in p.runs)
    # three-line tables: heavy rules above and below, none inside, a thin rule under the header
    assert len(doc.tables) >= 10
    for t in doc.tables:
        borders = t._tbl.tblPr.find(qn("w:tblBorders"))
        edge = {e.tag.split("}")[1]: (e.get(qn("w:val")), e.get(qn("w:sz"))) for e in borders}
        assert edge["top"] == ("single", "12") and edge["bottom"] == ("single", "12")
        assert edge["insideH"][0] == "nil" and edge["insideV"][0] == "nil" and edge["left"][0] == "nil"
        head = t.rows[0].cells[0]._tc.tcPr.find(qn("w:tcBorders")).find(qn("w:bottom"))
        assert head.get(qn("w:val")) == "single" and head.get(qn("w:sz")) == "6"
    notes = [p.text for p in doc.paragraphs if p.text.startswith("注：")]
    assert any(n.startswith("注：括号内为二元稳健标准误") for n in notes)


def test_english_draft_stays_english_under_a_chinese_interface(demo):
    with store.session_scope(demo["engine"]) as s:
        i18n.set_language("zh")
        try:
            ctx = build_context(s, load_runset(s), figures=False, generated="2026-01-01")
            md = render_context(ctx, "md")
        finally:
            i18n.set_language("en")
    assert ctx["language"] == "en" and "blocks" not in ctx
    assert md.startswith("# Tandem demo") and ": mixed-methods report (draft)" in md.splitlines()[0]
    assert "## Data and methods" in md and "一、研究设计" not in md
    assert re.search(r"— .+, ¶ \d+ \[", md)


def test_unknown_language_is_refused(demo):
    with store.session_scope(demo["engine"]) as s:
        with pytest.raises(ReportError, match="language 'fr'"):
            build_context(s, load_runset(s), language="fr")


def test_cli_report_language_zh(demo, tmp_path):
    from cli import main

    out = tmp_path / "草稿.md"
    main(["report", "--project", str(demo["path"]), "--out", str(out), "--no-figures", "--language", "zh"])
    text = out.read_text(encoding="utf-8")
    assert _in_order(text, HEADINGS)
    en = tmp_path / "draft.md"
    main(["report", "--project", str(demo["path"]), "--out", str(en), "--no-figures"])
    assert "## Data and methods" in en.read_text(encoding="utf-8")


def test_zh_draft_of_unsaved_fits_on_each_backend(engine):
    """The small test project (tests/mixed_report_project.py) on SQLite and PostgreSQL: user text stays
    literal (escaped in HTML), unsaved fits are named as such, a quote is cited 文档名，第n段."""
    from mixed_report_project import XSS, build

    with store.session_scope(engine) as s:
        proj = build(s)
        ctx = build_context(s, {"connection": proj.result, "breadth": proj.breadth_result}, language="zh",
                            figures=False, generated="2026-12-03")
    md, page = render_context(ctx, "md"), render_context(ctx, "html")
    doc = Document(io.BytesIO(render_context(ctx, "docx")))
    assert _in_order(md, ["## 一、研究设计", "## 二、数据与方法", "## 三、实证结果", "## 六、结论与讨论"])
    assert "起草日期：2026年12月3日。" in md
    assert "未保存为分析记录的拟合结果" in md and "unsaved fit" not in md
    assert CITE.search(md)
    soup = BeautifulSoup(page, "html.parser")
    assert not soup.find("script") and not soup.find("img", onerror=True)
    assert "<script>" not in md  # a tag in user text is neutralised in Markdown too
    if "alert(1)" in page:
        assert XSS in soup.get_text()
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"][:2] == ["一、研究设计", "二、数据与方法"]
