"""Report drafts from saved runs (issue 8): the decoupling table carries each run's saved
estimates, the draft names every run with its fingerprint, a stale run is flagged, the worklist's
quotes and memos are in it, and `cli.py report` never refits."""
import io
import math
import sqlite3
import subprocess
import sys
from pathlib import Path

import docx
from docx.oxml.ns import qn
import numpy as np
import pytest
from bs4 import BeautifulSoup
from scipy import stats
from sqlalchemy import select

import store
from demo_runs import demo_copy
from quant.runs import saved as qruns
from report.draft import render
from report.run_sections import load_runset

ROOT = Path(__file__).resolve().parent.parent
DIMS = ("breadth", "connection", "degree")
MEMO = "先访谈两市的协作办公室 <b>not bold</b>"
XSS_NAME = "<img src=x onerror=alert(1)> 连接"


def _expected_cells(run, digits=3):
    """(estimate-with-stars, "(se)") per term, computed here from the saved estimates and the
    stored covariance matrix (SE = sqrt of its diagonal; two-sided normal p; * .05 ** .01 *** .001)."""
    res = run.result
    cov = np.asarray(res.cov[res.se_type], dtype=float)
    out = {}
    for k, term in enumerate(res.params.index):
        est = float(res.params.iloc[k])
        se = math.sqrt(cov[k, k])
        p = 2 * stats.norm.sf(abs(est / se))
        marks = "*" * sum(p < lvl for lvl in (0.05, 0.01, 0.001))
        text = f"{est:.{digits}f}"
        if text.startswith("-") and float(text) == 0:
            text = text[1:]
        out[str(term)] = (text + marks, f"({se:.{digits}f})")
    return out


def _add_worklist_case(s, run):
    """Tick the connection run's dyad with the most linked passages for fieldwork, with a memo."""
    from mixed.evidence import EvidenceIndex
    from mixed.worklist import add_case, update_memo

    idx = EvidenceIndex.from_session(s)
    units = run.result.units
    best, best_n = None, 0
    for a, b in zip(units["city_a"].astype(str), units["city_b"].astype(str)):
        n = len(idx.dyad(a, b))
        if n > best_n:
            best, best_n = (a, b), n
    assert best is not None, "the demo links passages to dyads"
    row = units[(units["city_a"].astype(str) == best[0]) & (units["city_b"].astype(str) == best[1])].iloc[0]
    add_case(s, {"city_a": best[0], "city_b": best[1], "case_type": "typical", "observed": float(row["y"]),
                 "predicted": float(row["fitted"]), "residual": float(row["pearson"])}, run=run, rule="typical")
    update_memo(s, {"city_a": best[0], "city_b": best[1]}, MEMO)
    quotes = [q["quote"] for q in idx.records(idx.dyad(*best))]
    return best, quotes


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("report_runs") / "demo.sqlite"
    demo_copy(path)
    engine = store.connect(path, create=False)
    with store.session_scope(engine) as s:
        for dim in DIMS:
            qruns.fit_and_save(s, f"{dim} 第一轮", dim)
        connection = qruns.load_run(s, "connection 第一轮")
        unit, quotes = _add_worklist_case(s, connection)
    with store.session_scope(engine) as s:
        runset = load_runset(s)
        html = render(s, runset, fmt="html", generated="2026-01-01")
        word = render(s, runset, fmt="docx", generated="2026-01-01")
        md = render(s, runset, fmt="md", generated="2026-01-01")
    yield {"path": path, "engine": engine, "runs": runset.runs, "html": html, "docx": word, "md": md,
           "unit": unit, "quotes": quotes}
    engine.dispose()


def _copy(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite project (the backup API includes what is still in the WAL)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _docx_text(data: bytes) -> tuple[str, list[list[list[str]]]]:
    document = docx.Document(io.BytesIO(data))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    return paragraphs, tables


def _check_table(rows: list[list[str]], runs: dict) -> None:
    """Every estimate, journal layout: each run's column holds its estimate row and SE row per term."""
    header = rows[0]
    for dim, run in runs.items():
        col = next(j for j, h in enumerate(header) if run.info.name in h)
        for term, (coef, se) in _expected_cells(run).items():
            i = next(i for i, r in enumerate(rows) if r[0] == term)
            assert rows[i][col] == coef, (dim, term, rows[i][col], coef)
            assert rows[i + 1][col] == se, (dim, term, rows[i + 1][col], se)


def _check_factors(rows: list[list[str]], runs: dict) -> None:
    """The decoupling table: per factor three rows (estimate with marks, 95% CI, term) per run;
    each shown estimate and interval equals the run's saved estimate ± 1.959964·SE (stored
    covariance) at three decimals."""
    header = rows[0]
    assert header[:2] == ["Factor", "Passages"]
    z = stats.norm.ppf(0.975)
    body = rows[1:]
    n_checked = {dim: 0 for dim in runs}
    for k in range(0, len(body) - 1, 3):
        est_row, ci_row, term_row = body[k:k + 3]
        for dim, run in runs.items():
            col = next(j for j, h in enumerate(header) if run.info.name in h)
            if est_row[col] == "—":
                continue
            term = term_row[col]
            coef, _ = _expected_cells(run)[term]
            assert est_row[col] == coef, (dim, term, est_row[col], coef)
            res = run.result
            i = list(res.params.index).index(term)
            est, se = float(res.params.iloc[i]), math.sqrt(np.asarray(res.cov[res.se_type])[i, i])
            assert ci_row[col] == f"[{est - z * se:.3f}, {est + z * se:.3f}]".replace("[-0.000", "[0.000")
            n_checked[dim] += 1
    assert all(n >= 3 for n in n_checked.values()), n_checked  # the demo maps several factors per run
    assert body[-1][0] == "N" and [body[-1][next(j for j, h in enumerate(header) if r.info.name in h)]
                                    for r in runs.values()] == [f"{r.result.n:,}" for r in runs.values()]


def _html_rows(table) -> list[list[str]]:
    return [[td.get_text() for td in tr.find_all(["td", "th"])] for tr in table.find_all("tr")]


def test_html_draft_holds_the_decoupling_table_of_the_saved_runs(demo):
    soup = BeautifulSoup(demo["html"], "html.parser")
    factors = _html_rows(soup.find("table", class_="decoupling"))
    _check_factors(factors[:-1], demo["runs"])  # the last row is the note
    every = _html_rows(soup.find("table", class_="side-by-side"))
    _check_table(every[:-1], demo["runs"])
    for note in (factors[-1][0], every[-1][0]):
        assert "* p < 0.05, ** p < 0.01, *** p < 0.001" in note  # the marks are explained
        assert all(run.result.se_labels[run.result.se_type] in note for run in demo["runs"].values())


def test_docx_draft_holds_the_decoupling_table_of_the_saved_runs(demo):
    text, tables = _docx_text(demo["docx"])
    names = [run.info.name for run in demo["runs"].values()]
    with_runs = [t for t in tables if all(any(n in h for h in t[0]) for n in names)]
    _check_factors(next(t for t in with_runs if t[0][0] == "Factor"), demo["runs"])
    _check_table(next(t for t in with_runs if t[0][0] == ""), demo["runs"])
    assert "* p < 0.05, ** p < 0.01, *** p < 0.001" in text


def test_drafts_name_each_run_with_its_fingerprint_and_date(demo):
    text, _ = _docx_text(demo["docx"])
    page = BeautifulSoup(demo["html"], "html.parser").get_text()
    for run in demo["runs"].values():
        info = run.info
        for shown in (page, text, demo["md"]):
            assert f"run “{info.name}”" in shown
            assert info.fingerprint[:12] in shown and info.fingerprint[:13] not in shown
            assert f"{info.created:%Y-%m-%d %H:%M} UTC" in shown
            assert run.result.se_labels[info.se_type] in shown
    assert "Stale run" not in page  # nothing changed since the runs were fitted


def test_worklist_case_quotes_and_memo_are_in_every_format(demo):
    from mixed.evidence import city_names

    with store.session_scope(demo["engine"]) as s:
        names = city_names(s)
    a, b = demo["unit"]
    text, tables = _docx_text(demo["docx"])
    soup = BeautifulSoup(demo["html"], "html.parser")
    section = soup.find("section", class_="worklist")
    assert section is not None
    shown = section.get_text()
    assert names[a] in shown and names[b] in shown and MEMO in shown
    assert section.find("b") is None  # the memo's markup stays text
    quotes = demo["quotes"]  # every passage linked to the dyad
    assert quotes, "the chosen dyad has coded passages"
    assert sum(q in shown for q in quotes) >= min(2, len(quotes))
    assert sum(q in text for q in quotes) >= min(2, len(quotes))
    assert any(names[a] in row[0] and names[b] in row[0] and MEMO in row[-1] for t in tables for row in t)
    document = docx.Document(io.BytesIO(demo["docx"]))  # Chinese text names an East Asian font
    memo_runs = [r for t in document.tables for row in t.rows for c in row.cells for par in c.paragraphs
                 for r in par.runs if MEMO in r.text]
    assert memo_runs and all(r._element.rPr.rFonts.get(qn("w:eastAsia")) for r in memo_runs)
    worklist_md = demo["md"].split("## Fieldwork worklist", 1)[1].split("## Appendix", 1)[0]
    assert names[a] in worklist_md and any(q in worklist_md for q in quotes)
    assert "<b>" not in worklist_md and "&lt;b>not bold&lt;/b>" in worklist_md


def test_stale_run_is_flagged_in_the_draft(demo, tmp_path):
    path = tmp_path / "changed.sqlite"
    _copy(demo["path"], path)
    engine = store.connect(path, create=False)
    try:
        with store.session_scope(engine) as s:
            attr = s.scalars(select(store.CityAttribute).where(store.CityAttribute.name == "urban_share")
                             .order_by(store.CityAttribute.city_code)).first()
            attr.value = float(attr.value) + 0.25
        with store.session_scope(engine) as s:
            page = BeautifulSoup(render(s, load_runset(s), fmt="html"), "html.parser")
            stale = [p.get_text() for p in page.find_all(class_="stale")]
            md = render(s, load_runset(s), fmt="md")
    finally:
        engine.dispose()
    breadth = demo["runs"]["breadth"].info.name
    assert any(f"The data changed since the run '{breadth}' was fitted" in t for t in stale), stale
    assert f"**Stale run.** The data changed since the run '{breadth}' was fitted" in md


@pytest.mark.slow  # a CLI round trip, each command in its own process (~3 s of start-up each): CI runs it
def test_cli_report_reads_saved_runs_and_never_refits(demo, tmp_path):
    path = tmp_path / "changed.sqlite"
    _copy(demo["path"], path)
    engine = store.connect(path, create=False)
    try:
        with store.session_scope(engine) as s:  # change the data under the breadth run
            for attr in s.scalars(select(store.CityAttribute).where(store.CityAttribute.name == "urban_share")):
                attr.value = 1.0 - float(attr.value)
        with store.session_scope(engine) as s:  # what a refit would print now differs from the run
            from quant.runs.analysis import fit_dimension

            run = qruns.load_run(s, demo["runs"]["breadth"].info.name)
            refit = fit_dimension(s, "breadth", model=run.info.model, formula=run.info.formula)
            n_runs = len(qruns.list_runs(s))
    finally:
        engine.dispose()
    saved = _expected_cells(run)
    assert f"{refit.params['urban_share']:.3f}" != saved["urban_share"][0].rstrip("*")
    out = tmp_path / "draft.html"
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "report", "--project", str(path), "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "stale: The data changed since the run 'breadth 第一轮'" in proc.stdout
    soup = BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser")
    _check_factors(_html_rows(soup.find("table", class_="decoupling"))[:-1], {"breadth": run})
    _check_table(_html_rows(soup.find("table", class_="side-by-side"))[:-1], {"breadth": run})
    engine = store.connect(path, create=False)
    try:
        with store.session_scope(engine) as s:
            assert len(qruns.list_runs(s)) == n_runs  # nothing was fitted and saved on the way
    finally:
        engine.dispose()


@pytest.mark.slow  # a CLI round trip, each command in its own process (~3 s of start-up each): CI runs it
def test_cli_report_skips_a_dimension_without_a_run_and_names_runs(demo, tmp_path):
    path = tmp_path / "two.sqlite"
    _copy(demo["path"], path)
    engine = store.connect(path, create=False)
    try:
        with store.session_scope(engine) as s:
            qruns.delete_run(s, demo["runs"]["degree"].info.name)
            qruns.rename_run(s, demo["runs"]["connection"].info.name, XSS_NAME)
        with store.session_scope(engine) as s:
            page = render(s, load_runset(s), fmt="html")
    finally:
        engine.dispose()
    soup = BeautifulSoup(page, "html.parser")
    figures = soup.find_all("img")  # only the draft's own figures (report.figures), no injected <img>
    assert len(figures) == 4 and all(i["src"].startswith("data:image/png;base64,") for i in figures)
    assert XSS_NAME in soup.get_text() and any(XSS_NAME in i["alt"] for i in figures)
    out = tmp_path / "draft.md"
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "report", "--project", str(path), "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "from 2 saved run(s)" in proc.stdout
    assert f"skipped degree: no run is saved; save one with `python cli.py fit --project {path} --dimension degree" \
        in proc.stdout
    text = out.read_text(encoding="utf-8")
    assert "Skipped degree: no run is saved" in text and "degree 第一轮" not in text
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)> 连接" in text
    bad = subprocess.run([sys.executable, str(ROOT / "cli.py"), "report", "--project", str(path), "--runs",
                          f"breadth 第一轮,{XSS_NAME},{XSS_NAME}", "--out", str(tmp_path / "x.md")],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert bad.returncode == 1 and "Two runs of connection" in bad.stderr and not (tmp_path / "x.md").exists()


def test_codes_mapped_to_a_dimension_are_counted_and_quoted(demo):
    """The demo maps Mark to every dimension: its row counts all Mark passages (counted here from
    the codings table) and quotes a Mark passage."""
    from coding.codes.dimensions import dimension_map

    with store.session_scope(demo["engine"]) as s:
        mark = s.scalars(select(store.Code).where(store.Code.name == "Mark")).one()
        assert "connection" in dimension_map(s).get(mark.id, [])
        children = [c.id for c in s.scalars(select(store.Code).where(store.Code.parent_id == mark.id))]
        texts = [c.quote for c in s.scalars(select(store.Coding).where(store.Coding.code_id.in_([mark.id, *children])))]
    soup = BeautifulSoup(demo["html"], "html.parser")
    heading = next(h for h in soup.find_all("h4") if h.get_text() == "Codes mapped to connection")
    table = heading.find_next("table")
    assert "mapped" in table["class"]
    row = next(tr for tr in table.find_all("tr") if tr.find("td") and tr.find("td").get_text() == "Mark")
    cells = [td.get_text() for td in row.find_all("td")]
    assert cells[1] == str(len(texts))
    quotes = [q.get_text() for q in row.find_all(class_="quote")]
    assert quotes and all(q in texts for q in quotes)
