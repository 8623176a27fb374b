"""Word .docx: paragraphs and table cells in document order, tracked changes, corrupt files."""
from __future__ import annotations

import io
import zipfile

import docx
import pytest
from docx.oxml import parse_xml

from corpus.errors import CorpusError
from corpus.read_docx import read_docx

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _docx_bytes() -> bytes:
    document = docx.Document()
    document.add_paragraph("第一段：苏州市。")
    document.add_paragraph("")  # empty paragraphs are dropped
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "A1"
    table.cell(0, 1).text = "B1"
    table.cell(1, 0).text = "A2"
    table.cell(1, 1).text = "B2"
    p = document.add_paragraph("line one")
    p.add_run().add_break()
    p.add_run("line two\tcol")
    tracked = parse_xml(
        f"<w:p {W_NS}><w:r><w:t xml:space=\"preserve\">kept </w:t></w:r>"
        f"<w:ins w:id=\"1\" w:author=\"x\"><w:r><w:t>inserted</w:t></w:r></w:ins>"
        f"<w:del w:id=\"2\" w:author=\"x\"><w:r><w:delText>deleted</w:delText></w:r></w:del></w:p>"
    )
    document.element.body.insert(len(document.element.body) - 1, tracked)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def test_read_docx_paragraphs_and_table_cells_in_order():
    raw = read_docx(_docx_bytes(), "made.docx")
    assert raw.text.split("\n\n") == [
        "第一段：苏州市。", "A1", "B1", "A2", "B2", "line one\nline two\tcol", "kept inserted",
    ]
    assert raw.encoding is None and raw.warnings == []


def test_read_docx_real_statement(shared):
    raw = read_docx(shared("transcripts", "qualcoder", "ID1.docx").read_bytes(), "ID1.docx")
    paras = raw.text.split("\n\n")
    assert len(paras) == 3
    assert paras[0].startswith("I really like learning new things.")
    assert paras[2].startswith("I also like the other students in the course.")


def test_read_docx_truncated_zip_is_corrupt(shared):
    data = shared("transcripts", "qualcoder", "ID1.docx").read_bytes()
    with pytest.raises(CorpusError, match=r"^P1\.docx: not a valid \.docx file \(zip archive is corrupt\)\.$"):
        read_docx(data[: len(data) // 2], "P1.docx")


def test_read_docx_zip_that_is_not_word_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(CorpusError, match=r"^x\.docx: not a valid \.docx file"):
        read_docx(buf.getvalue(), "x.docx")
