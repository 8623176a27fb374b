"""HTML: visible text, block elements as paragraphs, declared and detected encodings."""
from __future__ import annotations

from corpus.read_html import read_html


def test_read_html_blocks_become_paragraphs_and_scripts_vanish():
    html = b"""<!DOCTYPE html><html><head><title>T</title><style>p{}</style></head><body>
    <h1>Title  here</h1><!-- a comment -->
    <p>First <b>bold</b>
       words &amp; more<br>after break</p>
    <script>var x = 1;</script>
    <ul><li>one</li><li>two</li></ul>
    <table><tr><td>A1</td><td>B1</td></tr></table>
    <div>outer <p>inner</p> tail</div>
    <pre>keep   this
  indented</pre>
    </body></html>"""
    raw = read_html(html, "page.html")
    assert raw.text.split("\n\n") == [
        "Title here",
        "First bold words & more\nafter break",
        "one",
        "two",
        "A1",
        "B1",
        "outer",
        "inner",
        "tail",
        "keep   this\n  indented",
    ]
    assert raw.encoding == "utf-8"


def test_read_html_declared_gb2312_is_read_as_gb18030_and_han_line_breaks_vanish():
    body = "<html><head><meta charset=\"gb2312\"></head><body><p>跨城\n  通办，镕</p></body></html>"
    raw = read_html(body.encode("gb18030"), "gb.htm")  # 镕 is outside GB2312, inside GBK
    assert raw.text == "跨城通办，镕"
    assert raw.encoding == "gb18030"


def test_read_html_explicit_encoding_wins():
    body = "<p>蘇州</p>".encode("big5")
    raw = read_html(body, "x.html", encoding="big5")
    assert (raw.text, raw.encoding) == ("蘇州", "big5")


def test_read_html_wrong_declaration_falls_back_to_detection_with_a_warning():
    body = "<html><head><meta charset=\"ascii\"></head><body><p>苏州市政府召开跨城通办工作会议，部署政务服务事项。</p></body></html>"
    raw = read_html(body.encode("utf-8"), "lie.html")  # ascii -> cp1252 cannot hold 0x81/0x8d...
    assert raw.text == "苏州市政府召开跨城通办工作会议，部署政务服务事项。"
    assert raw.encoding == "utf-8"
    assert raw.warnings[0].startswith("lie.html: declares the encoding 'ascii', which does not fit; read as utf-8.")
