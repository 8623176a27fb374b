"""Dispatch by extension, size limits, empty files and provenance of the original bytes."""
from __future__ import annotations

import hashlib

import pytest

from corpus.errors import CorpusError
from corpus.readers import DEFAULT_MAX_BYTES, max_import_bytes, read_bytes, read_file


def test_readers_real_files_by_extension(shared):
    policy = shared("policy_docs", "01_国务院关于在线政务服务的若干规定_国务院令716_2019.txt")
    result = read_file(policy)
    assert result.fmt == "txt" and result.encoding == "utf-8"
    assert result.filename == policy.name
    assert result.source_sha256 == hashlib.sha256(policy.read_bytes()).hexdigest()
    assert result.text == policy.read_text(encoding="utf-8")  # already LF, NFC, no BOM
    docx_result = read_file(shared("transcripts", "qualcoder", "ID1.docx"))
    assert docx_result.fmt == "docx" and docx_result.encoding is None


def test_readers_markdown_is_kept_as_written():
    result = read_bytes("# 标题\r\n\r\n*正文*".encode("utf-8"), "notes.MD")
    assert (result.fmt, result.text) == ("md", "# 标题\n\n*正文*")


def test_readers_bytes_from_an_upload_with_folder_in_name():
    result = read_bytes(b"<p>Hi</p>", "uploads/page.htm")
    assert (result.filename, result.fmt, result.text) == ("page.htm", "html", "Hi")


def test_readers_refuse_unknown_extension_with_advice():
    with pytest.raises(CorpusError, match=r"^a\.doc: legacy Word \.doc files are not read; save it as \.docx"):
        read_bytes(b"x", "a.doc")
    with pytest.raises(CorpusError, match=r"^data\.xlsx: has extension \.xlsx; Tandem reads "):
        read_bytes(b"x", "data.xlsx")


def test_readers_refuse_empty_and_textless_files(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(CorpusError, match=r"^empty\.txt: is empty\.$"):
        read_file(empty)
    with pytest.raises(CorpusError, match=r"^blank\.txt: contains no text\.$"):
        read_bytes(b" \r\n\t\n", "blank.txt")
    with pytest.raises(CorpusError, match=r"^missing\.txt: does not exist"):
        read_file(tmp_path / "missing.txt")


def test_readers_size_limit_argument_and_environment(tmp_path, monkeypatch):
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 2000)
    with pytest.raises(CorpusError, match=r"^big\.txt: is 0\.0 MB, over the import limit"):
        read_file(path, max_bytes=1000)
    assert read_file(path, max_bytes=2000).text == "a" * 2000
    monkeypatch.setenv("TANDEM_MAX_IMPORT_MB", "0.001")  # 1048 bytes
    assert max_import_bytes() == 1048
    with pytest.raises(CorpusError, match="TANDEM_MAX_IMPORT_MB"):
        read_bytes(b"a" * 2000, "big.txt")
    monkeypatch.setenv("TANDEM_MAX_IMPORT_MB", "lots")
    with pytest.raises(CorpusError, match=r"TANDEM_MAX_IMPORT_MB='lots' is not a number"):
        max_import_bytes()
    monkeypatch.delenv("TANDEM_MAX_IMPORT_MB")
    assert max_import_bytes() == DEFAULT_MAX_BYTES == 50 * 1024 * 1024


def test_readers_encoding_override_is_passed_to_text_readers():
    data = "宿州".encode("gb18030")
    assert read_bytes(data, "a.txt", encoding="gb18030").text == "宿州"
    with pytest.raises(CorpusError, match=r"^a\.txt: cannot be decoded as utf-8"):
        read_bytes(data, "a.txt", encoding="utf-8")
