"""Low-level python-docx helpers for the DOCX draft: literal runs, CJK fonts, shading, rules.

User text only ever becomes the text of a run (``w:t``), which Word shows literally; characters
that XML 1.0 cannot hold (C0 controls other than tab, newline and carriage return, lone
surrogates, U+FFFE/U+FFFF) are replaced by U+FFFD so that a stray byte in an imported document
cannot make the file unreadable. Each run names an East Asian font in ``w:rFonts/@w:eastAsia``
(ECMA-376 Part 1, §17.3.2.26) so Word shapes Chinese with a CJK font, and the Normal style
carries ``w:lang/@w:eastAsia="zh-CN"``.
"""
from __future__ import annotations

import io
import re
import struct

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

__all__ = [
    "EAST_ASIA_FONT", "add_figure", "add_run", "add_table", "cell_rules", "clean", "paragraph_box", "set_defaults",
    "set_widths",
    "shade", "table_rules",
]

#: Default East Asian font (宋体, installed with Chinese support on Windows; Word substitutes
#: a CJK font where it is missing).
EAST_ASIA_FONT = "SimSun"
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Elements that follow a given one in its parent's schema sequence (ECMA-376 Part 1), so new
# children are inserted where Word expects them.
_AFTER_RPR_SHD = ("w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout",
                  "w:specVanish", "w:oMath")
_AFTER_TC_SHD = ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark",
                 "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange")
_AFTER_TBL_BORDERS = ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption",
                      "w:tblDescription", "w:tblPrChange")
_AFTER_P_SHD = ("w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
                "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
                "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
                "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
                "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


def _shd(fill: str):
    el = OxmlElement("w:shd")
    el.set(qn("w:val"), "clear")
    el.set(qn("w:color"), "auto")
    el.set(qn("w:fill"), fill.lstrip("#").upper())
    return el


def clean(text) -> str:
    """``str(text)`` with characters XML 1.0 cannot hold replaced by U+FFFD; ``None`` → ``""``."""
    if text is None:
        return ""
    return _ILLEGAL.sub("\ufffd", str(text))


def _fonts(run, east_asia: str, latin: str | None = None) -> None:
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asia)
    if latin:
        fonts.set(qn("w:ascii"), latin)
        fonts.set(qn("w:hAnsi"), latin)


def add_run(paragraph, text, *, bold: bool = False, italic: bool = False, size: float | None = None,
            colour: str | None = None, mono: bool = False, east_asia: str = EAST_ASIA_FONT, highlight: str | None = None,
            latin: str | None = None):
    """Append ``text`` to ``paragraph`` as one literal run (``\\n`` becomes a line break).

    Parameters
    ----------
    paragraph : docx.text.paragraph.Paragraph
    text : str
        Set as the run's text, never parsed.
    bold, italic : bool
    size : float, optional
        Points.
    colour : str, optional
        ``"#RRGGBB"`` text colour.
    mono : bool
        Courier New for Latin text (formulas).
    east_asia : str
        Font named in ``w:eastAsia``.
    highlight : str, optional
        ``"#RRGGBB"`` run shading (the meta-inference legend).
    latin : str, optional
        Font of Latin text (``w:ascii``/``w:hAnsi``, e.g. Times New Roman); ``mono`` wins.

    Returns
    -------
    docx.text.run.Run
    """
    run = paragraph.add_run(clean(text))
    run.bold = bold or None
    run.italic = italic or None
    if size is not None:
        run.font.size = Pt(size)
    if colour:
        run.font.color.rgb = RGBColor.from_string(colour.lstrip("#").upper())
    _fonts(run, east_asia, "Courier New" if mono else latin)
    if highlight:
        run._element.get_or_add_rPr().insert_element_before(_shd(highlight), *_AFTER_RPR_SHD)
    return run


def set_defaults(document, east_asia: str = EAST_ASIA_FONT, size: float = 10.5) -> None:
    """Normal style: ``size`` pt, East Asian font ``east_asia``, East Asian language zh-CN."""
    normal = document.styles["Normal"]
    normal.font.size = Pt(size)
    rpr = normal.element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), east_asia)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    lang.set(qn("w:val"), "en-GB")
    lang.set(qn("w:eastAsia"), "zh-CN")


def shade(cell, colour: str) -> None:
    """Fill a table cell with ``colour`` (``"#RRGGBB"``): ``w:tcPr/w:shd``."""
    tcpr = cell._tc.get_or_add_tcPr()
    for old in tcpr.findall(qn("w:shd")):
        tcpr.remove(old)
    tcpr.insert_element_before(_shd(colour), *_AFTER_TC_SHD)


def _border_element(tag: str, edges: dict[str, int]):
    box = OxmlElement(tag)
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        if edge not in edges:
            continue
        size = edges[edge]
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single" if size else "nil")
        el.set(qn("w:sz"), str(size))
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000" if size else "auto")
        box.append(el)
    return box


def table_rules(table, *, top: int = 12, bottom: int = 12, inside_h: int = 0) -> None:
    """Journal rules on a table: horizontal rules at top and bottom (eighths of a point), no
    vertical rules, ``inside_h`` between rows (0 = none)."""
    tblpr = table._tbl.tblPr
    for old in tblpr.findall(qn("w:tblBorders")):
        tblpr.remove(old)
    tblpr.insert_element_before(_border_element("w:tblBorders", {
        "top": top, "left": 0, "bottom": bottom, "right": 0, "insideH": inside_h, "insideV": 0,
    }), *_AFTER_TBL_BORDERS)


def cell_rules(cell, **edges: int) -> None:
    """Rules on one cell's edges, e.g. ``cell_rules(c, bottom=6)`` (eighths of a point)."""
    tcpr = cell._tc.get_or_add_tcPr()
    for old in tcpr.findall(qn("w:tcBorders")):
        tcpr.remove(old)
    tcpr.insert_element_before(_border_element("w:tcBorders", edges), "w:shd", *_AFTER_TC_SHD)


def paragraph_box(paragraph, fill: str, border: str) -> None:
    """Shade a paragraph and draw a box around it (the simulated-outcomes banner)."""
    ppr = paragraph._p.get_or_add_pPr()
    box = OxmlElement("w:pBdr")
    for edge in ("top", "left", "bottom", "right"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "12")
        el.set(qn("w:space"), "4")
        el.set(qn("w:color"), border.lstrip("#").upper())
        box.append(el)
    ppr.insert_element_before(box, "w:shd", *_AFTER_P_SHD)
    ppr.insert_element_before(_shd(fill), *_AFTER_P_SHD)


def set_widths(table, widths_cm) -> None:
    """Fixed column widths in centimetres (grid columns and every cell, as Word and LibreOffice
    read them); turns autofit off."""
    table.autofit = False
    for j, w in enumerate(widths_cm):
        if j >= len(table.columns):
            break
        table.columns[j].width = Cm(w)
        for cell in table.columns[j].cells:
            cell.width = Cm(w)


def add_table(document, columns, rows, *, size: float = 9, style: str | None = "Table Grid",
              align_right_from: int | None = None, header_repeat: bool = True, widths=None):
    """A table with a bold header row and one literal run per cell.

    Parameters
    ----------
    document : docx.document.Document
    columns : sequence of str
        Header texts.
    rows : sequence of sequence
        Cell values (``str()`` of each); a cell value that is a list becomes one paragraph per
        item.
    size : float
        Font size in points.
    style : str, optional
        A table style of the default template ("Table Grid" draws all rules).
    align_right_from : int, optional
        Right-align cells from this column on (numbers).
    header_repeat : bool
        Repeat the header row on each page.
    widths : sequence of float, optional
        Column widths in centimetres (:func:`set_widths`).

    Returns
    -------
    docx.table.Table
    """
    table = document.add_table(rows=1, cols=len(columns))
    if style:
        table.style = document.styles[style]
    header = table.rows[0]
    for j, name in enumerate(columns):
        add_run(header.cells[j].paragraphs[0], name, bold=True, size=size)
    if header_repeat:
        trpr = header._tr.get_or_add_trPr()
        el = OxmlElement("w:tblHeader")
        el.set(qn("w:val"), "true")
        trpr.append(el)
    for values in rows:
        cells = table.add_row().cells
        for j, value in enumerate(values):
            items = value if isinstance(value, list) else [value]
            for k, item in enumerate(items):
                par = cells[j].paragraphs[0] if k == 0 else cells[j].add_paragraph()
                add_run(par, "" if item is None else item, size=size)
                if align_right_from is not None and j >= align_right_from:
                    par.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if widths is not None:
        set_widths(table, widths)
    return table


def add_figure(document, png: bytes, caption: str, alt: str, *, east_asia: str = EAST_ASIA_FONT,
               max_width_cm: float = 16.0, max_height_cm: float = 13.0):
    """An inline picture (centred paragraph) with its alt text (``wp:docPr/@descr``, what screen
    readers read) and its caption in the paragraph below (style Caption when the template has it,
    the caption's runs naming the East Asian font so Chinese run names render).

    The picture is scaled to fit ``max_width_cm`` × ``max_height_cm`` keeping its aspect ratio
    (pixel size read from the PNG IHDR chunk).

    Returns
    -------
    docx.shape.InlineShape
    """
    w_px, h_px = struct.unpack(">II", png[16:24]) if png[:8] == b"\x89PNG\r\n\x1a\n" else (4, 3)
    width = min(max_width_cm, max_height_cm * w_px / max(h_px, 1))
    par = document.add_paragraph()
    par.alignment = WD_ALIGN_PARAGRAPH.CENTER
    shape = par.add_run().add_picture(io.BytesIO(png), width=Cm(width))
    shape._inline.docPr.set("descr", clean(alt))
    try:
        cap = document.add_paragraph(style="Caption")
    except KeyError:
        cap = document.add_paragraph()
    add_run(cap, caption, italic=True, size=9, east_asia=east_asia)
    return shape
