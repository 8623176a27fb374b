""".odt and .rtf transcripts: text as written by hand, Chinese through \\uN and GBK \\'hh bytes,
bad files refused in one sentence. Every expected text below is written out by hand."""
from __future__ import annotations

import io
import zipfile

import pytest

from corpus.errors import CorpusError
from corpus.read_odt import read_odt
from corpus.read_rtf import read_rtf
from corpus.readers import read_bytes

ODT_MIME = b"application/vnd.oasis.opendocument.text"
NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
      'xmlns:dc="http://purl.org/dc/elements/1.1/"')


def odt_package(body: str, *, mimetype: bytes = ODT_MIME, manifest: str | None = None,
                content: bytes | None = None) -> bytes:
    """An .odt written by hand: mimetype, manifest and a content.xml around ``body``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), mimetype)
        zf.writestr("META-INF/manifest.xml", manifest or (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            '</manifest:manifest>'))
        zf.writestr("content.xml", content if content is not None else (
            f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS}><office:body>'
            f'<office:text>{body}</office:text></office:body></office:document-content>').encode("utf-8"),
            compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def test_odt_written_by_odfpy_paragraphs_headings_lists_tables_spans_and_spaces():
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, LineBreak, List, ListItem, Note, NoteBody, NoteCitation, P, S, Span, Tab

    doc = OpenDocumentText()
    doc.text.addElement(H(outlinelevel=1, text="访谈记录 一"))
    p = P(text="访谈者：您好")
    p.addElement(Span(text="，广州市"))
    p.addElement(S(c=3))
    p.addText("与佛山市")
    p.addElement(Tab())
    p.addText("合作")
    p.addElement(LineBreak())
    p.addText("第二行")
    doc.text.addElement(p)
    note = Note(noteclass="footnote", id="n1")
    note.addElement(NoteCitation(text="1"))
    body = NoteBody()
    body.addElement(P(text="脚注不导入"))
    note.addElement(body)
    p2 = P(text="受访者：是的")
    p2.addElement(note)
    p2.addText("。")
    doc.text.addElement(p2)
    items = List()
    for t in ("第一项", "第二项"):
        li = ListItem()
        li.addElement(P(text=t))
        items.addElement(li)
    doc.text.addElement(items)
    table = Table(name="T")
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    for row in (("城市", "次数"), ("广州市", "3")):
        tr = TableRow()
        for c in row:
            cell = TableCell()
            cell.addElement(P(text=c))
            tr.addElement(cell)
        table.addElement(tr)
    doc.text.addElement(table)
    doc.text.addElement(P(text=""))
    buf = io.BytesIO()
    doc.save(buf)
    result = read_bytes(buf.getvalue(), "访谈一.odt")
    assert result.fmt == "odt" and result.encoding is None and result.warnings == []
    assert result.text == ("访谈记录 一\n\n访谈者：您好，广州市   与佛山市\t合作\n第二行\n\n受访者：是的。\n\n"
                           "第一项\n\n第二项\n\n城市\n\n次数\n\n广州市\n\n3")


def test_odt_white_space_collapsed_as_odf_says_tracked_deletions_comments_and_frames_left_out():
    body = (
        '<text:tracked-changes><text:changed-region text:id="c1"><text:deletion>'
        '<text:p>删除的文字</text:p></text:deletion></text:changed-region></text:tracked-changes>'
        '<text:p>   Interviewer:\n   how   <text:span>did\tit</text:span> start?'
        '<text:change text:change-id="c1"/></text:p>'
        '<text:p>A:<text:s/>two<text:s text:c="2"/>spaces<office:annotation><dc:creator>x</dc:creator>'
        '<text:p>a comment</text:p></office:annotation> kept</text:p>'
        '<text:section text:name="S"><text:h text:outline-level="2">小节</text:h>'
        '<text:p>框<draw:frame><draw:text-box><text:p>文本框</text:p></draw:text-box></draw:frame>外</text:p>'
        '</text:section><text:p>  </text:p>'
    )
    raw = read_odt(odt_package(body), "notes.odt")
    assert raw.text == "Interviewer: how did it start?\n\nA: two  spaces kept\n\n小节\n\n框外"
    assert raw.warnings == ["notes.odt: text in text boxes or frames was not imported; copy it into the body "
                            "if it matters."]


def test_odt_refused_when_encrypted_not_text_malformed_or_not_zip():
    encrypted = ('<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                 '<manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data '
                 'manifest:checksum-type="SHA1/1K"/></manifest:file-entry></manifest:manifest>')
    cases = {
        "locked.odt": (odt_package("<text:p>x</text:p>", manifest=encrypted), "is password-protected"),
        "sheet.odt": (odt_package("", mimetype=b"application/vnd.oasis.opendocument.spreadsheet"),
                      "is not an OpenDocument text"),
        "broken.odt": (odt_package("", content=b"<office:document-content><unclosed>"),
                       "content.xml is malformed"),
        "plain.odt": (b"just text, not a zip", "not a valid .odt file"),
    }
    for name, (data, words) in cases.items():
        with pytest.raises(CorpusError) as err:
            read_bytes(data, name)
        message = str(err.value)
        assert message.startswith(f"{name}: ") and words in message and message.count("\n") == 0


def test_odt_zip_bomb_refused_by_the_archive_caps():
    spaces = b" " * (60 * 2**20)  # 60 MB of spaces deflate to about 60 KB: ratio ~1000
    data = odt_package("", content=b"<a>" + spaces + b"</a>")
    with pytest.raises(CorpusError, match=r"bomb\.odt: refused, .*(zip bomb|inflate)"):
        read_bytes(data, "bomb.odt")


def test_striprtf_alone_misreads_gbk_bytes_in_an_ansi_font_which_the_reader_fixes():
    """Word/WordPad write Chinese in a font whose table entry says \\fcharset0 (ANSI) with the
    document's \\ansicpg936: the bytes c4e3 bac3 are GBK for 你好."""
    from striprtf.striprtf import rtf_to_text

    rtf = rb"{\rtf1\ansi\ansicpg936\deff0{\fonttbl{\f0\fnil\fcharset0 Arial;}}\f0 \'c4\'e3\'ba\'c3\par}"
    assert rtf_to_text(rtf.decode("ascii")) == "\u00c4\u00e3\u00ba\u00c3\n"  # what the library does
    assert "你好".encode("gbk") == b"\xc4\xe3\xba\xc3"
    assert read_rtf(rtf, "a.rtf").text == "你好"


def test_rtf_chinese_as_u_escapes_gbk_bytes_astral_characters_lines_and_cells():
    rtf = (
        rb"{\rtf1\ansi\ansicpg936\deff0{\fonttbl{\f0\fswiss\fcharset0 Arial;}{\f1\fnil\fcharset134 SimSun;}}"
        rb"{\header {\f1 \'d2\'b3\'c3\'bc}\par}"  # header (页眉) is not body text
        rb"\f0 Interviewer:\f1 \'c4\'e3\'ba\'c3\f0 , \uc1\u24191?\u24030?\u24066?\par"  # 你好, 广州市
        rb"\uc2\u20315\'b7\'f0\u23665\'c9\'bd A\line B \u-10179?\'3f\u-8704?\'3f\par"  # 佛山 with GBK fallbacks; 😀
        rb"\uc1\trowd\cellx1000\cellx2000 \u22478?\u24066?\cell 3\cell\row"  # a table row: 城市 | 3
        rb"{\*\annotation a comment}C:\\line\par}"
    )
    raw = read_rtf(rtf, "访谈.rtf")
    assert raw.encoding == "cp936" and raw.warnings == []
    assert raw.text == "Interviewer:你好, 广州市\n\n佛山 A\nB 😀\n\n城市\n\n3\n\nC:\\line"
    assert "\ud83d" not in raw.text and len("😀") == 1


def test_rtf_raw_gbk_bytes_and_bad_files():
    raw = read_rtf(b"{\\rtf1\\ansi\\ansicpg936 " + "受访者：你好，广州市。".encode("gbk") + b"\\par}", "r.rtf")
    assert raw.text == "受访者：你好，广州市。"
    with pytest.raises(CorpusError, match=r"^x\.rtf: not a valid RTF file"):
        read_bytes(b"hello, not rtf", "x.rtf")
    bad = read_rtf(b"{\\rtf1\\ansi\\ansicpg936 \\'ff\\'ff ok\\par}", "b.rtf")
    assert "ok" in bad.text and "\ufffd" in bad.text and bad.warnings


def test_odt_and_rtf_import_into_a_project(engine):
    import store
    from corpus.importer import import_bytes

    rtf = (rb"{\rtf1\ansi\ansicpg936{\fonttbl{\f0\fcharset0 Arial;}}"
           rb"\f0 \'b9\'e3\'d6\'dd\'ca\'d0\par \'b7\'f0\'c9\'bd\'ca\'d0\par}")
    with store.session_scope(engine) as s:
        a = import_bytes(s, odt_package("<text:p>第一段</text:p><text:p>第二段</text:p>"), "p1.odt")
        b = import_bytes(s, rtf, "p2.rtf")
    with store.session_scope(engine) as s:
        texts = {d.name: d.text for d in s.query(store.Document)}
    assert texts == {"p1": "第一段\n\n第二段", "p2": "广州市\n\n佛山市"}
    assert (a.n_paragraphs, b.n_paragraphs, b.encoding) == (2, 2, "cp936")


def test_libreoffice_converted_odt_and_rtf_read_like_the_docx(tmp_path):
    """One .docx written with python-docx (heading, tab, line break, astral characters, a table, a
    bulleted item), converted by LibreOffice to .odt and .rtf: the three readers give the text
    written out here by hand (LibreOffice's RTF writes Chinese as \\uN with \\'hh fallbacks, the
    astral characters as surrogate pairs, and the bullet as a \\listtext group)."""
    import shutil
    import subprocess

    import docx

    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    d = docx.Document()
    d.add_heading("访谈记录 一", 1)
    p = d.add_paragraph("访谈者：您好，广州市与佛山市\t合作")
    p.add_run().add_break()
    p.add_run("第二行 😀 𠀀 café")
    d.add_paragraph("受访者：是的。")
    table = d.add_table(rows=2, cols=2)
    for i, row in enumerate((("城市", "次数"), ("广州市", "3"))):
        for j, value in enumerate(row):
            table.cell(i, j).text = value
    d.add_paragraph("第一项", style="List Bullet")
    d.save(tmp_path / "lo.docx")
    for fmt in ("odt", "rtf"):
        subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                        "--convert-to", fmt, "--outdir", str(tmp_path), str(tmp_path / "lo.docx")],
                       check=True, capture_output=True, timeout=180)
    expected = ("访谈记录 一\n\n访谈者：您好，广州市与佛山市\t合作\n第二行 😀 𠀀 café\n\n受访者：是的。\n\n"
                "城市\n\n次数\n\n广州市\n\n3\n\n第一项")
    for name in ("lo.docx", "lo.odt", "lo.rtf"):
        assert read_bytes((tmp_path / name).read_bytes(), name).text == expected, name
