"""Report drafts (report.draft): context, Markdown quotes with citations, HTML escaping."""
import html as htmllib

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import delete

import store
from mixed.cases import case_table
from mixed_report_project import XSS, build
from report.draft import build_context, render
from report.errors import ReportError


@pytest.fixture
def project(engine):
    with store.session_scope(engine) as s:
        proj = build(s)
    return proj


def test_report_draft_markdown_quotes_dyad_coding_with_citation(engine, project):
    with store.session_scope(engine) as s:
        md = render(s, {"connection": project.result}, fmt="md")
    quote = project.quotes["flows"]  # linked to the most typical dyad, paragraph 2 of the interview
    cite = f"{project.documents['interview']}, ¶ 2"
    assert f"> {quote}\n>\n> — {cite} [Social needs]" in md  # the case narrative
    assert f"“{quote}” ({cite})" in md  # the joint display
    a, b = project.typical_dyad
    assert f"**{project.cities[a]} – {project.cities[b]}** (typical" in md
    assert "OUTCOMES ARE SIMULATED" in md
    assert project.result.se_labels[project.result.se_type] in md
    assert "5 codings" in md and "20 cities" in md and "190 dyads" in md


def test_report_draft_html_escapes_user_text(engine, project):
    with store.session_scope(engine) as s:
        page = render(s, {"connection": project.result, "breadth": project.breadth_result}, fmt="html")
        md = render(s, {"connection": project.result}, fmt="md")
    soup = BeautifulSoup(page, "html.parser")
    assert soup.find("script") is None and soup.find("img") is None
    assert soup.find("b") is None  # the document name "政策<b>文件</b>" stays text
    text = soup.get_text()
    assert XSS in text  # shown literally to the reader
    assert f"{project.documents['policy']}, ¶ 2" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>" not in page and "<img" not in page
    assert htmllib.unescape(page).count(XSS) >= 1
    assert XSS not in md and "<script>" not in md  # no raw HTML reaches a Markdown renderer
    assert XSS in htmllib.unescape(md)  # entities: the text still reads literally once rendered
    banner = soup.find(class_="banner")
    assert banner is not None and "OUTCOMES ARE SIMULATED" in banner.get_text()


def test_report_draft_context_sections(engine, project):
    with store.session_scope(engine) as s:
        cases = case_table(s, project.result, c=2.0, n_typical=3)
        ctx = build_context(s, {"connection": project.result}, cases={"connection": cases},
                            max_quotes=1, generated="2026-01-01")
    assert ctx["generated"] == "2026-01-01" and ctx["project"]["simulated"]
    assert ctx["project"]["n_codings"] == 5 and ctx["project"]["n_documents"] == 2
    (d,) = ctx["dimensions"]
    assert d["dimension"] == "connection" and d["n"] == 190 and d["unit"] == "dyads"
    assert d["se_label"] == project.result.se_labels[project.result.se_type]
    assert d["table"]["note"].startswith("Standard errors in parentheses: " + d["se_label"])
    assert [r["term"] for r in d["joint"]["rows"]] == ["log_gravity", "same_province"]
    assert all(len(r["quotes"]) <= 1 for r in d["joint"]["rows"])
    typical = [r for r in d["cases"]["rows"] if "typical" in r["case_type"]]
    assert len(typical) == 2 * 3  # binary model: n_typical ties and n_typical non-ties
    assert {r["cell"] for r in typical} == {"typical tie", "typical non-tie"}
    a, b = project.typical_dyad
    first = typical[0]
    assert first["unit"] == f"{a}-{b}" and first["n_passages"] == 1 and not first["no_evidence"]
    assert [q["quote"] for q in first["quotes"]] == [project.quotes["flows"]]


def test_report_draft_no_banner_without_simulation_and_bad_input(engine, project):
    with store.session_scope(engine) as s:
        s.execute(delete(store.ProjectInfo).where(store.ProjectInfo.key == "simulated_outcomes"))
    with store.session_scope(engine) as s:
        md = render(s, {"connection": project.result}, fmt="md")
        page = render(s, {}, fmt="html")
        with pytest.raises(ReportError, match="fmt"):
            render(s, {"connection": project.result}, fmt="docx")
        with pytest.raises(ReportError, match="no fit"):
            build_context(s, {"connection": project.result}, cases={"degree": None})
    assert "SIMULATED" not in md
    assert "No model has been fitted yet." in page


def test_report_draft_deviant_cap_keeps_cases_with_evidence(engine, project):
    with store.session_scope(engine) as s:
        full = case_table(s, project.result, c=2.0, n_typical=2)
        ctx = build_context(s, {"connection": project.result}, c=2.0, n_typical=2, max_deviant=0)
    deviant_all = full[full["case_type"] == "deviant"]
    with_evidence = deviant_all[deviant_all["n_passages"] > 0]
    cases = ctx["dimensions"][0]["cases"]
    shown = [r for r in cases["rows"] if r["case_type"] == "deviant"]
    # cap 0: only the deviant cases that already have coded passages remain
    assert [r["unit"] for r in shown] == [f"{a}-{b}" for a, b in zip(with_evidence.city_a, with_evidence.city_b)]
    da, db = project.deviant_dyad
    # the largest |r| of this seeded fit exceeds c = 2, so the Mark-coded dyad is deviant and shown
    assert (full.loc[(full.city_a == da) & (full.city_b == db), "case_type"] == "deviant").all()
    assert f"{da}-{db}" in [r["unit"] for r in shown]
    assert cases["n_deviant"] == len(deviant_all) and cases["n_deviant_shown"] == len(with_evidence)
