"""Coded segments export: offsets in code points and UTF-16 units (recomputed here independently of
corpus.offsets), code paths, filters as Retrieve's, Excel-safe CSV/XLSX, and the segments-export command.

Texts hold 😀 (U+1F600) and 𠀀 (U+20000), each one code point but two UTF-16 units."""
from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

import coding
import store
from coding import CodingError
from coding.exchange.segments_export import segments_csv_bytes, segments_table, segments_xlsx_bytes, write_segments

ROOT = Path(__file__).resolve().parent.parent
T1 = "苏州😀的领导说要多签协议。\n\n湖州𠀀和苏州之间😀其实没有检查。"
T2 = "Plain ASCII text: the =HYPERLINK idea is here.\nSecond line 𠀀 with more words."


def _doc(session, name, text):
    doc = store.Document(name=name, kind="interview", language="zh", text=text, text_sha256="0" * 64,
                         n_chars=len(text))
    session.add(doc)
    session.flush()
    pos = 0
    for idx, block in enumerate(text.split("\n\n"), start=1):
        session.add(store.Segment(document_id=doc.id, kind="paragraph", idx=idx, start=pos, end=pos + len(block)))
        pos += len(block) + 2
    return doc.id


def _span(text, phrase):
    i = text.index(phrase)
    return i, i + len(phrase)


def u16(text, i):
    """UTF-16 units before code point i, computed from the encoder (not corpus.offsets)."""
    return len(text[:i].encode("utf-16-le")) // 2


@pytest.fixture
def world(engine):
    with store.session_scope(engine) as s:
        coding.ensure_default_codebook(s)
        mark = coding.code_id_by_name(s, "Mark")
        hole = coding.code_id_by_name(s, "Hole")
        sub = coding.add_code(s, "伙伴数", parent_id=mark)
        d1 = _doc(s, "访谈一", T1)
        d2 = _doc(s, "=Doc two", T2)
        ids = {
            "a": coding.add_coding(s, d1, *_span(T1, "领导说要"), mark, coder="r")[0],
            "b": coding.add_coding(s, d1, *_span(T1, "𠀀和苏州之间😀其实"), sub, coder="w", memo="=SUM(1)")[0],
            "c": coding.add_coding(s, d2, *_span(T2, "=HYPERLINK idea"), hole, coder="r")[0],
            "d": coding.add_coding(s, d2, *_span(T2, "with more"), sub, coder="r")[0],
        }
        s.add_all([store.City(code="320500", name="苏州市"), store.City(code="330500", name="湖州市")])
        s.flush()
        coding.link_dyad(s, ids["a"], "330500", "320500")
        coding.link_city(s, ids["b"], "330500")
    return {"engine": engine, "ids": ids, "docs": {"访谈一": T1, "=Doc two": T2}, "mark": mark, "hole": hole}


def test_offsets_recomputed_independently_and_quotes_match(world):
    with store.session_scope(world["engine"]) as s:
        table = segments_table(s)
    assert list(table["coding_id"]) == [world["ids"][k] for k in "abcd"]
    assert len(table) == 4
    for row in table.itertuples():
        text = world["docs"][row.document]
        assert text[row.start:row.end] == row.quote
        assert row.start_utf16 == u16(text, row.start) and row.end_utf16 == u16(text, row.end)
        # and the UTF-16 units slice the same quote out of the UTF-16 encoding
        units = text.encode("utf-16-le")
        assert units[2 * row.start_utf16:2 * row.end_utf16].decode("utf-16-le") == row.quote
    b = table.set_index("coding_id").loc[world["ids"]["b"]]
    # by hand: before 𠀀 are 苏州😀的领导说要多签协议。\n\n湖州 = 17 code points, one astral (😀) -> 18 units;
    # the quote 𠀀和苏州之间😀其实 is 9 code points with two astral -> 11 units.
    assert (b["start"], b["end"], b["start_utf16"], b["end_utf16"]) == (17, 26, 18, 29)
    assert b["paragraph"] == 2 and b["code_path"] == "Behaviour > Mark > 伙伴数" and b["memo"] == "=SUM(1)"
    a = table.set_index("coding_id").loc[world["ids"]["a"]]
    assert (a["start"], a["start_utf16"], a["paragraph"]) == (4, 5, 1)
    assert a["linked_to"] == "苏州市–湖州市" and b["linked_to"] == "湖州市"
    assert set(table["status"]) == {"anchored"}
    assert table["created"].notna().all()


def test_filters_separator_and_refusals(world):
    with store.session_scope(world["engine"]) as s:
        by_code = segments_table(s, code_ids=[world["mark"]])
        assert sorted(by_code["coding_id"]) == sorted(world["ids"][k] for k in "abd")
        only_mark = segments_table(s, code_ids=[world["mark"]], include_subcodes=False)
        assert list(only_mark["coding_id"]) == [world["ids"]["a"]]
        assert list(segments_table(s, coder="w")["coding_id"]) == [world["ids"]["b"]]
        slash = segments_table(s, coder="w", separator="/")
        assert slash["code_path"].iloc[0] == "Behaviour/Mark/伙伴数"
        assert segments_table(s, coder="nobody").empty
        with pytest.raises(CodingError, match="separator"):
            segments_table(s, separator="\n")
        with pytest.raises(CodingError, match="does not exist"):
            segments_table(s, code_ids=[99999])


def test_csv_and_xlsx_are_excel_safe_and_keep_chinese(world, tmp_path):
    with store.session_scope(world["engine"]) as s:
        table = segments_table(s)
    data = segments_csv_bytes(table)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["coding", "document", "code path", "coder", "origin", "origin detail", "start (code points)",
                       "end (code points)",
                       "start (UTF-16 units)", "end (UTF-16 units)", "paragraph", "quote", "memo", "linked to",
                       "created (UTC)", "status"]
    cells = [c for r in rows for c in r]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    assert "'=HYPERLINK idea" in cells and "'=SUM(1)" in cells and "'=Doc two" in cells
    assert "𠀀和苏州之间😀其实" in cells
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(back["start (UTF-16 units)"]) == list(table["start_utf16"])
    ws = load_workbook(io.BytesIO(segments_xlsx_bytes(table))).active
    assert ws.title == "Coded segments"
    values = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in values if c.data_type == "f"]
    assert [c.value for c in ws[3]][8:10] == [18, 29]  # the numbers stay numbers
    with pytest.raises(CodingError, match=r"\.csv or \.xlsx"):
        write_segments(table, tmp_path / "x.txt")
    assert write_segments(table, tmp_path / "x.xlsx").is_file()


def test_unanchored_coding_has_no_utf16_offsets(world):
    with store.session_scope(world["engine"]) as s:
        s.get(store.Coding, world["ids"]["c"]).status = "unanchored"
    with store.session_scope(world["engine"]) as s:
        row = segments_table(s).set_index("coding_id").loc[world["ids"]["c"]]
    assert row["status"] == "unanchored" and pd.isna(row["start_utf16"]) and pd.isna(row["end_utf16"])


@pytest.mark.slow  # a CLI round trip, each command in its own process (~3 s of start-up each): CI runs it
def test_segments_export_command(world, tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("the command is checked on the SQLite project; the library runs on both backends above")
    project = str(world["engine"].url.database)
    world["engine"].dispose()
    out = tmp_path / "segments.csv"
    def run(*a):
        return subprocess.run([sys.executable, "cli.py", "segments-export", "--project", project, *a],
                              cwd=ROOT, capture_output=True, text=True)
    done = run("--out", str(out), "--codes", "Mark", "--coder", "r")
    assert done.returncode == 0, done.stderr
    back = pd.read_csv(out, encoding="utf-8-sig")
    assert list(back["code path"]) == ["Behaviour > Mark", "Behaviour > Mark > 伙伴数"]
    assert "2 coded segment(s)" in done.stdout
    again = run("--out", str(out))
    assert again.returncode == 1 and "already exists" in again.stderr
    bad = run("--out", str(tmp_path / "s.xlsx"), "--codes", "No such code")
    assert bad.returncode == 1 and "No code is named" in bad.stderr and not (tmp_path / "s.xlsx").exists()
    ok = run("--out", str(tmp_path / "s.xlsx"), "--separator", "/")
    assert ok.returncode == 0, ok.stderr
    ws = load_workbook(tmp_path / "s.xlsx").active
    assert ws["C3"].value == "Behaviour/Mark/伙伴数"
