"""REFI-QDA export without the Project schema: made after a structural self-check that says so,
and every broken variant of a real export refused by that check in one sentence. The file made
without the schema is then validated against the real XSD (xmlschema) when it is at hand."""
from __future__ import annotations

import io
import re
import zipfile

import pytest

import cli
import store
from coding import CodingError
from coding.exchange import qdpx_write
from coding.exchange.qdpx_export import export_qdpx, structural_check
from tests.test_exchange_qdpx_export import TEXT, _seed


def test_export_without_schema_checked_structurally_and_says_so(engine, tmp_path, monkeypatch, shared):
    xsd = shared("refi", "Project-mrt2019.xsd")
    with store.session_scope(engine) as s:
        _seed(s)
    monkeypatch.setenv("TANDEM_PROJECT_XSD", str(tmp_path / "missing.xsd"))
    with store.session_scope(engine) as s:
        report = export_qdpx(s, tmp_path / "x.qdpx")
    assert report["checked"] == "structure" and report["schema"] is None
    assert "schema was not found (missing.xsd" in report["note"] and "checked structurally only" in report["note"]
    with zipfile.ZipFile(tmp_path / "x.qdpx") as zf:
        qde = zf.read("project.qde")
        texts = [zf.read(n).decode() for n in zf.namelist() if n.startswith("sources/")]
    assert TEXT in texts and report["codings"] == 4
    import xmlschema

    assert xmlschema.XMLSchema(str(xsd)).is_valid(io.BytesIO(qde))  # the independent check agrees
    monkeypatch.delenv("TANDEM_PROJECT_XSD")
    with store.session_scope(engine) as s:
        assert export_qdpx(s, tmp_path / "y.qdpx")["checked"] == "schema"


def _good(engine):
    with store.session_scope(engine) as s:
        _seed(s)
        data, files, _ = qdpx_write.project_qde(s)
    return data, files


def test_structural_check_counts_and_refuses_each_broken_variant(engine):
    data, files = _good(engine)
    checked = structural_check(data, files)
    assert checked["codings"] == 4 and checked["selections"] == 3
    guids = re.findall(rb'guid="([0-9a-f-]{36})"', data)
    assert checked["guids"] == len(guids) == len(set(guids))
    code_guids = re.findall(rb'<Code guid="([0-9a-f-]{36})"', data)
    user_guid = re.search(rb'<User guid="([0-9a-f-]{36})"', data).group(1)
    sel = re.search(rb'startPosition="(\d+)" endPosition="(\d+)"', data)
    cases = {
        "duplicate": (data.replace(code_guids[1], code_guids[0]), files, "uses the GUID"),
        "upper case": (data.replace(code_guids[0], code_guids[0].upper()), files, "not canonical"),
        "braces": (data.replace(b'"' + code_guids[0] + b'"', b'"{' + code_guids[0] + b'}"', 1), files,
                   "not canonical"),
        "dangling": (re.sub(rb'<CodeRef targetGUID="[0-9a-f-]{36}"',
                            b'<CodeRef targetGUID="ffffffff-ffff-4fff-8fff-ffffffffffff"', data, count=1), files,
                     "is not in the file"),
        "code ref to a user": (re.sub(rb'<CodeRef targetGUID="[0-9a-f-]{36}"', b'<CodeRef targetGUID="' + user_guid
                                      + b'"', data, count=1), files, "does not refer to a code"),
        "past the end": (data.replace(sel.group(0), b'startPosition="0" endPosition="100000"', 1), files,
                         "outside its text"),
        "empty span": (data.replace(sel.group(0), b'startPosition="5" endPosition="5"', 1), files,
                       "outside its text"),
        "no text": (data, {}, "is not in the package"),
        "malformed": (data[:-20], files, "not well-formed"),
    }
    for what, (bad, bad_files, words) in cases.items():
        with pytest.raises(CodingError) as err:
            structural_check(bad, bad_files)
        assert words in str(err.value), what
        assert "\n" not in str(err.value) and str(err.value).endswith("nothing was written.") or what == "malformed"


def test_cli_export_without_schema(tmp_path, monkeypatch, capsys):
    project = str(tmp_path / "p.sqlite")
    assert cli.main(["new", "--project", project]) == 0
    monkeypatch.setenv("TANDEM_PROJECT_XSD", str(tmp_path / "missing.xsd"))
    capsys.readouterr()
    assert cli.main(["qdpx-export", "--project", project, "--out", str(tmp_path / "p.qdpx")]) == 0
    out = capsys.readouterr().out
    assert "checked structurally only (the schema was not found)" in out and "missing.xsd" in out
    assert zipfile.is_zipfile(tmp_path / "p.qdpx")
