"""A regression table (``report.tables.regression_table``) as a download: Markdown, HTML, CSV,
LaTeX (booktabs) or DOCX (python-docx), each in the journal layout with its note.

CSV goes through ``coding.spreadsheet`` (no cell a spreadsheet would run as a formula); LaTeX
escapes its special characters; DOCX sets user text only as the text of runs.
"""
from __future__ import annotations

import io
import math

import pandas as pd

from coding.spreadsheet import to_csv_text
from i18n import _
from report.errors import ReportError
from report.tables import to_html, to_markdown

__all__ = ["EXPORT_FORMATS", "export_table", "latex_escape", "to_csv", "to_docx", "to_latex"]

#: Formats of ``export_table``: file suffix → MIME type.
EXPORT_FORMATS = {
    "md": "text/markdown", "html": "text/html", "csv": "text/csv", "tex": "application/x-tex",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def to_csv(df: pd.DataFrame, *, note: str | None = None) -> str:
    """The table as CSV text; the note, if any, as a last one-cell row.

    Written by :func:`coding.spreadsheet.to_csv_text`: starts with the byte-order mark
    ``\ufeff`` (encode as UTF-8 for Excel), LF line ends, text quoted, and a cell a
    spreadsheet would run as a formula gets a leading ``'`` (``-0.345**`` becomes
    ``'-0.345**``; a bare number such as ``-0.345`` stays as it is).
    """
    frame = df.copy()
    if note:
        extra = pd.DataFrame([[note] + [""] * (frame.shape[1] - 1)], columns=frame.columns)
        frame = pd.concat([frame, extra], ignore_index=True)
    return to_csv_text(frame)


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  "<": r"\textless{}", ">": r"\textgreater{}"}


def latex_escape(text) -> str:
    """Text with LaTeX's special characters escaped (``\\ & % $ # _ { } ~ ^ < >``)."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in ("" if text is None else str(text)))


def to_latex(df: pd.DataFrame, *, caption: str | None = None, note: str | None = None,
             label: str | None = None, n_body_rows: int | None = None) -> str:
    """A booktabs ``table`` environment: header, ``\\midrule``, the coefficient rows, a
    ``\\midrule`` before the statistics rows (after ``n_body_rows``), ``\\bottomrule`` and the note.

    Every cell, caption and note is escaped (``latex_escape``); numbers are right-aligned.
    Needs ``\\usepackage{booktabs}`` in the preamble.
    """
    ncol = df.shape[1]
    lines = [r"\begin{table}[htbp]", r"\centering"]
    if caption:
        lines.append(rf"\caption{{{latex_escape(caption)}}}")
    if label:
        lines.append(rf"\label{{{latex_escape(label)}}}")
    lines += [r"\begin{tabular}{l" + "r" * (ncol - 1) + "}", r"\toprule",
              " & ".join(latex_escape(c) for c in df.columns) + r" \\", r"\midrule"]
    for k, row in enumerate(df.itertuples(index=False)):
        if n_body_rows is not None and k == n_body_rows:
            lines.append(r"\midrule")
        lines.append(" & ".join(latex_escape("" if v is None else v) for v in row) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if note:
        lines.append(rf"\par\smallskip\parbox{{\linewidth}}{{\footnotesize {latex_escape(note)}}}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def _border(cell_or_table, edges: dict[str, str], tag: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    props = cell_or_table._element if tag == "w:tblBorders" else cell_or_table._tc
    parent = props.tblPr if tag == "w:tblBorders" else props.get_or_add_tcPr()
    borders = OxmlElement(tag)
    for edge, val in edges.items():
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), val)
        el.set(qn("w:sz"), "8" if val != "nil" else "0")
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000" if val != "nil" else "auto")
        borders.append(el)
    parent.append(borders)


def to_docx(df: pd.DataFrame, *, caption: str | None = None, note: str | None = None,
            n_body_rows: int | None = None) -> bytes:
    """A Word document holding the table in journal style (python-docx).

    Rules above and below the table and under the header (and above the statistics rows
    when ``n_body_rows`` is given), no vertical rules; the caption above and the note below
    in 9 pt. Returns the ``.docx`` bytes.
    """
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = Document()
    if caption:
        doc.add_paragraph().add_run(str(caption)).bold = True
    table = doc.add_table(rows=df.shape[0] + 1, cols=df.shape[1])
    _border(table, {"top": "single", "bottom": "single", "left": "nil", "right": "nil",
                    "insideH": "nil", "insideV": "nil"}, "w:tblBorders")
    for j, name in enumerate(df.columns):
        cell = table.cell(0, j)
        cell.text = str(name)
        cell.paragraphs[0].runs[0].bold = True
        _border(cell, {"bottom": "single"}, "w:tcBorders")
    for i, row in enumerate(df.itertuples(index=False), start=1):
        for j, value in enumerate(row):
            cell = table.cell(i, j)
            cell.text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
            if j:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if n_body_rows is not None and i == n_body_rows + 1:
                _border(cell, {"top": "single"}, "w:tcBorders")
    if note:
        run = doc.add_paragraph().add_run(str(note))
        run.font.size = Pt(9)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def export_table(df: pd.DataFrame, fmt: str, *, caption: str | None = None) -> bytes:
    """A regression table (``regression_table``) as the bytes of a download.

    Parameters
    ----------
    df : pandas.DataFrame
        Output of ``regression_table`` (its ``attrs["note"]`` and ``attrs["n_coef_rows"]``
        are used).
    fmt : {"md", "html", "csv", "tex", "docx"}
    caption : str, optional

    Returns
    -------
    bytes
        UTF-8 text (md, html, tex; csv with a byte-order mark, see ``to_csv``) or a .docx file.

    Raises
    ------
    ReportError
        An unknown format.
    """
    note = df.attrs.get("note")
    body = df.attrs.get("n_coef_rows")
    if fmt == "md":
        text = (f"**{caption}**\n\n" if caption else "") + to_markdown(df) + (f"\n\n{note}\n" if note else "\n")
        return text.encode("utf-8")
    if fmt == "html":
        return str(to_html(df, caption=caption, note=note)).encode("utf-8")
    if fmt == "csv":
        return to_csv(df, note=note).encode("utf-8")
    if fmt == "tex":
        return to_latex(df, caption=caption, note=note, n_body_rows=body).encode("utf-8")
    if fmt == "docx":
        return to_docx(df, caption=caption, note=note, n_body_rows=body)
    raise ReportError(_("unknown table format {fmt!r}; choose one of {names}.")
                      .format(fmt=fmt, names=', '.join(EXPORT_FORMATS)))
