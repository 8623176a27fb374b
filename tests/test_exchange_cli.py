"""`cli.py qdpx-import` / `qdpx-export` through cli.main, on SQLite and PostgreSQL (project_url)."""
from __future__ import annotations

import io
import json
import zipfile

import cli


def test_cli_import_export(project_url, shared, tmp_path, capsys):
    qdpx = shared("refi", "qdpx_toolkit_hand_authored.qdpx")
    assert cli.main(["new", "--project", project_url]) == 0
    capsys.readouterr()
    assert cli.main(["qdpx-import", "--project", project_url, str(qdpx), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"file", "convention", "sources", "codes", "codings", "memos", "cases", "variables",
                           "users", "sets", "skipped", "items", "warnings"}
    assert report["codings"]["placed"] == 2 and report["codings"]["not_placed"] == 0
    assert report["skipped"]["video sources"] == 1
    out = tmp_path / "out.qdpx"
    assert cli.main(["qdpx-export", "--project", project_url, "--out", str(out)]) == 0
    assert "valid against Project-mrt2019.xsd" in capsys.readouterr().out
    with zipfile.ZipFile(out) as zf:
        assert "sources/40000000-0000-0000-0000-000000000001.txt" in zf.namelist()
    before = out.read_bytes()
    assert cli.main(["qdpx-export", "--project", project_url, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "already exists" in err and err.count("\n") == 1
    assert out.read_bytes() == before
    assert cli.main(["qdpx-export", "--project", project_url, "--out", str(out), "--force"]) == 0
    capsys.readouterr()
    # text report, and the same file again merges its sources instead of doubling them
    assert cli.main(["qdpx-import", "--project", project_url, str(qdpx)]) == 0
    text = capsys.readouterr().out
    assert "0 source(s) imported, 2 merged" in text and "Not brought in:" in text
    assert "0 placed exactly, 0 moved to their text, 0 not placed, 3 already in the project" in text
    assert "Memos: 0 (and 1 already present)" in text


def test_cli_hostile_import_one_sentence(project_url, tmp_path, capsys):
    assert cli.main(["new", "--project", project_url]) == 0
    bad = tmp_path / "bad.qdpx"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("project.qde", "<Project xmlns='urn:QDA-XML:project:1.0' name='x'/>")
        zf.writestr("/etc/passwd", "x")
    bad.write_bytes(buf.getvalue())
    capsys.readouterr()
    assert cli.main(["qdpx-import", "--project", project_url, str(bad)]) == 1
    err = capsys.readouterr().err.strip()
    assert "unsafe member name" in err and "\n" not in err


def test_parser_conventions_agree_with_the_library():
    import commands.exchange as cmd
    from coding.exchange.qdpx_place import CONVENTIONS

    assert cmd.CONVENTIONS == CONVENTIONS
