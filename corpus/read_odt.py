"""OpenDocument text (.odt): the body's paragraphs, headings, lists and tables, in order.

The package is opened under the archive caps of ``corpus.archive`` (entries, names, declared
and streamed inflated sizes: a zip bomb is refused before any XML is parsed) and ``content.xml``
is read with ``read_member`` and parsed by lxml with entities, DTDs and the network switched off
(libxml2 stops at 256 levels of nesting). odfpy (pinned) writes the test files; it is not used
to read because it inflates members itself, without the caps.

What counts as text (OpenDocument 1.2, part 1, §5 and §6):

- every ``text:p`` and ``text:h`` in ``office:text``, including those inside lists
  (``text:list``/``text:list-item``), sections, tables (``table:table`` row by row, cell by
  cell, each paragraph of a cell a block) and indexes, becomes one block; blocks are separated
  by a blank line (``\\n\\n``), empty paragraphs dropped;
- inside a paragraph, spans (``text:span``), links (``text:a``), bookmarks, fields and tracked
  insertions contribute their text; ``text:s`` gives ``text:c`` spaces (default 1),
  ``text:tab`` a ``\\t`` and ``text:line-break`` a ``\\n``; other white space (spaces, tabs and
  line feeds in the XML) is collapsed to one space and dropped at the start of a paragraph, as
  §6.1.2 "White-space Characters" prescribes;
- not text: footnotes/endnotes (``text:note``), comments (``office:annotation``), deleted text
  of tracked changes (``text:tracked-changes``), text boxes and frames (``draw:frame``: a
  warning says when text boxes were skipped).

Refused with one sentence (``CorpusError``): not a zip archive or a corrupt one, an archive
refused by ``corpus.archive``, a password-protected (encrypted) document, a package that is not
an OpenDocument text (a spreadsheet, say), a missing or malformed ``content.xml``, XML nested
more than 256 levels.
"""
from __future__ import annotations

import re

from corpus.archive import DEFAULT_LIMITS, ArchiveError, CorruptArchiveError, ZipLimits, open_zip, read_member
from corpus.errors import CorpusError, exception_reason
from corpus.text import RawText, max_text_chars, normalise, too_long_message
from i18n import _

TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
MANIFEST = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"

_BLOCKS = {TEXT + "p", TEXT + "h"}
#: Not text (skipped with their content, their tail kept).
_SKIP = {TEXT + "note", OFFICE + "annotation", OFFICE + "annotation-end", TEXT + "tracked-changes",
         TEXT + "sequence-decls", TEXT + "variable-decls", TEXT + "user-field-decls", OFFICE + "forms",
         TABLE + "covered-table-cell", TEXT + "soft-page-break"}
_WS = re.compile(r"[ \t\r\n]+")
_MIMETYPES = ("application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.text-template")

#: Caps on the archive (``corpus.archive``).
ODT_LIMITS = DEFAULT_LIMITS


def read_odt(data: bytes, filename: str, limits: ZipLimits = ODT_LIMITS) -> RawText:
    """Extract the text of an .odt file.

    Parameters
    ----------
    data : bytes
        The file's bytes.
    filename : str
        Named in messages.
    limits : ZipLimits
        Caps on the archive (see ``corpus.archive``).

    Returns
    -------
    RawText
        Canonical text, paragraphs separated by ``\\n\\n``, ``encoding=None``.

    Raises
    ------
    CorpusError
        See the module docstring; every message is one sentence naming the file.
    """
    try:
        zf = open_zip(data, filename, limits)
    except CorruptArchiveError:
        raise CorpusError(_("{filename}: not a valid .odt file (not a zip archive, or a corrupt one).")
                          .format(filename=filename)) from None
    with zf:
        names = set(zf.namelist())
        try:
            if "mimetype" in names:
                mime = read_member(zf, "mimetype", filename, limits).decode("ascii", "replace").strip()
                if mime and mime not in _MIMETYPES:
                    raise CorpusError(_("{filename}: is not an OpenDocument text (its type is {mime!r}); save it as "
                                        ".odt, .docx or .txt.")
                                      .format(filename=filename, mime=mime[:80]))
            if "META-INF/manifest.xml" in names:
                manifest = read_member(zf, "META-INF/manifest.xml", filename, limits)
                if b"encryption-data" in manifest:
                    raise CorpusError(_("{filename}: is password-protected; save an unprotected copy and import that.")
                                      .format(filename=filename))
            if "content.xml" not in names:
                raise CorpusError(_("{filename}: not a valid .odt file (content.xml is missing).")
                                  .format(filename=filename))
            content = read_member(zf, "content.xml", filename, limits)
        except CorruptArchiveError:
            raise CorpusError(_("{filename}: not a valid .odt file (a member of the archive is corrupt).")
                              .format(filename=filename)) from None
        except ArchiveError:
            raise
    root = _parse(content, filename)
    body = root.find(f"{OFFICE}body/{OFFICE}text")
    if body is None:
        raise CorpusError(_("{filename}: is not an OpenDocument text (content.xml has no text body); save it as "
                            ".odt, .docx or .txt.")
                          .format(filename=filename))
    state = {"frames": False}
    limit, total, blocks = max_text_chars(), 0, []
    for text in _blocks(body, state):
        text = text.strip(" ")
        if text.strip():
            blocks.append(text)
            total += len(text) + 2
            if total > limit:
                raise CorpusError(too_long_message(filename, total, limit, at_least=True))
    warnings = []
    if state["frames"]:
        warnings.append(_("{filename}: text in text boxes or frames was not imported; copy it into the body if it "
                          "matters.")
                        .format(filename=filename))
    return RawText(text=normalise("\n\n".join(blocks)), encoding=None, warnings=warnings)


def _declares_entities(content: bytes) -> bool:
    """Whether the XML's prologue (first 64 KB) has a DOCTYPE declaring an entity (no ODF file does)."""
    head = content[:65536]
    return b"<!DOCTYPE" in head and b"<!ENTITY" in head


def _parse(content: bytes, filename: str):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        return etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        if "excessive depth" in str(exc).lower():
            raise CorpusError(_("{filename}: refused, its XML nests elements more than 256 levels deep.")
                              .format(filename=filename)) from None
        if _declares_entities(content) or "amplification" in str(exc).lower():
            raise CorpusError(_("{filename}: refused, its content.xml declares entities that expand the text "
                                "(an entity bomb); a real OpenDocument file has none.")
                              .format(filename=filename)) from None
        raise CorpusError(_("{filename}: not a valid .odt file (content.xml is malformed: {exc}).")
                          .format(filename=filename, exc=exception_reason(exc))) from None


def _blocks(element, state):
    """Texts of the paragraphs and headings under ``element``, in document order."""
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag in _BLOCKS:
            yield _paragraph_text(child, state)
        elif tag == DRAW + "frame":
            state["frames"] = True
        else:  # lists, list items, sections, tables, rows, cells, indexes...
            yield from _blocks(child, state)


def _paragraph_text(p, state) -> str:
    """One paragraph: collapsible white space collapsed (ODF §6.1.2), ``text:s``/``tab``/
    ``line-break`` expanded literally."""
    out: list[str] = []
    pending_space = [False]  # a collapsed space waiting for the next non-space text

    def plain(s: str | None) -> None:
        if not s:
            return
        s = _WS.sub(" ", s)
        if s.startswith(" "):
            pending_space[0] = True
            s = s[1:]
        if not s:
            return
        if s.endswith(" "):
            literal(s[:-1])
            pending_space[0] = True
        else:
            literal(s)

    def literal(s: str) -> None:
        if not s:
            return
        if pending_space[0] and out and not out[-1].endswith((" ", "\t", "\n")):
            out.append(" ")
        pending_space[0] = False
        out.append(s)

    def walk(el) -> None:
        plain(el.text)
        for child in el:
            tag = child.tag
            if not isinstance(tag, str):
                pass
            elif tag == TEXT + "s":
                c = child.get(TEXT + "c")
                n = int(c) if c and c.isdigit() else 1
                literal(" " * min(n, 1000))
            elif tag == TEXT + "tab":
                literal("\t")
            elif tag == TEXT + "line-break":
                literal("\n")
            elif tag == DRAW + "frame":
                state["frames"] = True
            elif tag in _SKIP:
                pass
            else:  # span, a, bookmark, field, ruby, change markers ...
                walk(child)
            plain(child.tail)

    walk(p)
    return "".join(out)
