"""mixed.worklist and mixed.worklist_export: add, memo, reorder, remove, undo/redo on both backends;
exports read back (python-docx, csv, openpyxl)."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

import coding
import store
from case_views_project import build
from mixed import worklist as wl
from mixed import worklist_export as we
from mixed.case_views import case_view
from mixed.errors import MixedError

MEMO = "问局长：协议签了为什么没有落实？ =1+1"


@pytest.fixture
def project(engine):
    return engine, build(engine)


def _rows(s):
    return [(r.id, r.level, r.unit_key, r.memo, r.position)
            for r in s.scalars(select(store.WorklistCase).order_by(store.WorklistCase.position))]


def test_add_memo_reorder_remove_with_undo_and_redo(project):
    engine, built = project
    with store.session_scope(engine) as s:
        view = case_view(s, "conn", "typical", threshold=1e6, n=None)
        pick = view[view["unit_key"].isin(["100|101", "103|104"])]
        done = wl.add_cases(s, pick, by="researcher")
        assert [d["added"] for d in done] == [True, True]
        again = wl.add_case(s, pick.iloc[0].to_dict(), run="conn")
        assert again["added"] is False
        assert again["message"] == f"{pick.iloc[0]['case']} is already on the worklist."
        city = wl.add_case(s, {"city": "105", "case_type": "typical", "observed": 3, "predicted": 2.5,
                               "residual": 0.3}, run="breadth", rule="typical")
        assert city["case"] == "城05市"
    with store.session_scope(engine) as s:
        first = wl.find_case(s, ("dyad", "100|101")).id
        wl.update_memo(s, ("dyad", "100|101"), MEMO)
        before = _rows(s)
        assert [r[2] for r in before][2] == "105"  # added last
        wl.reorder(s, [r[0] for r in before][::-1])
    with store.session_scope(engine) as s:
        rows = _rows(s)
        assert [r[2] for r in rows] == [r[2] for r in before][::-1]
        assert [r[4] for r in rows] == [1, 2, 3]
        names = {"105": "城05市", "103|104": "城03市–城04市", "100|101": "城00市–城01市"}
        table = wl.worklist_cases(s)
        assert list(table["case"]) == [names[r[2]] for r in rows]
        assert list(table["run"]) == ["breadth", "conn", "conn"]
        assert table.set_index("unit_key").loc["100|101", "memo"] == MEMO
        assert table.set_index("unit_key").loc["100|101", "n_passages"] == 2
        wl.remove_case(s, first)
        assert wl.find_case(s, first) is None
    with store.session_scope(engine) as s:  # undo the removal: the row and its memo come back, same id
        coding.undo(s, "researcher")
        row = wl.find_case(s, first)
        assert row is not None and row.memo == MEMO
        coding.undo(s, "researcher")  # the reorder
        assert [r[2] for r in _rows(s)] == [r[2] for r in before]
        coding.undo(s, "researcher")  # the memo
        assert wl.find_case(s, first).memo == ""
        coding.redo(s, "researcher")
        assert wl.find_case(s, first).memo == MEMO
    with store.session_scope(engine) as s:
        coding.undo(s, "researcher")  # memo again
        coding.undo(s, "researcher")  # the city add
        coding.undo(s, "researcher")  # the two dyads
        assert _rows(s) == []
        hist = coding.history(s)
        assert any(t.startswith("added 城0") and t.endswith(" to the worklist") and "、" in t
                   for t in hist["summary"])


def test_bad_inputs_are_one_sentence(project):
    engine, _ = project
    with store.session_scope(engine) as s:
        with pytest.raises(MixedError, match="not on the worklist"):
            wl.update_memo(s, ("city", "100"), "x")
        wl.add_case(s, {"city": "100"})
        with pytest.raises(MixedError, match="at most 20,000"):
            wl.update_memo(s, ("city", "100"), "x" * 20_001)
        with pytest.raises(MixedError, match="exactly once"):
            wl.reorder(s, [])
        with pytest.raises(MixedError, match="No saved run"):
            wl.add_case(s, {"city": "101"}, run="nope")


def test_resolve_unit_names_codes_and_pairs(project):
    engine, _ = project
    with store.session_scope(engine) as s:
        assert wl.resolve_unit(s, "城05市") == ("city", "105")
        assert wl.resolve_unit(s, "105") == ("city", "105")
        assert wl.resolve_unit(s, "城01市–城00市") == ("dyad", "100|101")
        assert wl.resolve_unit(s, "101|100") == ("dyad", "100|101")
        with pytest.raises(MixedError, match="matches no city"):
            wl.resolve_unit(s, "火星市")


def test_docx_export_has_quote_memo_and_chinese(project):
    from docx import Document
    from docx.oxml.ns import qn

    engine, _ = project
    with store.session_scope(engine) as s:
        view = case_view(s, "conn", "typical", threshold=1e6, n=None)
        wl.add_cases(s, view[view["unit_key"] == "100|101"])
        wl.update_memo(s, ("dyad", "100|101"), MEMO)
        data = we.to_docx_bytes(s)
    doc = Document(io.BytesIO(data))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "城00市–城01市" in body
    assert MEMO in body
    assert "答：我们和邻市签了协议，两地人口流动很大。" in body
    assert "访谈：测试（示例）, ¶ 2" in body
    runs = [r for p in doc.paragraphs for r in p.runs if "城00市" in r.text or MEMO in r.text]
    assert runs and all(r._element.rPr.rFonts.get(qn("w:eastAsia")) == "SimSun" for r in runs)


def test_csv_and_xlsx_exports_are_formula_safe(project):
    from openpyxl import load_workbook

    engine, _ = project
    with store.session_scope(engine) as s:
        wl.add_case(s, {"city": "105", "case_type": "typical"})
        wl.update_memo(s, ("city", "105"), "=HYPERLINK(\"http://evil\")")
        raw = we.to_csv_bytes(s)
        xlsx = we.to_xlsx_bytes(s)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0]["Case"] == "城05市"
    assert rows[0]["Memo"] == "'=HYPERLINK(\"http://evil\")"
    assert rows[0]["Top quotes"].startswith("“=HYPERLINK") or rows[0]["Top quotes"].startswith("'")
    ws = load_workbook(io.BytesIO(xlsx)).active
    header = [c.value for c in ws[1]]
    memo = ws.cell(row=2, column=header.index("Memo") + 1)
    assert memo.data_type == "s" and memo.value.endswith("=HYPERLINK(\"http://evil\")")


def test_export_refuses_unknown_format(project):
    engine, _ = project
    with store.session_scope(engine) as s:
        with pytest.raises(MixedError, match="csv, xlsx, docx"):
            we.export_bytes(s, "pdf")


def test_a_deleted_or_purged_run_is_named_so_everywhere(project):
    """Delete the run that chose a case: the table, CLI, CSV, DOCX and report say so; restore: normal."""
    from argparse import Namespace

    from docx import Document
    from sqlalchemy import update

    from commands.cases import cmd_worklist
    from quant.runs import saved as runs
    from report.run_sections import worklist_section

    engine, _ = project
    deleted = "conn (deleted; restore it on the Runs page)"

    def shown():
        with store.session_scope(engine) as s:
            table = wl.worklist_cases(s)
            csv_rows = list(csv.DictReader(io.StringIO(we.export_bytes(s, ".csv").decode("utf-8-sig"))))
            docx = "\n".join(p.text for p in Document(io.BytesIO(we.to_docx_bytes(s))).paragraphs)
            report = worklist_section(s)
        args = Namespace(project=engine.url.render_as_string(hide_password=False), add_run=None, add=None,
                         threshold=2.0, memo=None, remove=None, export=None, force=False, coder="researcher",
                         json=False)
        return table, csv_rows, docx, report, cmd_worklist(args)

    with store.session_scope(engine) as s:
        view = case_view(s, "conn", "typical", threshold=1e6, n=None)
        wl.add_cases(s, view[view["unit_key"] == "100|101"])
    table, csv_rows, docx, report, cli = shown()
    assert list(table["run_label"]) == ["conn"] and not table["run_deleted"].any()
    assert csv_rows[0]["Run"] == "conn" and "Run: conn" in docx and report["rows"][0]["run"] == "conn"
    assert "(run “conn”)" in cli and "deleted" not in cli

    with store.session_scope(engine) as s:
        runs.delete_run(s, "conn")
    table, csv_rows, docx, report, cli = shown()
    assert list(table["run"]) == ["conn"] and table["run_deleted"].tolist() == [True]
    assert list(table["run_label"]) == [deleted]
    assert csv_rows[0]["Run"] == deleted and f"Run: {deleted}" in docx
    assert report["rows"][0]["run"] == deleted and deleted in report["markdown"]
    assert "(run “conn” (deleted; restore it on the Runs page))" in cli

    with store.session_scope(engine) as s:
        runs.restore_run(s, "conn")
    table, csv_rows, docx, report, cli = shown()
    assert list(table["run_label"]) == ["conn"] and "(run “conn”)" in cli and "deleted" not in docx

    with store.session_scope(engine) as s:  # the run row is gone for good (purged): the FK is NULL
        s.execute(update(store.WorklistCase).values(run_id=None))
    table, csv_rows, docx, report, cli = shown()
    assert list(table["run_label"]) == ["run no longer saved"] and csv_rows[0]["Run"] == "run no longer saved"
    assert "Run: run no longer saved" in docx and report["rows"][0]["run"] == "run no longer saved"
    assert "(run no longer saved)" in cli
