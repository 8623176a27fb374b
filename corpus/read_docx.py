"""Word .docx: the body's paragraphs and table cells, in document order.

python-docx opens and checks the package; the text is then collected from the body XML
so that nothing visible is missed: runs inside hyperlinks, tracked insertions, simple
fields, smart tags and content controls count, deleted text (``w:delText``) and field
codes (``w:instrText``) do not. Tabs become ``\\t``, line and carriage breaks ``\\n``.
Each non-empty paragraph (including each paragraph of each table cell, row by row,
nested tables in place) becomes a block separated by a blank line. Text boxes, headers,
footers, footnotes and comments are not read; a warning says so when text boxes exist.
"""
from __future__ import annotations

import io
import zipfile
import zlib

from corpus.archive import DEFAULT_LIMITS, CorruptArchiveError, ZipLimits, check_zip
from corpus.errors import CorpusError, exception_reason
from corpus.text import RawText, normalise
from i18n import _

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_P, _T, _TAB, _BR, _CR = W + "p", W + "t", W + "tab", W + "br", W + "cr"
_NB_HYPHEN, _SOFT_HYPHEN, _DEL, _TXBX = W + "noBreakHyphen", W + "softHyphen", W + "del", W + "txbxContent"
_CONTAINERS = {W + t for t in ("tbl", "tr", "tc", "sdt", "sdtContent", "customXml", "ins")}

#: Caps on the archive (``corpus.archive``): 200 MB inflated in all, 10,000 entries.
DOCX_LIMITS = DEFAULT_LIMITS


def read_docx(data: bytes, filename: str, limits: ZipLimits = DOCX_LIMITS) -> RawText:
    """Extract the text of a .docx file.

    Parameters
    ----------
    data : bytes
        The file's bytes.
    filename : str
        Named in messages.
    limits : ZipLimits
        Caps checked (declared and streamed) before python-docx opens the package.

    Returns
    -------
    RawText
        Canonical text, ``encoding=None``.

    Raises
    ------
    CorpusError
        Not a zip archive or a corrupt one, not a Word document, an archive refused by
        ``corpus.archive.check_zip`` (``ArchiveError``: too many entries, unsafe names,
        inflating past ``limits``), or XML nested too deeply.
    """
    try:
        check_zip(data, filename, limits)  # entries, names, declared AND streamed inflated sizes
    except CorruptArchiveError:
        raise CorpusError(_("{filename}: not a valid .docx file (zip archive is corrupt).")
                          .format(filename=filename)) from None
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
        body = document.element.body
    except (zipfile.BadZipFile, zlib.error, EOFError, PackageNotFoundError):
        raise CorpusError(_("{filename}: not a valid .docx file (zip archive is corrupt).")
                          .format(filename=filename)) from None
    except KeyError as exc:
        raise CorpusError(_("{filename}: not a valid .docx file (part {exc} is missing).")
                          .format(filename=filename, exc=exc)) from None
    except Exception as exc:  # python-docx raises ValueError/lxml errors for non-Word packages
        if "excessive depth" in str(exc).lower():  # libxml2 stops at 256 levels (no XML_PARSE_HUGE)
            raise CorpusError(_("{filename}: refused, its XML nests elements more than 256 levels deep.")
                              .format(filename=filename)) from None
        if "amplification" in str(exc).lower():  # libxml2's guard against entity expansion ("billion laughs")
            raise CorpusError(_("{filename}: refused, its XML declares entities that expand the text (an entity "
                                "bomb); a real Word file has none.")
                              .format(filename=filename)) from None
        raise CorpusError(_("{filename}: not a valid .docx file ({exc}).")
                          .format(filename=filename, exc=exception_reason(exc))) from None

    state = {"textboxes": False}
    paragraphs = [t for t in _blocks(body, state) if t.strip()]
    warnings = []
    if state["textboxes"]:
        warnings.append(_("{filename}: text in text boxes was not imported; copy it into the body if it matters.")
                        .format(filename=filename))
    return RawText(text=normalise("\n\n".join(paragraphs)), encoding=None, warnings=warnings)


def _blocks(element, state):
    """Texts of the paragraphs under ``element`` in document order."""
    for child in element:
        tag = child.tag
        if tag == _P:
            yield _paragraph_text(child, state)
        elif tag in _CONTAINERS:
            yield from _blocks(child, state)


def _paragraph_text(p, state) -> str:
    out: list[str] = []

    def walk(el):
        for child in el:
            tag = child.tag
            if tag == _T:
                out.append(child.text or "")
            elif tag == _TAB:
                out.append("\t")
            elif tag in (_BR, _CR):
                out.append("\n")
            elif tag == _NB_HYPHEN:
                out.append("\u2011")
            elif tag == _TXBX:
                state["textboxes"] = True
            elif tag in (_DEL, _SOFT_HYPHEN):
                continue
            elif isinstance(tag, str):
                walk(child)

    walk(p)
    return "".join(out)
