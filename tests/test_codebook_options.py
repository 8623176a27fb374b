"""Codebook CSV import options (path column, separator, comments, other tools' separators left in
names) and the codebook as XLSX (issue 10, parts 4 and 6)."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

import coding
import store
from coding.exchange.codebook_csv import preview_codebook_csv, read_codebook_csv
from coding.exchange.codebook_xlsx import export_codebook_xlsx, import_codebook_xlsx, preview_codebook_xlsx
from coding.errors import CodingError


def _paths(nodes, prefix=""):
    out = []
    for n in nodes:
        path = f"{prefix}/{n.name}" if prefix else n.name
        out.append((path, n.codable, n.definition))
        out += _paths(n.children, path)
    return out


def test_qualcoder_plain_list_has_no_header_and_double_angle_separator(shared):
    path = shared("transcripts", "qualcoder", "plain_codes_categories_for_import.txt")
    # read independently: QualCoder's format is "cat>>code<TAB>memo", one code per line
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    expected_leaves = {ln.split("\t")[0].replace(">>", "/"): (ln.split("\t") + [""])[1] for ln in lines}
    preview = preview_codebook_csv(path)
    assert preview["separator"] == ">>" and preview["separator_detected"] and not preview["header"]
    assert "'>>' (detected)" in preview["summary"]
    got = {p: (c, d) for p, c, d in _paths(read_codebook_csv(path))}
    assert {p: d for p, (c, d) in got.items() if c} == expected_leaves  # memos land in the definition
    assert {p for p, (c, _) in got.items() if not c} == {"cat1", "cat3", "cat3/cat2"}  # parents: categories
    assert got["code1"][1] == "A memo for code 1"


MAXQDA = ("# exported from MAXQDA 2022\n"
          "Code,Memo\n"
          "Needs > Social needs,社会需求\n"
          "Needs > Economic / fiscal,经济\n"
          "# a comment between rows\n"
          "\"Supply > Hole, formal\",漏洞\n")


def test_maxqda_style_separator_detected_comments_skipped_and_slash_left_in_a_name_warned():
    preview = preview_codebook_csv(MAXQDA.encode())
    assert preview["path_column"] == "Code" and preview["separator"] == " > " and preview["comments"] == 2
    assert preview["tree"]["path"].tolist() == ["Needs", "Needs/Social needs", "Needs/Economic / fiscal",
                                                "Supply", "Supply/Hole, formal"]
    assert preview["tree"]["depth"].tolist() == [0, 1, 1, 0, 1]
    [warning] = preview["warnings"]
    assert "'/'" in warning and "'Economic / fiscal'" in warning and warning.count(".") == 1
    # the same file split on "/" instead: MAXQDA's " > " stays inside names and is warned about
    forced = preview_codebook_csv(MAXQDA.encode(), separator="/")
    assert forced["separator"] == "/" and not forced["separator_detected"]
    assert any("' > ' (MAXQDA's separator)" in w and "'Needs > Social needs'" in w for w in forced["warnings"])


def test_nvivo_backslash_and_gb18030_codebook():
    text = "路径,定义\n需求\\社会需求,群众的需要\n需求\\经济需求,财政\n供给\\漏洞,审查缺位\n"
    preview = preview_codebook_csv(text.encode("gb18030"))
    assert preview["path_column"] == "路径" and preview["separator"] == "\\"
    assert preview["tree"]["path"].tolist() == ["需求", "需求/社会需求", "需求/经济需求", "供给", "供给/漏洞"]
    nodes = read_codebook_csv(text.encode("gb18030"))
    assert _paths(nodes)[1] == ("需求/社会需求", True, "群众的需要")


def test_several_path_columns_must_be_chosen_never_guessed():
    text = "code_path,Pfad,Definition\nA/B,A>>B,x\n"
    with pytest.raises(CodingError, match=r"several columns .*\(code_path, Pfad\); choose one"):
        read_codebook_csv(text.encode())
    chosen = preview_codebook_csv(text.encode(), path_column="Pfad")
    assert chosen["path_column"] == "Pfad" and chosen["separator"] == ">>"
    assert chosen["tree"]["path"].tolist() == ["A", "A/B"]
    with pytest.raises(CodingError, match="has no column 'Kode'"):
        read_codebook_csv(text.encode(), path_column="Kode")
    with pytest.raises(CodingError, match="not offered"):
        read_codebook_csv(text.encode(), path_column="Pfad", separator="::")


def test_atlas_ti_double_colon_is_kept_in_the_name_and_warned():
    preview = preview_codebook_csv("path\nPolicy::Hole\nPolicy::Mark\n".encode())
    assert preview["separator"] == "/" and preview["tree"]["name"].tolist() == ["Policy::Hole", "Policy::Mark"]
    assert len(preview["warnings"]) == 1 and "ATLAS.ti" in preview["warnings"][0]


def test_import_with_options_reports_them_and_writes_the_tree(engine):
    with store.session_scope(engine) as s:
        report = coding.import_codebook_csv(s, MAXQDA.encode())
        assert report["separator"] == " > " and report["path_column"] == "Code" and report["comments"] == 2
        assert len(report["created"]) == 5
        book = coding.codebook(s).set_index("path")
        # "/" inside a name is stored as the full-width "／" (coding.exchange.codebook_merge)
        assert book.loc["Needs/Economic ／ fiscal", "definition"] == "经济"
        assert not book.loc["Needs", "codable"] and book.loc["Supply/Hole, formal", "codable"]
        assert any("'/'" in w for w in report["warnings"])


def test_codebook_xlsx_has_the_csv_columns_chinese_names_and_no_formula(engine, tmp_path):
    with store.session_scope(engine) as s:
        coding.add_code(s, "需求", codable=False)
        parent = coding.code_id_by_name(s, "需求")
        coding.add_code(s, "=HYPERLINK(\"x\")", parent_id=parent, definition="-1+2 干部")
        coding.add_code(s, "社会需求", parent_id=parent, definition="群众")
        n = export_codebook_xlsx(s, tmp_path / "cb.xlsx")
        buf = io.BytesIO()
        coding.export_codebook_csv(s, buf)
    assert n == 3
    ws = load_workbook(tmp_path / "cb.xlsx").active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == coding.exchange.codebook_csv.CSV_COLUMNS
    assert [r[0] for r in rows[1:]] == ["需求", '需求/=HYPERLINK("x")', "需求/社会需求"]
    assert [r[1] for r in rows[1:]] == ["需求", '\'=HYPERLINK("x")', "社会需求"]  # quoted: never a formula
    assert all(c.data_type != "f" for r in ws.iter_rows() for c in r)
    assert rows[2][2] == "'-1+2 干部"  # a formula-looking text is quoted, as in the CSV
    # the XLSX comes back into an empty project as the same tree
    other = store.connect(tmp_path / "other.sqlite")
    with store.session_scope(other) as s:
        before = s.scalar(select(func.count(store.Code.id)))
        report = import_codebook_xlsx(s, (tmp_path / "cb.xlsx").read_bytes(), "cb.xlsx")
        assert len(report["created"]) == 3 and s.scalar(select(func.count(store.Code.id))) == before + 3
        again = io.BytesIO()
        coding.export_codebook_csv(s, again)
    other.dispose()
    assert again.getvalue() == buf.getvalue()  # same rows, same GUIDs, same texts


def test_codebook_xlsx_preview_takes_the_same_options(tmp_path):
    from coding.spreadsheet import to_xlsx_bytes
    import pandas as pd

    data = to_xlsx_bytes(pd.DataFrame({"Code": ["区域 > 广佛", "区域 > 深莞"], "Memo": ["a", "b"]}))
    preview = preview_codebook_xlsx(data, "maxqda.xlsx")
    assert preview["separator"] == " > " and preview["tree"]["path"].tolist() == ["区域", "区域/广佛", "区域/深莞"]
