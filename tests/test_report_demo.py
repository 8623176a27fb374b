"""Both report templates rendered with the demo project (three saved runs, one per dimension)."""
import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

import store
from demo_runs import demo_copy
from quant.runs import saved as runs
from report.draft import render
from report.run_sections import load_runset

QUOTE = re.compile(r"^> (?P<quote>.+)\n>\n> — (?P<doc>.+), ¶ (?P<para>\d+) \[(?P<code>[^\]]+)\]$", re.M)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo_report") / "demo.sqlite"
    demo_copy(path)
    engine = store.connect(path, create=False)
    with store.session_scope(engine) as s:
        for d in ("breadth", "connection", "degree"):
            runs.fit_and_save(s, f"{d} demo", d)
    with store.session_scope(engine) as s:
        results = load_runset(s).runs
        md = render(s, results, fmt="md", generated="2026-01-01")
        page = render(s, results, fmt="html", generated="2026-01-01")
    yield engine, results, md, page
    engine.dispose()


def test_report_demo_markdown_cites_quotes_from_their_paragraphs(demo):
    engine, results, md, _ = demo
    assert "OUTCOMES ARE SIMULATED" in md
    for dim in results:
        assert f"### {dim.capitalize()}" in md
    cited = QUOTE.findall(md)
    assert len(cited) >= 3
    with store.session_scope(engine) as s:
        for quote, doc_name, para, code in cited:
            doc = s.scalars(select(store.Document).where(store.Document.name == doc_name)).one()
            seg = s.scalars(select(store.Segment).where(
                store.Segment.document_id == doc.id, store.Segment.kind == "paragraph",
                store.Segment.idx == int(para))).one()
            paragraph = doc.text[seg.start:seg.end]
            assert quote in paragraph, (doc_name, para, quote)
            assert s.scalars(select(store.Code.id).where(store.Code.name == code)).first() is not None


def test_report_demo_html_is_one_escaped_page(demo):
    _, results, md, page = demo
    soup = BeautifulSoup(page, "html.parser")
    assert soup.find("script") is None
    assert len(soup.select("table.regression:not(.decoupling):not(.side-by-side)")) == len(results)
    assert len(soup.select("table.decoupling")) == len(soup.select("table.side-by-side")) == 1
    assert len(soup.find_all("table", class_="joint")) == len(results)
    assert soup.find(class_="banner") is not None
    # every quote of the Markdown draft is shown in the HTML page too
    text = soup.get_text()
    for quote, *_ in QUOTE.findall(md):
        assert quote in text
