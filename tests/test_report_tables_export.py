"""Regression tables exported as Markdown, HTML, CSV, LaTeX and Word: every format carries the same
cells, the note (SE type, p reference, star legend) and escapes what it must; Word is read back
with python-docx, CSV with pandas."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from docx import Document

from coding.spreadsheet import restore
from quant.models.dispatch import fit_connection, fit_degree
from quant_small_project import tables
from report.errors import ReportError
from report.table_export import EXPORT_FORMATS, export_table, latex_escape, to_latex
from report.tables import regression_table


@pytest.fixture(scope="module")
def table():
    _, d = tables(seed=7)
    a = fit_connection(d, "connection ~ log_distance", n_nodes=30)
    b = fit_connection(d, "connection ~ log_distance + shared_border", n_nodes=30)
    c = fit_degree(d, "degree ~ shared_border", n_nodes=30)
    return regression_table([a, b, c], labels=["(1) base", "(2) + border", "(3) items_count"],
                            stats=("N", "Nodes", "Log-likelihood", "AIC", "BIC")), (a, b, c)


def test_stat_rows_and_values(table):
    df, (a, b, c) = table
    bottom = df.iloc[df.attrs["n_coef_rows"]:].set_index("term")
    assert list(bottom.index) == ["N", "Nodes", "Log-likelihood", "AIC", "BIC"]
    assert bottom.loc["AIC", "(2) + border"] == f"{b.aic:.2f}" and bottom.loc["BIC", "(3) items_count"] == f"{c.bic:.2f}"
    assert bottom.loc["N", "(3) items_count"] == f"{c.n:,}"
    with pytest.raises(ReportError, match="unknown table row"):
        regression_table([a], stats=("R2",))


def test_markdown_html_csv_carry_cells_and_note(table):
    df, _ = table
    note = df.attrs["note"]
    md = export_table(df, "md", caption="Table 1").decode("utf-8")
    assert md.startswith("**Table 1**") and note in md and "| (1) base | (2) + border |" in md
    html = export_table(df, "html").decode("utf-8")
    assert "<tfoot>" in html and "dyadic-robust" in html and html.count("<tr>") == len(df) + 2
    raw = export_table(df, "csv")
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the text as UTF-8
    quoted = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    # cells a spreadsheet would evaluate ("-0.345**") carry the formula quote; bare numbers do not
    cells = [v for v in df.iloc[:, 1:].to_numpy().ravel() if v]
    risky = [v for v in cells if v[0] in "-+=@" and not v.replace(".", "", 1).lstrip("+-").isdigit()]
    assert risky and all("'" + v in set(quoted.to_numpy().ravel()) for v in risky)
    back = quoted.map(restore)
    pd.testing.assert_frame_equal(back.iloc[:-1].reset_index(drop=True), df.reset_index(drop=True), check_dtype=False)
    assert back.iloc[-1, 0] == note and (back.iloc[-1, 1:] == "").all()
    with pytest.raises(ReportError, match="unknown table format"):
        export_table(df, "pdf")
    assert set(EXPORT_FORMATS) == {"md", "html", "csv", "tex", "docx"}


def test_latex_is_booktabs_escaped_with_a_rule_before_the_statistics(table):
    df, _ = table
    tex = export_table(df, "tex", caption="Effects on 50% of ties & more").decode("utf-8")
    lines = tex.splitlines()
    assert lines[0] == r"\begin{table}[htbp]" and lines[-1] == r"\end{table}"
    assert r"\caption{Effects on 50\% of ties \& more}" in tex
    assert r"(3) items\_count" in tex and r"log\_distance" in tex
    assert tex.count(r"\midrule") == 2 and r"\toprule" in tex and r"\bottomrule" in tex
    body = [ln for ln in lines if ln.endswith(r" \\")]
    assert len(body) == len(df) + 1  # header + rows
    rule = lines.index(r"\midrule", lines.index(r"\midrule") + 1)
    assert lines[rule + 1].startswith("N & ")
    assert r"p \textless{} 0.05" in tex  # '<' would print as '¡' in OT1 text
    assert latex_escape(r"a\b_{c}^~#$") == r"a\textbackslash{}b\_\{c\}\textasciicircum{}\textasciitilde{}\#\$"
    assert to_latex(pd.DataFrame({"a": ["1"]})).count(r"\midrule") == 1


def test_docx_read_back_equals_the_table(table):
    df, _ = table
    doc = Document(io.BytesIO(export_table(df, "docx", caption="Table 2")))
    assert doc.paragraphs[0].text == "Table 2"
    [t] = doc.tables
    cells = [[c.text for c in row.cells] for row in t.rows]
    assert cells[0] == list(df.columns)
    assert cells[1:] == [["" if v is None else str(v) for v in row] for row in df.itertuples(index=False)]
    assert doc.paragraphs[-1].text == df.attrs["note"]
    xml = t._element.xml
    assert "w:tblBorders" in xml and 'w:val="nil"' in xml  # horizontal rules only, journal style


def test_note_names_se_type_and_p_reference_per_column(table):
    df, (a, b, c) = table
    assert "dyadic-robust (Fafchamps & Gubert 2007)" in df.attrs["note"]
    assert "Two-sided p from the standard normal" in df.attrs["note"]
    mixed = regression_table([a, b.__class__(**{**b.__dict__, "p_dist": "t"})], se_type="hc0")
    assert "(1) connection (logit): standard normal" in mixed.attrs["note"]
    assert "(2) connection (logit): t with N - 1 = 29 df" in mixed.attrs["note"]
    assert "HC0 sandwich" in mixed.attrs["note"]
    assert np.isfinite(a.llf)
