"""Text PostgreSQL refuses (NUL, unpaired surrogates) gets the same treatment on both backends.

- Documents: ``corpus.normalise`` replaces each such character by U+FFFD at import, one
  code point for one, so the stored text and every offset are the same on SQLite and
  PostgreSQL; a .txt file holding NUL is refused as binary data.
- Everything else (code names, memos, coder names, attributes, any column): one sentence
  (``store.TextError`` or the coding layer's ``CodingError``), nothing written.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

import coding
import corpus
import store

ROOT = Path(__file__).resolve().parent.parent
RAW = "第一段：苏州\x00与上海。\r\n第二段：信任\ud800是基础。"


def test_import_replaces_nul_and_lone_surrogates_one_for_one(engine):
    with store.session_scope(engine) as s:
        result = corpus.import_text(s, RAW, name="访谈", kind="interview")
    expected = RAW.replace("\r\n", "\n").replace("\x00", "\ufffd").replace("\ud800", "\ufffd")
    with store.session_scope(engine) as s:
        doc = s.get(store.Document, result.document_id)
        assert doc.text == expected and doc.n_chars == len(expected) == len(RAW) - 1  # only the \r went
        at = expected.index("信任")
        (cid,) = coding.add_coding(s, doc.id, at, at + 5, coding.add_code(s, "Trust"))
        assert s.get(store.Coding, cid).quote == "信任\ufffd是基"


def test_txt_file_with_nul_is_refused_on_both_backends(engine, tmp_path):
    path = tmp_path / "binary.txt"
    path.write_bytes("苏州与上海\x00签署协议".encode("utf-8"))
    with store.session_scope(engine) as s:
        with pytest.raises(corpus.CorpusError, match="binary.txt: contains NUL characters"):
            corpus.import_document(s, path)
    with store.session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(store.Document)) == 0


@pytest.mark.parametrize("bad", ["\x00", "\udc80"])
def test_memo_text_with_unstorable_character_is_one_sentence(engine, bad):
    name = "a NUL character (U+0000)" if bad == "\x00" else "an unpaired surrogate (U+DC80)"
    with pytest.raises(store.TextError) as err:
        with store.session_scope(engine) as s:
            coding.add_memo(s, "project", None, f"会议纪要{bad}第二条", author="A")
    assert str(err.value) == (f"The text for memos.text ('会议纪要\\u{ord(bad):04x}第二条') holds {name} at code point 4, "
                              "which a project cannot store; remove it.")
    with store.session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(store.Memo)) == 0
        assert s.scalar(select(func.count()).select_from(store.Event)) == 0


def test_names_and_json_with_nul_are_refused(engine):
    with store.session_scope(engine) as s:
        with pytest.raises(ValueError, match="NUL"):  # the codebook refuses control characters in names
            coding.add_code(s, "Tr\x00ust")
    with pytest.raises(store.TextError, match=r"^The text for cities\.name \('苏州\\u0000市'\) holds a NUL"):
        with store.session_scope(engine) as s:
            s.add(store.City(code="320500", name="苏州\x00市"))
    with pytest.raises(store.TextError, match=r"^The text for a JSON value \('role\\u0000'\) holds a NUL"):
        with store.session_scope(engine) as s:
            corpus.import_text(s, "正文。", name="访谈", attributes={"role\x00": "干部"})
    with store.session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(store.City)) == 0
        assert s.scalar(select(func.count()).select_from(store.Document)) == 0
        assert s.scalar(select(func.count()).select_from(store.Code)) == 0


def test_search_for_nul_is_refused_alike(engine):
    """A query parameter is checked too: PostgreSQL would raise a driver error for it."""
    with store.session_scope(engine) as s:
        with pytest.raises(store.TextError, match="holds a NUL character"):
            s.scalar(select(store.Document.id).where(store.Document.name == "a\x00b"))


def test_cli_import_of_a_nul_file_says_one_sentence(project_url, tmp_path):
    bad = tmp_path / "binary.txt"
    bad.write_bytes(b"abc\x00def")

    def run(*args):
        return subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=300)

    assert run("new", "--project", project_url).returncode == 0
    proc = run("import", "--project", project_url, str(bad))
    assert proc.returncode == 1
    assert "binary.txt: contains NUL characters when read as utf-8; it looks like binary data" in proc.stderr
    assert "Traceback" not in proc.stderr and "psycopg" not in proc.stderr
    engine = store.connect(project_url, create=False)
    try:
        with store.session_scope(engine) as s:
            assert s.scalar(select(func.count()).select_from(store.Document)) == 0
    finally:
        engine.dispose()
