"""Reading a file (path or uploaded bytes) into canonical text, by extension.

Supported: ``.txt`` and ``.md`` (plain text; Markdown is kept as written), ``.docx``,
``.odt`` (OpenDocument text), ``.rtf``, ``.pdf``, ``.html``/``.htm``. Files are refused when
empty, over the size limit, of another extension, or without any text. On request
(``clean_transcript``) the text is cleaned into utterances by ``corpus.transcript_clean``.

The size limit is ``max_bytes`` when given, else the environment variable
``TANDEM_MAX_IMPORT_MB`` (megabytes of 2**20 bytes, may be fractional), else 50 MB.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from corpus.errors import CorpusError
from corpus.read_docx import read_docx
from corpus.read_html import read_html
from corpus.read_odt import read_odt
from corpus.read_pdf import read_pdf_pages
from corpus.read_rtf import read_rtf
from corpus.read_txt import read_txt
from corpus.text import RawText, normalise
from corpus.transcript_clean import clean_transcript as clean_transcript_text
from i18n import N_, _

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
MAX_ENV = "TANDEM_MAX_IMPORT_MB"

FORMATS: dict[str, str] = {".txt": "txt", ".md": "md", ".docx": "docx", ".odt": "odt", ".rtf": "rtf", ".pdf": "pdf",
                           ".html": "html", ".htm": "html"}
#: Extensions the upload widgets accept (no dots).
UPLOAD_TYPES = ["txt", "md", "docx", "odt", "rtf", "pdf", "html", "htm"]
_ADVICE = {
    ".doc": N_("legacy Word .doc files are not read; save it as .docx"),
    ".wps": N_("save it as .docx or .txt"),
}


@dataclass(frozen=True)
class ReadResult:
    """A file read into canonical text.

    Attributes
    ----------
    text : str
        Canonical text (NFC, ``\\n`` line breaks, no BOM).
    encoding : str or None
        Codec used for text formats (the code page for .rtf); None for .docx, .odt and .pdf.
    source_sha256 : str
        SHA-256 (hex) of the original bytes.
    filename : str
        The file's name (no folders).
    fmt : str
        ``"txt"``, ``"md"``, ``"docx"``, ``"odt"``, ``"rtf"``, ``"pdf"`` or ``"html"``.
    warnings : list of str
        Reader warnings (see each reader).
    cleaning : dict or None
        When read with ``clean_transcript=True``: what ``corpus.transcript_clean`` removed and
        joined (``CleanReport.as_dict()`` plus ``"summary"``, one sentence with examples, and
        ``"short"``, the same without them); else None.
    """

    text: str
    encoding: str | None
    source_sha256: str
    filename: str
    fmt: str
    warnings: list[str] = field(default_factory=list)
    cleaning: dict | None = None


def max_import_bytes(max_bytes: int | None = None) -> int:
    """The size limit in bytes: ``max_bytes``, else ``TANDEM_MAX_IMPORT_MB``, else 50 MiB.

    Raises
    ------
    CorpusError
        The limit is not positive, or the environment variable is not a number.
    """
    if max_bytes is not None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0:
            raise CorpusError(_("max_bytes must be a positive number of bytes, not {max_bytes!r}.")
                              .format(max_bytes=max_bytes))
        return max_bytes
    env = os.environ.get(MAX_ENV)
    if env is None or not env.strip():
        return DEFAULT_MAX_BYTES
    try:
        mb = float(env)
    except ValueError:
        raise CorpusError(_("{max_env}={env!r} is not a number of megabytes.")
                          .format(max_env=MAX_ENV, env=env)) from None
    if not mb > 0:
        raise CorpusError(_("{max_env}={env!r} must be a positive number of megabytes.")
                          .format(max_env=MAX_ENV, env=env))
    return int(mb * 1024 * 1024)


def _format_of(filename: str) -> str:
    ext = Path(filename).suffix.lower()
    if ext in FORMATS:
        return FORMATS[ext]
    known = ", ".join(sorted(set(FORMATS)))
    if ext in _ADVICE:
        raise CorpusError(_("{filename}: {advice} (Tandem reads {known}).")
                          .format(filename=filename, advice=_(_ADVICE[ext]), known=known))
    if not ext:
        raise CorpusError(_("{filename}: has no extension; Tandem reads {known}.")
                          .format(filename=filename, known=known))
    raise CorpusError(_("{filename}: has extension {ext}; Tandem reads {known}.").format(filename=filename, ext=ext,
                                                                                          known=known))


def _size_error(filename: str, size: int, limit: int) -> CorpusError:
    return CorpusError(
        _("{filename}: is {value:.1f} MB, over the import limit of {value2:.1f} MB (raise it with max_bytes or "
          "{max_env}).")
        .format(filename=filename, value=size / 2**20, value2=limit / 2**20, max_env=MAX_ENV)
    )


def read_bytes(
    data: bytes, filename: str, *, encoding: str | None = None, max_bytes: int | None = None,
    clean_transcript: bool = False,
) -> ReadResult:
    """Read an uploaded file's bytes.

    Parameters
    ----------
    data : bytes
        The file's content.
    filename : str
        Its name; the extension picks the reader; folders are dropped.
    encoding : str, optional
        Codec overriding detection (.txt, .md, .html only).
    max_bytes : int, optional
        Size limit (see ``max_import_bytes``).
    clean_transcript : bool
        Remove line numbers, page markers and running headers/footers and join hard-wrapped
        lines into utterances (``corpus.transcript_clean``; a PDF is cleaned page by page).

    Returns
    -------
    ReadResult

    Raises
    ------
    CorpusError
        Unsupported extension, empty file, file over the limit, unreadable content, or
        a file without any text; the message names the file.
    """
    filename = Path(str(filename)).name or str(filename)
    fmt = _format_of(filename)
    limit = max_import_bytes(max_bytes)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise CorpusError(_("{filename}: expected the file's bytes, got {type}.")
                          .format(filename=filename, type=type(data).__name__))
    data = bytes(data)
    if not data:
        raise CorpusError(_("{filename}: is empty.").format(filename=filename))
    if len(data) > limit:
        raise _size_error(filename, len(data), limit)
    readers: dict[str, Callable[[], RawText]] = {
        "txt": lambda: read_txt(data, filename, encoding),
        "md": lambda: read_txt(data, filename, encoding),
        "html": lambda: read_html(data, filename, encoding),
        "docx": lambda: read_docx(data, filename),
        "odt": lambda: read_odt(data, filename),
        "rtf": lambda: read_rtf(data, filename),
    }
    pages = None
    if fmt == "pdf":
        pages, pdf_warnings = read_pdf_pages(data, filename)
        raw = RawText(text=normalise("\n\n".join(pages)), encoding=None, warnings=pdf_warnings)
    else:
        raw = readers[fmt]()
    cleaning = None
    if clean_transcript:
        cleaned, report = clean_transcript_text(pages if pages is not None else raw.text)
        cleaning = {**report.as_dict(), "summary": f"{filename}: {report.summary()}",
                    "short": f"{filename}: {report.summary(examples=False)}"}
        raw = RawText(text=normalise(cleaned), encoding=raw.encoding, warnings=raw.warnings)
    warnings = list(raw.warnings)
    if encoding and fmt in ("docx", "odt", "rtf", "pdf"):
        warnings.append(_("{filename}: the encoding {encoding!r} was ignored; .{fmt} files carry their own.")
                        .format(filename=filename, encoding=encoding, fmt=fmt))
    if not raw.text.strip():
        raise CorpusError(_("{filename}: contains no text.").format(filename=filename))
    return ReadResult(
        text=raw.text, encoding=raw.encoding, source_sha256=hashlib.sha256(data).hexdigest(),
        filename=filename, fmt=fmt, warnings=warnings, cleaning=cleaning,
    )


def read_file(path: str | Path, *, encoding: str | None = None, max_bytes: int | None = None,
              clean_transcript: bool = False) -> ReadResult:
    """Read a file from disk (see ``read_bytes``); the size is checked before reading.

    Raises
    ------
    CorpusError
        As ``read_bytes``, or the path does not exist or is not a file.
    """
    path = Path(path)
    _format_of(path.name)
    if not path.is_file():
        reason = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise CorpusError(f"{path.name}: {reason} ({path}).")
    limit = max_import_bytes(max_bytes)
    size = path.stat().st_size
    if size > limit:
        raise _size_error(path.name, size, limit)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(_("{name}: cannot be read ({value}).")
                          .format(name=path.name, value=exc.strerror or exc)) from None
    return read_bytes(data, path.name, encoding=encoding, max_bytes=limit, clean_transcript=clean_transcript)
