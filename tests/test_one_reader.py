"""Every table and text file goes through one decoder (corpus.read_txt.decode): a Big5 city
table and a GB18030 codebook CSV read correctly (issue 10, part 4)."""
from __future__ import annotations

from coding.exchange.codebook_csv import read_codebook_csv
from quant.data.tables import read_table

BIG5_ROWS = "城市,人口\n廣州市,1868\n臺北市,260\n高雄市,277\n彰化縣,127\n"
GB_ROWS = ("path,name,definition\n行为,行为,干部面对改革任务的行为\n行为/留痕,留痕,下级向上级发出“任务已完成”的信号\n"
           "行为/漏洞,漏洞,上级对某一环节不加审查\n")


def test_big5_city_table_is_not_mojibake():
    data = BIG5_ROWS.encode("big5")
    assert data.decode("gb18030", errors="replace") != BIG5_ROWS  # GB18030 first would garble it
    table = read_table(data, "cities_big5.csv", as_text=True)
    assert table["城市"].tolist() == ["廣州市", "臺北市", "高雄市", "彰化縣"]
    assert table["人口"].astype(int).tolist() == [1868, 260, 277, 127]


def test_gb18030_codebook_csv_is_read():
    data = GB_ROWS.encode("gb18030")
    nodes = read_codebook_csv(data)
    names = []

    def walk(ns):
        for n in ns:
            names.append(n.name)
            walk(getattr(n, "children", []) or [])

    walk(nodes)
    assert set(names) == {"行为", "留痕", "漏洞"}


def test_utf8_with_bom_and_utf16_tables():
    for encoded in (b"\xef\xbb\xbf" + "城市,人口\n广州市,1868\n".encode("utf-8"),
                    "城市,人口\n广州市,1868\n".encode("utf-16")):
        table = read_table(encoded, "c.csv", as_text=True)
        assert table.columns.tolist() == ["城市", "人口"] and table["城市"].tolist() == ["广州市"]
