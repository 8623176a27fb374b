"""Code matrices and co-occurrence, hand-checked on a small project.

Cities A=310000, B=320500, C=330500. Codebook: Cat (category) > X > X1; Y; Z.
D1 = two paragraphs [0,10) and [12,22); D2 = one paragraph [0,10).

====  ====  ====  =========  =====  =====================
name  code  doc   span       coder  links
====  ====  ====  =========  =====  =====================
k1    X     D1    [0, 4)     r      city A
k2    Y     D1    [2, 6)     r      city A, dyad A-B
k3    Y     D1    [3, 5)     w      dyad B-C
k4    X1    D1    [12, 15)   r      city B
k5    Z     D1    [16, 20)   r      -
k6    Y     D2    [0, 3)     w      city C
k7    X     D2    [5, 8)     r      dyad A-C
k8    Z     D1    [6, 9)     r      -   (touches k2 at 6 but shares no code point)
====  ====  ====  =========  =====  =====================

Overlaps of different codes: k1-k2, k1-k3 (k2-k3 are both Y). Paragraph units:
D1¶1 = {X, Y, Z}, D1¶2 = {X1, Z}, D2¶1 = {X, Y}. Every expected number below is worked
out from this table by hand.
"""
from __future__ import annotations

import io
import math

import pandas as pd
import pytest

import coding
import store
from coding import CodingError

A, B, C = "310000", "320500", "330500"
D1 = "甲乙丙丁戊己庚辛壬癸\n\n子丑寅卯辰巳午未申酉"
D2 = "天地玄黄宇宙洪荒日月"
ROWS = ["Cat/X", "Cat/X/X1", "Y", "Z"]


def _doc(session, name, text, paragraphs):
    doc = store.Document(name=name, kind="interview", language="zh", text=text, text_sha256="0" * 64,
                         n_chars=len(text))
    session.add(doc)
    session.flush()
    for idx, (a, b) in enumerate(paragraphs, start=1):
        session.add(store.Segment(document_id=doc.id, kind="paragraph", idx=idx, start=a, end=b))
    return doc.id


@pytest.fixture
def world(engine):
    with store.session_scope(engine) as s:
        s.add_all([store.City(code=c, name=n) for c, n in ((A, "上海市"), (B, "苏州市"), (C, "湖州市"))])
        cat = coding.add_code(s, "Cat", codable=False)
        x = coding.add_code(s, "X", parent_id=cat)
        code = {"Cat": cat, "X": x, "X1": coding.add_code(s, "X1", parent_id=x), "Y": coding.add_code(s, "Y"),
                "Z": coding.add_code(s, "Z")}
        d1 = _doc(s, "D1", D1, [(0, 10), (12, 22)])
        d2 = _doc(s, "D2", D2, [(0, 10)])
        plan = {"k1": ("X", d1, 0, 4, "r"), "k2": ("Y", d1, 2, 6, "r"), "k3": ("Y", d1, 3, 5, "w"),
                "k4": ("X1", d1, 12, 15, "r"), "k5": ("Z", d1, 16, 20, "r"), "k6": ("Y", d2, 0, 3, "w"),
                "k7": ("X", d2, 5, 8, "r"), "k8": ("Z", d1, 6, 9, "r")}
        k = {name: coding.add_coding(s, d, a, b, code[c], coder=who)[0] for name, (c, d, a, b, who) in plan.items()}
        coding.link_city(s, k["k1"], A)
        coding.link_city(s, k["k2"], A)
        coding.link_dyad(s, k["k2"], A, B)
        coding.link_dyad(s, k["k3"], B, C)
        coding.link_city(s, k["k4"], B)
        coding.link_city(s, k["k6"], C)
        coding.link_dyad(s, k["k7"], C, A)
    return {"engine": engine, "code": code, "k": k, "docs": (d1, d2)}


def _values(frame):
    return {row: [int(v) for v in frame.loc[row]] for row in frame.index}


def test_code_by_document_counts_presence_and_subcodes(world):
    with store.session_scope(world["engine"]) as s:
        counts = coding.code_document_matrix(s)
        rolled = coding.code_document_matrix(s, include_subcodes=True)
        present = coding.code_document_matrix(s, measure="presence")
        only_r = coding.code_document_matrix(s, coder="r", document_ids=[world["docs"][0]])
    assert list(counts.index) == ROWS and list(counts.columns) == ["D1", "D2"]
    assert _values(counts) == {"Cat/X": [1, 1], "Cat/X/X1": [1, 0], "Y": [2, 1], "Z": [2, 0]}
    assert _values(rolled) == {"Cat": [2, 1], "Cat/X": [2, 1], "Cat/X/X1": [1, 0], "Y": [2, 1], "Z": [2, 0]}
    assert _values(present) == {"Cat/X": [1, 1], "Cat/X/X1": [1, 0], "Y": [1, 1], "Z": [1, 0]}
    assert _values(only_r) == {"Cat/X": [1], "Cat/X/X1": [1], "Y": [1], "Z": [2]}
    assert counts.attrs["kind"] == "document" and counts.attrs["row_ids"] == [world["code"][n] for n in
                                                                                ("X", "X1", "Y", "Z")]


def test_code_by_city_direct_and_through_dyads(world):
    with store.session_scope(world["engine"]) as s:
        via = coding.code_city_matrix(s)
        direct = coding.code_city_matrix(s, via_dyads=False)
        rolled = coding.code_city_matrix(s, include_subcodes=True, measure="presence")
    assert list(via.columns) == [A, B, C]
    # k2 is linked to A and to A-B: A counts it once.
    assert _values(via) == {"Cat/X": [2, 0, 1], "Cat/X/X1": [0, 1, 0], "Y": [1, 2, 2], "Z": [0, 0, 0]}
    assert _values(direct) == {"Cat/X": [1, 0, 0], "Cat/X/X1": [0, 1, 0], "Y": [1, 0, 1], "Z": [0, 0, 0]}
    assert _values(rolled)["Cat"] == [1, 1, 1] and _values(rolled)["Cat/X/X1"] == [0, 1, 0]


def test_code_by_dyad(world):
    with store.session_scope(world["engine"]) as s:
        frame = coding.code_dyad_matrix(s)
    assert list(frame.columns) == [f"{A}-{B}", f"{A}-{C}", f"{B}-{C}"]
    assert _values(frame) == {"Cat/X": [0, 1, 0], "Cat/X/X1": [0, 0, 0], "Y": [1, 0, 1], "Z": [0, 0, 0]}


def test_cooccurrence_overlap_counts_and_c_coefficient(world):
    with store.session_scope(world["engine"]) as s:
        counts = coding.cooccurrence_matrix(s)
        c = coding.cooccurrence_matrix(s, measure="c_coefficient")
        table = coding.cooccurrence_table(s)
        by_r = coding.cooccurrence_table(s, coder="r")
    assert _values(counts) == {"Cat/X": [2, 0, 2, 0], "Cat/X/X1": [0, 1, 0, 0], "Y": [2, 0, 3, 0],
                               "Z": [0, 0, 0, 2]}
    # n_X = 2 (k1, k7), n_Y = 3 (k2, k3, k6), n_XY = 2 overlapping pairs (k1-k2, k1-k3).
    assert c.loc["Cat/X", "Y"] == pytest.approx(2 / (2 + 3 - 2)) == c.loc["Y", "Cat/X"]
    assert c.loc["Cat/X", "Z"] == 0.0 and math.isnan(c.loc["Y", "Y"])
    assert table.to_dict("records") == [{"code_a_id": world["code"]["X"], "code_a": "Cat/X",
                                         "code_b_id": world["code"]["Y"], "code_b": "Y", "n_a": 2, "n_b": 3,
                                         "n_ab": 2, "c_coefficient": pytest.approx(2 / 3)}]
    # coder r: only k1-k2 overlap; n_X = 2, n_Y = 1 (k2).
    assert by_r[["n_a", "n_b", "n_ab"]].values.tolist() == [[2, 1, 1]]
    assert by_r["c_coefficient"].iloc[0] == pytest.approx(1 / (2 + 1 - 1))


def test_cooccurrence_within_paragraphs(world):
    with store.session_scope(world["engine"]) as s:
        counts = coding.cooccurrence_matrix(s, unit="paragraph")
        c = coding.cooccurrence_matrix(s, unit="paragraph", measure="c_coefficient")
    assert _values(counts) == {"Cat/X": [2, 0, 2, 1], "Cat/X/X1": [0, 1, 0, 1], "Y": [2, 0, 2, 1],
                               "Z": [1, 1, 1, 2]}
    expected = {("Cat/X", "Y"): 2 / (2 + 2 - 2), ("Cat/X", "Z"): 1 / (2 + 2 - 1), ("Y", "Z"): 1 / 3,
                ("Cat/X/X1", "Z"): 1 / (1 + 2 - 1), ("Cat/X", "Cat/X/X1"): 0.0, ("Cat/X/X1", "Y"): 0.0}
    for (a, b), value in expected.items():
        assert c.loc[a, b] == pytest.approx(value) and c.loc[b, a] == pytest.approx(value)


def test_cell_click_through(world):
    k = world["k"]
    with store.session_scope(world["engine"]) as s:
        frame = coding.code_city_matrix(s, include_subcodes=True)
        assert coding.matrix_cell_codings(s, "document", "Y", "D1") == [k["k2"], k["k3"]]
        assert coding.matrix_cell_codings(s, "document", world["code"]["Y"], world["docs"][1]) == [k["k6"]]
        assert coding.matrix_cell_codings(s, "city", "Y", B) == [k["k2"], k["k3"]]
        assert coding.matrix_cell_codings(s, "city", "Y", B, via_dyads=False) == []
        assert coding.matrix_cell_codings(s, "city", "Cat", A, **frame.attrs["options"]) == [k["k1"], k["k7"]]
        assert frame.loc["Cat", A] == 2
        assert coding.matrix_cell_codings(s, "dyad", "Y", f"{B}-{C}") == [k["k3"]]
        assert coding.matrix_cell_codings(s, "dyad", "Y", (C, B)) == [k["k3"]]
        assert coding.matrix_cell_codings(s, "cooccurrence", "Cat/X", "Y") == [k["k1"], k["k2"], k["k3"]]
        assert coding.matrix_cell_codings(s, "cooccurrence", "Cat/X", "Y", unit="paragraph") == [
            k["k1"], k["k2"], k["k3"], k["k6"], k["k7"]]
        for kind, row, col, message in (("people", "Y", "D1", "unknown"), ("document", "Y", "D9", "No document"),
                                        ("city", "Y", "999999", "not in the project"),
                                        ("dyad", "Y", f"{A}-{A}", "two different"), ("document", "Nope", "D1",
                                                                                     "No code")):
            with pytest.raises(CodingError, match=message):
                coding.matrix_cell_codings(s, kind, row, col)


def test_export_csv_and_xlsx_read_back(world, tmp_path):
    with store.session_scope(world["engine"]) as s:
        frame = coding.code_city_matrix(s)
        c = coding.cooccurrence_matrix(s, measure="c_coefficient")
    coding.export_matrix(frame, tmp_path / "m.csv")
    back = pd.read_csv(tmp_path / "m.csv", index_col=0, dtype={"code": str}, encoding="utf-8-sig")
    assert list(back.index) == ROWS and list(back.columns) == [A, B, C]
    assert back.to_numpy().tolist() == frame.to_numpy().tolist()
    buffer = io.BytesIO()
    coding.export_matrix(c, buffer, fmt="xlsx")
    sheet = pd.read_excel(io.BytesIO(buffer.getvalue()), index_col=0, sheet_name="cooccurrence")
    assert list(sheet.index) == ROWS
    assert sheet.loc["Cat/X", "Y"] == pytest.approx(2 / 3) and math.isnan(sheet.loc["Z", "Z"])
    text = io.StringIO()
    coding.export_matrix(frame, text)
    assert text.getvalue().splitlines()[0] == f'\ufeff"code","{A}","{B}","{C}"'  # BOM, text quoted
    with pytest.raises(CodingError, match="format"):
        coding.export_matrix(frame, tmp_path / "m.ods", fmt="ods")
    with pytest.raises(CodingError, match="binary"):
        coding.export_matrix(frame, io.StringIO(), fmt="xlsx")


def test_bad_options(world):
    with store.session_scope(world["engine"]) as s:
        with pytest.raises(CodingError, match="Measure"):
            coding.code_document_matrix(s, measure="share")
        with pytest.raises(CodingError, match="unit"):
            coding.cooccurrence_matrix(s, unit="sentence")
        with pytest.raises(CodingError, match="does not exist"):
            coding.code_city_matrix(s, code_ids=[999])
        with pytest.raises(CodingError, match="Coder filter"):
            coding.code_dyad_matrix(s, coder=[1])
