"""`cli.py attributes-import`, `attributes`, `codebook-import` and `codebook-export` through cli.main,
on SQLite and PostgreSQL (project_url)."""
from __future__ import annotations

import csv
import json

from openpyxl import load_workbook

import cli


def test_attributes_import_and_edit(project_url, shared, tmp_path, capsys):
    cases = shared("transcripts", "qualcoder", "cases123.csv")
    with open(cases, newline="", encoding="utf-8") as fh:
        ages = {r["case"]: int(r["Age"]) for r in csv.DictReader(fh)}
    assert cli.main(["new", "--project", project_url]) == 0
    for name in ("ID1", "ID2"):
        (tmp_path / f"{name}.txt").write_text(f"Interview {name}: we talked about studies.", encoding="utf-8")
    assert cli.main(["import", "--project", project_url, "--language", "en",
                     str(tmp_path / "ID1.txt"), str(tmp_path / "ID2.txt")]) == 0
    capsys.readouterr()
    assert cli.main(["attributes-import", "--project", project_url, "--per", "document", str(cases), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["id_column"] == "case" and report["matched"] == 2
    assert report["matched_names"] == ["ID1", "ID2"]
    assert [(u["row"], u["value"]) for u in report["unmatched"]] == [(4, "ID3")]
    assert cli.main(["attributes", "--project", project_url, "--set", "ID1", "Age", "21"]) == 0
    assert capsys.readouterr().out.strip() == "ID1: Age = 21 (was 20)."
    assert cli.main(["attributes", "--project", project_url, "--json"]) == 0
    docs = {d["name"]: d["attributes"] for d in json.loads(capsys.readouterr().out)["documents"]}
    assert docs["ID1"]["Age"] == 21 and docs["ID2"]["Age"] == ages["ID2"]  # numbers stay numbers
    assert cli.main(["attributes", "--project", project_url, "--delete", "ID2", "gender"]) == 0
    capsys.readouterr()
    assert cli.main(["attributes", "--project", project_url, "--set", "ID9.txt", "Age", "1"]) == 1
    err = capsys.readouterr().err
    assert "No document is named 'ID9.txt'" in err and err.count("\n") == 1
    text_report = tmp_path / "t.csv"
    text_report.write_text("case,Age\nID1,30\nnobody,1\n", encoding="utf-8")
    assert cli.main(["attributes-import", "--project", project_url, "--per", "document", str(text_report)]) == 0
    out = capsys.readouterr().out
    assert "1 row(s) matched, 1 not matched" in out and "overwritten: ID1 Age: 21 -> 30" in out
    assert "not matched: row 3 'nobody' matches no document name or file name" in out


def test_codebook_import_options_and_export(project_url, shared, tmp_path, capsys):
    plain = shared("transcripts", "qualcoder", "plain_codes_categories_for_import.txt")
    assert cli.main(["new", "--project", project_url]) == 0
    capsys.readouterr()
    assert cli.main(["codebook-import", "--project", project_url, str(plain), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["separator"] == ">>" and report["separator_detected"] and report["header"] is False
    assert len(report["created"]) == 9
    maxqda = tmp_path / "maxqda.csv"
    maxqda.write_text("Code,Pfad\n区域 > 广佛,区域>>广佛\n", encoding="utf-8")
    assert cli.main(["codebook-import", "--project", project_url, str(maxqda)]) == 1
    assert "several columns" in capsys.readouterr().err
    assert cli.main(["codebook-import", "--project", project_url, str(maxqda), "--path-column", "Code"]) == 0
    assert "levels split on ' > ' (detected)" in capsys.readouterr().out
    out = tmp_path / "cb.xlsx"
    assert cli.main(["codebook-export", "--project", project_url, "--out", str(out)]) == 0
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("path", "name") and ("区域/广佛", "广佛") in {r[:2] for r in rows}
    assert cli.main(["codebook-export", "--project", project_url, "--out", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
