"""Report drafts (report.draft): context, Markdown quotes with citations, HTML escaping."""
import html as htmllib

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import delete

import store
from mixed.cases import case_table
from mixed.meta import set_meta_inference
from mixed_report_project import XSS, build
from report.draft import build_context, render
from report.errors import ReportError
from report.sections import META_COLOURS


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
        page = render(s, {"connection": project.result, "breadth": project.breadth_result}, fmt="html",
                      figures=False)  # figures are <img> data URIs (tests/test_report_figures.py)
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
            render(s, {"connection": project.result}, fmt="pdf")
        with pytest.raises(ReportError, match="no run"):
            build_context(s, {"connection": project.result}, cases={"degree": None})
        with pytest.raises(ReportError, match="Unknown report setting"):
            build_context(s, {"connection": project.result}, max_quote=3)
    assert "SIMULATED" not in md
    assert "No saved run is reported" in page


def test_report_draft_deviant_cap_keeps_cases_with_evidence(engine, project):
    """Cap 0 keeps only the deviant dyads that have coded passages. The expected cases are computed
    here, not by Tandem: Pearson residuals (y − p) / √(p(1 − p)) of statsmodels' logit on the same
    dyads, deviant iff |r| > 2; of the project's codings only two are dyad-linked (the typical and
    the deviant dyad, tests/mixed_report_project.py), so exactly one deviant dyad has evidence."""
    import numpy as np
    import statsmodels.formula.api as smf

    data = project.data.assign(connection=lambda d: d["connection"].astype(float))
    p_hat = smf.logit("connection ~ log_gravity + same_province", data).fit(disp=0).predict(data)
    pearson = (data["connection"] - p_hat) / np.sqrt(p_hat * (1 - p_hat))
    r = dict(zip(zip(data["city_a"], data["city_b"]), pearson))
    da, db = project.deviant_dyad
    # the largest |r| of this seeded fit exceeds c = 2, so the Mark-coded dyad is deviant; the other
    # dyad-linked coding is on the typical dyad (|r| ≤ 2)
    assert abs(r[(da, db)]) > 2 and abs(r[project.typical_dyad]) <= 2
    n_deviant = int((pearson.abs() > 2).sum())
    assert n_deviant > 1  # the cap has something to drop
    with store.session_scope(engine) as s:
        ctx = build_context(s, {"connection": project.result}, c=2.0, n_typical=2, max_deviant=0)
    cases = ctx["dimensions"][0]["cases"]
    shown = [r["unit"] for r in cases["rows"] if r["case_type"] == "deviant"]
    # cap 0: only the deviant cases that already have coded passages remain
    assert shown == [f"{da}-{db}"]
    assert cases["n_deviant"] == n_deviant and cases["n_deviant_shown"] == 1


def test_report_draft_themes_comparison_and_meta_inferences(engine, project):
    a, b = project.deviant_dyad
    with store.session_scope(engine) as s:
        set_meta_inference(s, "connection", "log_gravity", "confirmation", "flows <b>matter</b> | both", author="ann")
        set_meta_inference(s, "connection", (b, a), "discordance", "signed for show", display="case", author="ann")
        md = render(s, {"connection": project.result}, fmt="md")
        page = render(s, {"connection": project.result}, fmt="html")
        ctx = build_context(s, {"connection": project.result}, themes_grouping="outcome")
    # Markdown: the note in the joint display (HTML neutralised, pipe escaped), the two new displays
    assert "| confirmation | flows &lt;b>matter&lt;/b> \\| both |" in md
    assert "1 of 2 term(s) carry a meta-inference." in md
    assert "#### Statistics by themes: connection" in md and "Units with coded evidence: 2 of 190 dyads" in md
    assert "| Social needs | " in md and "All (N = 2)" in md
    assert "#### Case comparison: connection" in md
    assert f"| {a}-{b} | deviant tie | \\|r\\| = " in md and "| Mark | discordance | signed for show |" in md
    # HTML: rows carry the label's class, whose colour the stylesheet sets; the note is escaped
    soup = BeautifulSoup(page, "html.parser")
    joint_row = next(tr for tr in soup.select("table.joint tr") if tr.td and tr.td.get_text() == "log_gravity")
    assert joint_row["class"] == ["mi-confirmation"]
    assert f"tr.mi-confirmation td {{ background: {META_COLOURS['confirmation']}; }}" in page
    assert "flows <b>matter</b> | both" in joint_row.get_text() and soup.find("b") is None
    comp_row = next(tr for tr in soup.select("table.comparison tr") if f"{a}-{b}" in tr.get_text())
    assert comp_row["class"] == ["mi-discordance"] and "Mark" in comp_row.get_text()
    assert len(soup.select("table.themes")) == 1
    d = ctx["dimensions"][0]
    assert d["themes"]["grouping"] == "outcome" and d["themes"]["columns"][0] == "Theme"
    assert [r["case_id"] for r in d["comparison"]["rows"]][0] == f"{a}-{b}"  # deviant first
    assert d["comparison"]["rows"][0]["meta_colour"] == META_COLOURS["discordance"]
    assert d["joint"]["rows"][0]["judged"].startswith("ann, ")
