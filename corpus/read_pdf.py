"""PDF: the text layer of each page (pypdf), pages separated by a blank line.

Hard-wrapped lines and page furniture stay as pypdf extracts them; ``corpus.segment``
copes with them, and ``corpus.transcript_clean`` removes them on request (``read_pdf_pages``
gives it the pages one by one). Scanned PDFs have no text layer and are refused with a pointer to OCR.
"""
from __future__ import annotations

import io
import logging

from corpus.errors import CorpusError, exception_reason
from corpus.text import RawText, max_text_chars, normalise, too_long_message
from i18n import _


def read_pdf(data: bytes, filename: str) -> RawText:
    """Extract the text of a PDF file.

    Parameters
    ----------
    data : bytes
        The file's bytes.
    filename : str
        Named in messages.

    Returns
    -------
    RawText
        Canonical text (page texts joined by ``\\n\\n``), ``encoding=None``; a warning
        lists pages without text when some pages have text.

    Raises
    ------
    CorpusError
        Not a PDF or a corrupt one; encrypted with a password (or with AES, which
        needs the ``cryptography`` package); no text layer at all (needs OCR).
    """
    texts, warnings = read_pdf_pages(data, filename)
    return RawText(text=normalise("\n\n".join(texts)), encoding=None, warnings=warnings)


def read_pdf_pages(data: bytes, filename: str) -> tuple[list[str], list[str]]:
    """The canonical text of each page that has text, and the warnings (see ``read_pdf``).

    Raises
    ------
    CorpusError
        As ``read_pdf``.
    """
    if b"%PDF" not in data[:1024]:
        raise CorpusError(_("{filename}: not a valid PDF file (no %PDF header).").format(filename=filename))
    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.ERROR)  # pypdf logs every repaired cross-reference table
    try:
        return _read(data, filename)
    finally:
        log.setLevel(level)


def _read(data: bytes, filename: str) -> tuple[list[str], list[str]]:
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except Exception as exc:  # pypdf raises many types for damaged files
        raise CorpusError(_("{filename}: not a valid PDF file ({exc}).")
                          .format(filename=filename, exc=exception_reason(exc))) from None
    if encrypted:
        try:
            opened = reader.decrypt("")
        except DependencyError:
            raise CorpusError(
                _("{filename}: is encrypted with AES; save an unencrypted copy and import that.")
                .format(filename=filename)
            ) from None
        except Exception as exc:
            raise CorpusError(_("{filename}: is encrypted and cannot be opened ({exc}).")
                              .format(filename=filename, exc=exception_reason(exc))) from None
        if opened == PasswordType.NOT_DECRYPTED:
            raise CorpusError(_("{filename}: is password-protected; remove the password and import it again.")
                              .format(filename=filename))
    try:
        pages = list(reader.pages)
    except Exception as exc:
        raise CorpusError(_("{filename}: not a valid PDF file ({exc}).")
                          .format(filename=filename, exc=exception_reason(exc))) from None
    if not pages:
        raise CorpusError(_("{filename}: the PDF has no pages.").format(filename=filename))
    texts, empty, failed = [], [], []
    limit, total = max_text_chars(), 0
    for number, page in enumerate(pages, start=1):
        try:
            text = page.extract_text() or ""
        except Exception:  # one damaged page should not sink the rest
            failed.append(number)
            continue
        if text.strip():
            texts.append(text.strip("\n"))
            total += len(texts[-1]) + 2
            if total > limit:  # stop reading pages: the import would be refused anyway
                raise CorpusError(too_long_message(filename, total, limit, at_least=True))
        else:
            empty.append(number)
    if not texts:
        if failed and not empty:
            raise CorpusError(_("{filename}: not a valid PDF file (no page could be read).")
                              .format(filename=filename))
        raise CorpusError(
            _("{filename}: has no text layer (scanned pages?); run OCR on it first and import the result.")
            .format(filename=filename)
        )
    warnings = []
    if empty:
        warnings.append(_("{filename}: page(s) {value} have no text layer and were skipped (scanned?).")
                        .format(filename=filename, value=_numbers(empty)))
    if failed:
        warnings.append(_("{filename}: page(s) {value} could not be read and were skipped.")
                        .format(filename=filename, value=_numbers(failed)))
    return [normalise(t) for t in texts], warnings


def _numbers(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return shown + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")
