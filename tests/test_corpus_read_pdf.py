"""PDF text layer: pages joined by blank lines; encrypted, corrupt and scanned files refused."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from corpus.errors import CorpusError
from corpus.read_pdf import read_pdf


def make_pdf(pages, password=None) -> bytes:
    """A PDF whose pages show the given lines in Helvetica (None = a page without text)."""
    writer = PdfWriter()
    for lines in pages:
        page = writer.add_blank_page(612, 792)
        if lines is None:
            continue
        font = DictionaryObject({
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        })
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
        )
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"] + [f"({line}) Tj T*" for line in lines] + ["ET"]
        stream = DecodedStreamObject()
        stream.set_data("\n".join(ops).encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
    if password:
        writer.encrypt(password, algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_read_pdf_pages_joined_by_blank_lines_and_textless_pages_reported():
    data = make_pdf([["Dan:", "Hello there, page one."], None, ["Participant:", "Second page."]])
    raw = read_pdf(data, "t.pdf")
    assert raw.text == "Dan:\nHello there, page one.\n\nParticipant:\nSecond page."
    assert raw.warnings == ["t.pdf: page(s) 2 have no text layer and were skipped (scanned?)."]


def test_read_pdf_without_text_layer_needs_ocr():
    with pytest.raises(CorpusError, match=r"^scan\.pdf: has no text layer .*OCR"):
        read_pdf(make_pdf([None, None]), "scan.pdf")


def test_read_pdf_password_protected_is_refused():
    with pytest.raises(CorpusError, match=r"^locked\.pdf: is password-protected"):
        read_pdf(make_pdf([["secret"]], password="pw"), "locked.pdf")


def test_read_pdf_truncated_and_garbage_files_are_corrupt():
    data = make_pdf([["some text"]])
    with pytest.raises(CorpusError, match=r"^cut\.pdf: not a valid PDF file"):
        read_pdf(data[: len(data) // 2], "cut.pdf")
    with pytest.raises(CorpusError, match=r"^junk\.pdf: not a valid PDF file \(no %PDF header\)"):
        read_pdf(b"this is not a pdf", "junk.pdf")
