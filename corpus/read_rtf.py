"""Rich Text Format (.rtf): the body text through striprtf (pinned), with what it gets wrong
for Chinese fixed around it.

striprtf 0.0.35 turns control words into text (``\\par`` a line break, ``\\'hh`` bytes decoded
with the code page of the current font, ``\\uN`` a code point, destinations such as headers,
footers, footnotes, comments and pictures skipped). Checked on hand-written RTF
(tests/test_corpus_read_rtf.py), it

1. decodes ``\\'c4\\'e3`` with cp1252 ("Ä ã") when the font says ``\\fcharset0`` (ANSI) although
   the document says ``\\ansicpg936`` — which is what WordPad and Word write for Chinese text in
   a font whose table entry carries charset 0. In RTF 1.9.1 ``\\fcharset0`` means "the ANSI code
   page", i.e. the document's ``\\ansicpg``: the font table is rewritten so that such fonts use
   the document's code page;
2. leaves characters outside the BMP, written as two ``\\uN`` (a UTF-16 surrogate pair, N
   negative as RTF's signed 16-bit numbers), as two lone surrogates: they are joined;
3. treats ``\\line`` (a line break inside a paragraph) like ``\\par``: it is turned into
   U+2028 before parsing and back into ``\\n`` afterwards, so paragraphs stay blocks;
4. writes table cells as ``a|b|``: each cell (``\\cell``) is a paragraph here, as in .docx;
5. raises ``UnicodeDecodeError`` on bytes invalid in the code page: they are decoded with
   U+FFFD and a warning counts them;
6. keeps ``{\\listtext ...}`` (the bullet or number Word and LibreOffice write before a list
   item for readers without list support, e.g. U+F0B7 and a tab): it is skipped, as .docx and
   .odt list numbering is.

striprtf reads about 0.5 MB of RTF a second (it matches every plain character on its own): a
5 MB file takes about 10 s. Files holding raw 8-bit bytes (some exporters write GBK bytes without ``\\'hh``) are decoded
with the document's code page before parsing. Paragraphs are separated by a blank line
(``\\n\\n``), empty ones dropped. Refused (``CorpusError``): bytes that do not start with
``{\\rtf``.
"""
from __future__ import annotations

import re

from corpus.errors import CorpusError
from corpus.text import RawText, max_text_chars, normalise, too_long_message
from i18n import _

_ANSICPG = re.compile(rb"\\ansicpg(\d{1,5})")
#: One pass over the backslashes: an escaped backslash (kept), ``\\line``, ``\\cell``/``\\nestcell``
#: (with their optional parameter and delimiting space) and ``\\fcharset0``/``1``.
_CONTROLS = re.compile(r"\\(\\|(?:line|cell|nestcell)(?![a-zA-Z])(?:-?\d+)? ?|fcharset[01](?![0-9]))")
_LISTTEXT = re.compile(r"\{\\listtext(?![a-zA-Z])")
_SURROGATE_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")
_LSEP = "\u2028"


def read_rtf(data: bytes, filename: str) -> RawText:
    """Extract the text of an .rtf file.

    Parameters
    ----------
    data : bytes
        The file's bytes.
    filename : str
        Named in messages.

    Returns
    -------
    RawText
        Canonical text, paragraphs separated by ``\\n\\n``; ``encoding`` is the document's code
        page (``"cp936"``, ``"cp1252"``...).

    Raises
    ------
    CorpusError
        Not an RTF file, or text over the import limit.
    """
    from striprtf.striprtf import charset_map, rtf_to_text

    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"{\\rtf"):
        raise CorpusError(_("{filename}: not a valid RTF file (it does not start with {{\\rtf).")
                          .format(filename=filename))
    m = _ANSICPG.search(data[:4096])
    codepage = f"cp{int(m.group(1))}" if m else "cp1252"
    import codecs

    try:
        codecs.lookup(codepage)
    except LookupError:
        codepage = "cp1252"
    warnings: list[str] = []
    if data.isascii():
        rtf = data.decode("ascii")
    else:  # raw 8-bit text: the document's code page (control words are ASCII in every one)
        try:
            rtf = data.decode(codepage)
        except UnicodeDecodeError:
            rtf = data.decode(codepage, errors="replace")
            warnings.append(_("{filename}: some bytes are not valid in its code page {codepage} and were replaced by "
                              "U+FFFD.")
                            .format(filename=filename, codepage=codepage))
    # (1) ANSI fonts use the document's code page: give them the charset striprtf maps to it;
    # (3) and (4): line breaks kept inside a paragraph, each cell a paragraph.
    charset = next((k for k, v in charset_map.items() if v == codepage and k not in (0, 1)), None)

    def control(mm: re.Match) -> str:
        word = mm.group(1)
        if word == "\\":
            return "\\\\"
        if word.startswith("fcharset"):
            return mm.group(0) if charset is None else f"\\fcharset{charset}"
        if word.startswith("line"):
            return "\\u8232{}"
        return "\\par "

    rtf = _CONTROLS.sub(control, rtf)
    rtf = _LISTTEXT.sub(lambda mm: "{\\*\\listtext", rtf)  # (6) an ignorable destination
    try:
        out = rtf_to_text(rtf, encoding=codepage, errors="strict")
    except UnicodeDecodeError:
        out = rtf_to_text(rtf, encoding=codepage, errors="replace")
        warnings.append(_("{filename}: some \\'hh bytes are not valid in their code page and were replaced by U+FFFD.")
                        .format(filename=filename))
    except (RecursionError, ValueError, IndexError) as exc:
        raise CorpusError(_("{filename}: not a valid RTF file ({type}).")
                          .format(filename=filename, type=exc.__class__.__name__)) from None
    out = _SURROGATE_PAIR.sub(lambda mm: mm.group().encode("utf-16", "surrogatepass").decode("utf-16"), out)
    out = out.replace("\r\n", "\n").replace("\r", "\n")
    blocks = [b.strip(" ").replace(_LSEP, "\n") for b in out.split("\n")]
    text = "\n\n".join(b for b in blocks if b.strip())
    limit = max_text_chars()
    if len(text) > limit:
        raise CorpusError(too_long_message(filename, len(text), limit))
    return RawText(text=normalise(text), encoding=codepage, warnings=warnings)
