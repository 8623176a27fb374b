"""Reading sources into canonical text, segmenting them, finding places, importing them.

Spans everywhere are ``[start, end)`` in Python code points over the canonical text
(NFC, ``\\n`` line breaks; ``corpus.text``). Conversions to UTF-16 units, UTF-8 bytes
and CRLF offsets live in ``corpus.offsets``.
"""
from corpus.errors import CorpusError, OffsetError
from corpus.importer import ImportResult, import_bytes, import_document, import_files, import_text
from corpus.language import detect_language
from corpus.offsets import (
    OffsetIndex,
    crlf_offset,
    from_crlf_offset,
    from_utf8_bytes,
    from_utf16,
    to_utf8_bytes,
    to_utf16,
)
from corpus.places import Mention, PlaceMatcher
from corpus.readers import ReadResult, read_bytes, read_file
from corpus.segment import Segmentation, segment
from corpus.text import RawText, normalise, normalise_with_map

__all__ = [
    "CorpusError", "ImportResult", "Mention", "OffsetError", "OffsetIndex", "PlaceMatcher", "RawText",
    "ReadResult", "Segmentation", "crlf_offset", "detect_language", "from_crlf_offset", "from_utf16",
    "from_utf8_bytes", "import_bytes", "import_document", "import_files", "import_text", "normalise",
    "normalise_with_map", "read_bytes", "read_file", "segment", "to_utf16", "to_utf8_bytes",
]
