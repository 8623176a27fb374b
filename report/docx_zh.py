"""A Chinese report draft as a Word document, typeset as Chinese journals ask.

Lays out the blocks of ``report.zh_draft`` (context ``blocks`` of a ``language="zh"`` draft):
body text in 宋体 (SimSun) 小四 (12 pt), headings and the title in 黑体 (SimHei), Latin text in
Times New Roman; every run names its East Asian font (``w:rFonts/@w:eastAsia``, through
``report.docx_parts.add_run``); line spacing 1.5; body paragraphs indented by two characters
(``w:ind/@w:firstLineChars="200"``, with the equivalent ``w:firstLine`` for readers that ignore
character units); tables three-line (三线表: a heavy rule above and below the table, a thin rule
under the header, and for regression tables a thin rule above the statistics rows; no vertical
rules), caption 表n above and the 注： line below; figures with 图n below. User text is only
ever the text of a run.
"""
from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from report.docx_parts import add_figure, add_run, cell_rules, paragraph_box, set_defaults, table_rules

__all__ = ["BODY_FONT", "HEADING_FONT", "LATIN_FONT", "render_docx_zh"]

BODY_FONT = "SimSun"      # 宋体
HEADING_FONT = "SimHei"   # 黑体
LATIN_FONT = "Times New Roman"
_BODY_PT = 12.0           # 小四
_TABLE_PT = 9.0           # 小五 (9 pt)
_HEADING_PT = {0: 16.0, 1: 14.0, 2: 12.0, 3: 12.0}  # 三号, 四号, 小四


def _style_fonts(style, east_asia: str, size: float | None = None, bold: bool | None = None) -> None:
    style.font.name = LATIN_FONT
    rfonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:ascii"), LATIN_FONT)
    rfonts.set(qn("w:hAnsi"), LATIN_FONT)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(theme), None)
    style.font.color.rgb = RGBColor(0, 0, 0)
    if size is not None:
        style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold


def _setup(doc) -> None:
    set_defaults(doc, BODY_FONT, _BODY_PT)
    normal = doc.styles["Normal"]
    _style_fonts(normal, BODY_FONT, _BODY_PT)
    normal.paragraph_format.line_spacing = 1.5
    normal.paragraph_format.space_after = Pt(0)
    for name, level in (("Title", 0), ("Heading 1", 1), ("Heading 2", 2), ("Heading 3", 3)):
        style = doc.styles[name]
        _style_fonts(style, HEADING_FONT, _HEADING_PT[level], bold=level != 0)
        style.paragraph_format.first_line_indent = Pt(0)
        style.paragraph_format.line_spacing = 1.5
        style.paragraph_format.space_before = Pt(12 if level <= 1 else 6)
        style.paragraph_format.space_after = Pt(6)
    if "Caption" in [st.name for st in doc.styles]:
        _style_fonts(doc.styles["Caption"], BODY_FONT, 10.5, bold=False)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin = section.bottom_margin = Cm(2.5)


def _indent_two_chars(par) -> None:
    """First-line indent of two characters: ``firstLineChars="200"`` plus ``firstLine`` in twips."""
    par.paragraph_format.first_line_indent = Pt(2 * _BODY_PT)
    ind = par._p.get_or_add_pPr().find(qn("w:ind"))
    ind.set(qn("w:firstLineChars"), "200")


def _run(par, text, *, size=None, bold=False, italic=False, font=BODY_FONT, colour=None):
    return add_run(par, text, size=size, bold=bold, italic=italic, east_asia=font, latin=LATIN_FONT, colour=colour)


def _heading(doc, text: str, level: int) -> None:
    par = doc.add_heading("", level=level)
    if level == 0:
        par.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(par, text, font=HEADING_FONT, size=_HEADING_PT[min(level, 3)], bold=True)


def _body(doc, text: str, *, indent: bool = True, size=None, bold=False, style=None):
    par = doc.add_paragraph(style=style)
    if indent:
        _indent_two_chars(par)
    _run(par, text, size=size, bold=bold)
    return par


def _single(par, align=None, size: float | None = None) -> None:
    """Single spacing, no indent; ``size`` also sets the paragraph mark's size (``w:pPr/w:rPr/w:sz``),
    so an empty table cell is no taller than one holding text."""
    par.paragraph_format.line_spacing = 1.0
    par.paragraph_format.first_line_indent = Pt(0)
    par.paragraph_format.space_before = par.paragraph_format.space_after = Pt(0)
    if align is not None:
        par.alignment = align
    if size is not None:
        ppr = par._p.get_or_add_pPr()
        rpr = ppr.find(qn("w:rPr"))
        if rpr is None:
            rpr = OxmlElement("w:rPr")
            ppr.append(rpr)
        for tag in ("w:sz", "w:szCs"):
            el = OxmlElement(tag)
            el.set(qn("w:val"), str(int(2 * size)))
            rpr.append(el)


def _table(doc, b: dict) -> None:
    cap = doc.add_paragraph()
    _single(cap, WD_ALIGN_PARAGRAPH.CENTER)
    cap.paragraph_format.space_before = Pt(6)
    _run(cap, b["caption"], font=HEADING_FONT, size=10.5, bold=True)
    cols, rows, n_coef = b["columns"], b["rows"], b.get("n_coef_rows")
    t = doc.add_table(rows=1, cols=len(cols))
    table_rules(t, top=12, bottom=12)  # 1.5 pt rules above and below: the three-line table
    for j, name in enumerate(cols):
        cell = t.rows[0].cells[j]
        _single(cell.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT if j == 0 else WD_ALIGN_PARAGRAPH.CENTER, _TABLE_PT)
        _run(cell.paragraphs[0], name, size=_TABLE_PT, bold=True)
        cell_rules(cell, bottom=6)  # 0.75 pt under the header
    for i, values in enumerate(rows):
        cells = t.add_row().cells
        for j, value in enumerate(values):
            par = cells[j].paragraphs[0]
            _single(par, WD_ALIGN_PARAGRAPH.LEFT if j == 0 else WD_ALIGN_PARAGRAPH.CENTER, _TABLE_PT)
            _run(par, value, size=_TABLE_PT)
            if n_coef is not None and i == n_coef:
                cell_rules(cells[j], top=6)
    if b.get("note"):
        note = doc.add_paragraph()
        _single(note)
        note.paragraph_format.space_after = Pt(6)
        _run(note, b["note"], size=_TABLE_PT)


def _quote(doc, b: dict) -> None:
    par = doc.add_paragraph()
    par.paragraph_format.left_indent = Pt(2 * _BODY_PT)
    par.paragraph_format.right_indent = Pt(2 * _BODY_PT)
    _run(par, b["text"], font="KaiTi", size=10.5)  # 楷体 for quoted interview text
    cite = doc.add_paragraph()
    _single(cite, WD_ALIGN_PARAGRAPH.RIGHT)
    _run(cite, "——" + b["cite"], size=_TABLE_PT)


def render_docx_zh(context: dict) -> bytes:
    """The ``.docx`` bytes of a Chinese draft (``build_context(..., language="zh")``).

    Raises
    ------
    KeyError
        If ``context`` has no ``blocks`` (an English context: use ``report.docx.render_docx``).
    """
    doc = Document()
    _setup(doc)
    _heading(doc, context["title"], 0)
    for b in context["blocks"]:
        kind = b["type"]
        if kind == "heading":
            _heading(doc, b["text"], b["level"])
        elif kind == "banner":
            par = _body(doc, b["text"], indent=False, bold=True)
            paragraph_box(par, "#FDECEA", "#C62828")
        elif kind == "para":
            _body(doc, b["text"])
        elif kind == "bullets":
            for item in b["entries"]:
                _body(doc, item, indent=False, style="List Bullet")
        elif kind == "table":
            _table(doc, b)
        elif kind == "quote":
            _quote(doc, b)
        elif kind == "figure":
            add_figure(doc, b["fig"]["png"], b["caption"], b["fig"]["alt"], east_asia=BODY_FONT)
            cap = doc.paragraphs[-1]
            _single(cap, WD_ALIGN_PARAGRAPH.CENTER)
            for r in cap.runs:
                r.italic = None
                r.font.name = LATIN_FONT
        elif kind == "refs":
            for item in b["entries"]:
                par = doc.add_paragraph()
                par.paragraph_format.left_indent = Pt(2 * 10.5)
                par.paragraph_format.first_line_indent = Pt(-2 * 10.5)
                _run(par, item, size=10.5)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
