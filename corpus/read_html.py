"""HTML (.html, .htm): visible text, one paragraph per block element.

Decoding: an explicit encoding wins; then a byte-order mark; then the encoding the document declares
(``<meta charset>``, ``http-equiv``, XML declaration; GB2312 and GBK widened to their
superset GB18030, ASCII and Latin-1 to Windows-1252 as browsers do); otherwise the
plain-text detection of ``corpus.read_txt``.

Extraction (beautifulsoup4 with lxml): ``head``, ``script``, ``style``, ``noscript``,
``template``, ``svg``, ``canvas``, ``iframe``, ``object``, ``embed``, ``select`` and
``button`` and comments are dropped. Each block element (``p``, ``div``, ``li``,
``h1``-``h6``, ``td``, ``th``, ``blockquote``, ``pre``, ...) ends the paragraph before
it and starts a new one; ``br`` is a line break inside a paragraph. White space collapses
as a browser shows it (a line break between two Han characters vanishes); ``pre`` keeps
its lines. Paragraphs are separated by a blank line.
"""
from __future__ import annotations

import codecs
import re

from corpus.errors import CorpusError
from corpus.read_txt import decode
from corpus.text import HAN_CLASS, RawText, normalise
from i18n import _

_DROP = {
    "head", "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object",
    "embed", "select", "button",
}
_BLOCK = {
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
    "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1",
    "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "li", "main", "menu", "nav",
    "ol", "p", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    "pre",
}
_WIDEN = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "ascii": "cp1252",
          "us-ascii": "cp1252", "iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252"}
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_HAN_BREAK = re.compile(f"(?<=[{HAN_CLASS}])[^\\S\\n]*\\n\\s*(?=[{HAN_CLASS}])")
_SPACE = re.compile(r"\s+")
#: Deepest element nesting read (libxml2 refuses XML deeper than 256; browsers cap HTML at 512).
MAX_DEPTH = 256


def read_html(data: bytes, filename: str, encoding: str | None = None) -> RawText:
    """Extract the visible text of an HTML file.

    Parameters
    ----------
    data : bytes
        The file's bytes.
    filename : str
        Named in messages.
    encoding : str, optional
        Overrides the declared and detected encoding.

    Returns
    -------
    RawText
        Canonical text with blank lines between paragraphs; ``encoding`` as used.

    Raises
    ------
    CorpusError
        The bytes cannot be decoded (see ``corpus.read_txt``), or elements nest more than
        ``MAX_DEPTH`` levels deep (checked while walking, so never a ``RecursionError``).
    """
    from bs4 import BeautifulSoup
    from bs4.dammit import EncodingDetector

    declared = None
    if encoding is None and not data.startswith(_BOMS):  # a byte-order mark outranks a declaration
        declared = EncodingDetector.find_declared_encoding(data, is_html=True, search_entire_document=False)
    if declared:
        codec = _WIDEN.get(declared.lower(), declared.lower())
        try:
            text, used, warnings = decode(data, filename, codec)
        except CorpusError:
            text, used, warnings = decode(data, filename)
            warnings.insert(0, f"{filename}: declares the encoding {declared!r}, which does not fit; read as {used}.")
    else:
        text, used, warnings = decode(data, filename, encoding)
    soup = BeautifulSoup(text, "lxml")
    paragraphs: list[str] = []
    _Extractor(paragraphs, filename).run(soup)
    return RawText(text=normalise("\n\n".join(paragraphs)), encoding=used, warnings=warnings)


class _Extractor:
    """Walks the parse tree, collecting paragraphs of collapsed text."""

    def __init__(self, paragraphs: list[str], filename: str = "HTML") -> None:
        self.paragraphs = paragraphs
        self.filename = filename
        self.pieces: list[str | None] = []  # text pieces; None marks a <br>

    def run(self, soup) -> None:
        self.walk(soup)
        self.flush()

    def flush(self) -> None:
        lines, current = [], []
        for piece in self.pieces + [None]:
            if piece is None:
                joined = _HAN_BREAK.sub("", "".join(current))
                lines.append(_SPACE.sub(" ", joined).strip())
                current = []
            else:
                current.append(piece)
        self.pieces = []
        text = "\n".join(lines).strip()
        if text:
            self.paragraphs.append(text)

    def walk(self, node, depth: int = 0) -> None:
        from bs4 import NavigableString, Tag

        if depth > MAX_DEPTH:
            raise CorpusError(_("{filename}: refused, its HTML nests elements more than {max_depth} levels deep.")
                              .format(filename=self.filename, max_depth=MAX_DEPTH))
        for child in node.children:
            if isinstance(child, Tag):
                name = child.name.lower() if child.name else ""
                if name in _DROP:
                    continue
                if name == "br":
                    self.pieces.append(None)
                elif name == "pre":
                    self.flush()
                    block = child.get_text().strip("\n")
                    if block.strip():
                        self.paragraphs.append(block)
                elif name in _BLOCK:
                    self.flush()
                    self.walk(child, depth + 1)
                    self.flush()
                else:
                    self.walk(child, depth + 1)
            elif type(child) is NavigableString:
                self.pieces.append(str(child))
