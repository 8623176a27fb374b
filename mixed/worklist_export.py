"""The fieldwork worklist as a file: CSV and XLSX (through ``coding.spreadsheet``, formula-safe)
and DOCX (python-docx), one section per case.

The DOCX names an East Asian font in every run's ``w:rFonts/@w:eastAsia`` (ECMA-376 Part 1,
§17.3.2.26; default SimSun, 宋体) and sets ``w:lang/@w:eastAsia="zh-CN"`` on the Normal style, so
Word shapes Chinese names, memos and quotes with a CJK font. User text only becomes run text
(``w:t``), never markup; characters XML 1.0 cannot hold become U+FFFD.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from i18n import N_, _
from mixed.errors import MixedError
from mixed.labels import case_type_label

__all__ = ["EAST_ASIA_FONT", "export_table", "to_csv_bytes", "to_xlsx_bytes", "to_docx_bytes", "export_bytes",
           "write_export", "FORMATS"]

EAST_ASIA_FONT = "SimSun"
FORMATS = ("csv", "xlsx", "docx")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

#: Column headers of the CSV/XLSX export (people's words), in the user's language when exported:
#: the worklist file is for reading and fieldwork, never imported back, so its headers follow the
#: interface (``i18n._`` at export time); stored case types are rendered by
#: ``mixed.labels.case_type_label``.
HEADERS = {"position": N_("Order"), "case": N_("Case"), "level": N_("Level"), "case_type": N_("Case type"),
           "run_label": N_("Run"), "rule": N_("Rule"), "observed": N_("Observed"), "predicted": N_("Predicted"),
           "residual": N_("Pearson residual"), "memo": N_("Memo"), "n_passages": N_("Coded passages"),
           "quote_text": N_("Top quotes"), "unit_key": N_("Unit id"), "added_by": N_("Added by")}
_LEVELS = {"city": N_("city"), "dyad": N_("dyad")}


def _cases(session: Session, max_quotes: int) -> pd.DataFrame:
    from mixed.worklist import worklist_cases

    return worklist_cases(session, max_quotes=max_quotes)


def export_table(cases: pd.DataFrame) -> pd.DataFrame:
    """The worklist (``mixed.worklist.worklist_cases``) as the table exported to CSV/XLSX:
    :data:`HEADERS` columns, quotes as one text cell, unit ids last."""
    cols = [c for c in HEADERS if c in cases.columns]
    out = cases[cols].copy()
    if "case_type" in out.columns:
        out["case_type"] = [case_type_label(v) for v in out["case_type"]]
    if "level" in out.columns:
        out["level"] = [_(_LEVELS[v]) if v in _LEVELS else v for v in out["level"]]
    return out.rename(columns={c: _(HEADERS[c]) for c in cols}).reset_index(drop=True)


def to_csv_bytes(session: Session, *, max_quotes: int = 3) -> bytes:
    """The worklist as CSV bytes (UTF-8 with BOM; OWASP formula quote, ``coding.spreadsheet``)."""
    from coding import spreadsheet

    return spreadsheet.to_csv_bytes(export_table(_cases(session, max_quotes)))


def to_xlsx_bytes(session: Session, *, max_quotes: int = 3) -> bytes:
    """The worklist as XLSX bytes (text never a formula, ``coding.spreadsheet``)."""
    from coding import spreadsheet

    return spreadsheet.to_xlsx_bytes(export_table(_cases(session, max_quotes)), sheet=_("Worklist"))


def _clean(text) -> str:
    return "" if text is None else _ILLEGAL.sub("\ufffd", str(text))


def _run(paragraph, text, *, bold=False, italic=False, east_asia=EAST_ASIA_FONT):
    from docx.oxml.ns import qn

    run = paragraph.add_run(_clean(text))
    run.bold = bold or None
    run.italic = italic or None
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asia)
    return run


def _defaults(document, east_asia: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    for name in ("Normal", "Heading 1", "Heading 2", "Title"):
        style = document.styles[name]
        rpr = style.element.get_or_add_rPr()
        rpr.get_or_add_rFonts().set(qn("w:eastAsia"), east_asia)
    normal = document.styles["Normal"]
    normal.font.size = Pt(10.5)
    rpr = normal.element.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    lang.set(qn("w:val"), "en-GB")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _fmt(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "—"
    return f"{float(v):.{digits}g}" if abs(float(v)) < 1e6 else f"{float(v):,.0f}"


def to_docx_bytes(session: Session, *, max_quotes: int = 3, title: str | None = None,
                  east_asia: str = EAST_ASIA_FONT) -> bytes:
    """The worklist as a DOCX: a title, then one section per case with its name (heading), case
    type, run and rule, observed / predicted / Pearson residual, the memo and up to
    ``max_quotes`` quotes with their citations ("document, ¶ n"). Labels are in the current
    language; ``title`` defaults to "Fieldwork worklist" in it."""
    from docx import Document

    cases = _cases(session, max_quotes)
    doc = Document()
    _defaults(doc, east_asia)
    _run(doc.add_heading(level=0), _("Fieldwork worklist") if title is None else title, east_asia=east_asia)
    if cases.empty:
        _run(doc.add_paragraph(), _("No case has been ticked for fieldwork yet."), italic=True, east_asia=east_asia)
    for i, row in enumerate(cases.itertuples(index=False), start=1):
        _run(doc.add_heading(level=1), f"{i}. {row.case}", east_asia=east_asia)
        p = doc.add_paragraph()
        _run(p, _("Case type: "), bold=True, east_asia=east_asia)
        _run(p, case_type_label(row.case_type) or "—", east_asia=east_asia)
        p = doc.add_paragraph()
        _run(p, _("Run: "), bold=True, east_asia=east_asia)
        run_text = row.run_label or _("none")
        _run(p, _("{run} · rule: {rule}").format(run=run_text, rule=row.rule) if row.rule else run_text,
             east_asia=east_asia)
        p = doc.add_paragraph()
        _run(p, _("Observed / predicted: "), bold=True, east_asia=east_asia)
        _run(p, _("{observed} / {predicted} (Pearson residual {residual})").format(
            observed=_fmt(row.observed), predicted=_fmt(row.predicted), residual=_fmt(row.residual)),
             east_asia=east_asia)
        p = doc.add_paragraph()
        _run(p, _("Memo: "), bold=True, east_asia=east_asia)
        _run(p, row.memo or "—", east_asia=east_asia)
        p = doc.add_paragraph()
        _run(p, _("Coded passages: {n}").format(n=int(row.n_passages)), bold=True, east_asia=east_asia)
        if not row.quotes:
            _run(doc.add_paragraph(), _("No evidence yet: no coded passage is linked to this case."), italic=True,
                 east_asia=east_asia)
        for q in row.quotes:
            p = doc.add_paragraph(style="Quote") if "Quote" in [s.name for s in doc.styles] else doc.add_paragraph()
            _run(p, f"“{q['quote']}”", east_asia=east_asia)
            _run(p, f" ({q['cite']}; {q['code']})", italic=True, east_asia=east_asia)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def export_bytes(session: Session, fmt: str, *, max_quotes: int = 3) -> bytes:
    """The worklist in ``fmt`` (``csv``, ``xlsx`` or ``docx``). Raises ``MixedError`` for another."""
    fmt = str(fmt).lower().lstrip(".")
    if fmt == "csv":
        return to_csv_bytes(session, max_quotes=max_quotes)
    if fmt == "xlsx":
        return to_xlsx_bytes(session, max_quotes=max_quotes)
    if fmt == "docx":
        return to_docx_bytes(session, max_quotes=max_quotes)
    raise MixedError(_("A worklist exports to {names}; {fmt!r} is not one of them.")
                     .format(names=', '.join(FORMATS), fmt=fmt))


def write_export(session: Session, path: str | Path, *, max_quotes: int = 3) -> Path:
    """Write the worklist to ``path`` (format from its suffix), completely or not at all."""
    from coding.spreadsheet import write_bytes_atomic

    path = Path(path)
    return write_bytes_atomic(path, export_bytes(session, path.suffix, max_quotes=max_quotes))
