"""Hostile files and patterns (issue 7, point 5): each is refused with one sentence, in bounded
time and memory, and leaves the project as it was.

Wall time and peak memory are measured in a child process (``python -c``) with
``VmHWM`` of ``/proc/self/status`` (KiB; ``ru_maxrss`` elsewhere, which on Linux inherits the
forking parent's peak across exec); the bounds are generous
(the box is shared), but far below what the unprotected code used (12 GB, minutes).
"""
from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import textwrap
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

import coding
import store
from coding.errors import CodingError
from corpus.archive import ArchiveError, ZipLimits, check_zip, open_zip, read_member
from corpus.errors import CorpusError
from corpus.importer import import_bytes, import_text
from corpus.read_html import read_html
from corpus.segment import MAX_PIECE, pieces, segment
from quant.errors import QuantError
from quant.data.tables import read_table

ROOT = Path(__file__).resolve().parent.parent
GB = 2**30
MB = 2**20
PEAK_LIMIT_KB = 1024 * 1024  # 1 GiB

# --- building hostile archives without holding them in memory --------------------------------


def _deflate_repeated(byte: bytes, total: int, block: int = MB) -> tuple[bytes, int]:
    """Raw DEFLATE of ``byte * total`` and its CRC-32, built from one compressed block.

    After ``Z_FULL_FLUSH`` the compressor's history is empty and its output byte-aligned,
    so compressing the same block again yields the same bytes: the stream is that block
    repeated, then an empty final block. Nothing of ``total`` size is ever in memory.
    """
    assert total % block == 0
    chunk = byte * block
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    one = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    tail = comp.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(total // block):
        crc = zlib.crc32(chunk, crc)
    return one * (total // block) + tail, crc


def _zip_raw(path: Path, members: list[tuple[str, bytes, int, int, int]]) -> None:
    """Write a zip of already-deflated members: (name, deflated, crc, declared size, method)."""
    out = io.BytesIO()
    central = []
    for name, payload, crc, size, method in members:
        offset = out.tell()
        raw = name.encode()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0, crc, len(payload), size,
                              len(raw), 0) + raw)
        out.write(payload)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0, crc, len(payload),
                                   size, len(raw), 0, 0, 0, 0, 0, offset) + raw)
    start = out.tell()
    cd = b"".join(central)
    out.write(cd)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(cd), start, 0))
    path.write_bytes(out.getvalue())


_CT = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
       b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')


def _small(name: str, data: bytes) -> tuple[str, bytes, int, int, int]:
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    return name, comp.compress(data) + comp.flush(), zlib.crc32(data), len(data), 8


@pytest.fixture(scope="module")
def docx_bomb(tmp_path_factory) -> Path:
    """The reported case: a .docx of about 3 MB whose word/document.xml inflates to 3 GB."""
    path = tmp_path_factory.mktemp("bomb") / "P1.docx"
    payload, crc = _deflate_repeated(b"a", 3 * GB)
    _zip_raw(path, [_small("[Content_Types].xml", _CT), ("word/document.xml", payload, crc, 3 * GB, 8)])
    return path


# --- running a hostile import in a child process ---------------------------------------------

_CHILD = textwrap.dedent("""
    import json, resource, sys, time
    sys.path.insert(0, {root!r})
    from sqlalchemy import func, select
    import store
    engine = store.connect({project!r})

    def counts():
        with store.session_scope(engine) as s:
            return {{t: s.scalar(select(func.count()).select_from(getattr(store, t)))
                    for t in ("Document", "Segment", "Code", "Coding")}}

    before = counts()
    out = {{}}
    t0 = time.perf_counter()
    try:
        with store.session_scope(engine) as session:
            {body}
    except ValueError as exc:
        out["error"], out["type"] = str(exc), type(exc).__name__
    out["seconds"] = time.perf_counter() - t0
    out["before"], out["after"] = before, counts()
    # VmHWM is this process's own high-water mark; ru_maxrss on Linux keeps the peak of the forking
    # parent (pytest, which grows past 1 GB over the suite) across exec
    try:
        out["peak_kb"] = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        out["peak_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(out, ensure_ascii=False))
""")


def _child(project: Path, body: str, timeout: float = 300) -> dict:
    """Run ``body`` (statements using ``session``, filling ``out``) in a fresh interpreter."""
    code = _CHILD.format(root=str(ROOT), project=str(project), body=textwrap.indent(body, " " * 8).strip())
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def project(tmp_path) -> Path:
    path = tmp_path / "project.sqlite"
    engine = store.connect(path)
    with store.session_scope(engine) as session:
        coding.ensure_default_codebook(session)
        import_text(session, "已有的一份访谈。", name="访谈A")
    engine.dispose()
    return path


# --- 1. archives -----------------------------------------------------------------------------


def test_docx_bomb_is_refused_in_little_memory_and_changes_nothing(project, docx_bomb):
    assert docx_bomb.stat().st_size < 5 * MB  # a few MB on disk, 3 GB inflated
    out = _child(project, f"from corpus.importer import import_document\n"
                          f"import_document(session, {str(docx_bomb)!r})\nout['imported'] = True")
    assert out["error"] == "P1.docx: refused, it would inflate past 200 MB (zip bomb?)."
    assert "imported" not in out and out["before"] == out["after"]
    assert out["peak_kb"] < PEAK_LIMIT_KB  # never inflated (3 GB); its time: bench/unit_timings.py


def test_docx_bomb_through_the_cli_exits_with_the_sentence(project, docx_bomb):
    done = subprocess.run([sys.executable, "cli.py", "import", "--project", str(project), str(docx_bomb)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode != 0
    assert "P1.docx: refused, it would inflate past 200 MB (zip bomb?)." in done.stderr + done.stdout


def test_lying_headers_are_not_trusted(tmp_path):
    """Declared 1 KB, really 300 MB: zipfile stops at the declared size, the CRC fails, refused."""
    payload, crc = _deflate_repeated(b"a", 300 * MB)
    path = tmp_path / "liar.docx"
    _zip_raw(path, [_small("[Content_Types].xml", _CT), ("word/document.xml", payload, crc, 1024, 8)])
    with pytest.raises(CorpusError, match=r"^liar\.docx: not a valid \.docx file \(zip archive is corrupt\)\.$"):
        import_bytes(None, path.read_bytes(), "liar.docx")


def test_streamed_count_refuses_a_high_ratio_member_before_inflating_it(tmp_path):
    """40 MB of one byte (under every declared cap) compresses about 1,000:1: refused mid-stream."""
    payload, crc = _deflate_repeated(b"a", 40 * MB)
    path = tmp_path / "ratio.docx"
    _zip_raw(path, [_small("[Content_Types].xml", _CT), ("word/document.xml", payload, crc, 40 * MB, 8)])
    with pytest.raises(ArchiveError) as err:
        check_zip(path.read_bytes(), "ratio.docx")
    assert str(err.value) == ("ratio.docx: refused, member 'word/document.xml' inflates more than 100 times its "
                              "compressed size (zip bomb?).")
    # the same archive passes once the ratio cap is lifted: the member is really 40 MB
    names = check_zip(path.read_bytes(), "ratio.docx", ZipLimits(max_ratio=10**9))
    assert names == ["[Content_Types].xml", "word/document.xml"]
    # and read_member streams it under a member cap, refusing at the cap
    with open_zip(path.read_bytes(), "ratio.docx", ZipLimits(max_ratio=10**9)) as zf:
        with pytest.raises(ArchiveError, match=r"^ratio\.docx: refused, it would inflate past 10 MB"):
            read_member(zf, "word/document.xml", "ratio.docx", ZipLimits(max_ratio=10**9, max_member=10 * MB))
        assert read_member(zf, "[Content_Types].xml", "ratio.docx") == _CT


def test_too_many_entries_and_unsafe_names_are_refused(tmp_path):
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as zf:
        for k in range(10_001):
            zf.writestr(f"f{k}", b"")
    with pytest.raises(ArchiveError, match=r"^many\.docx: refused, it holds 10,001 entries, more than 10,000\.$"):
        check_zip(many.getvalue(), "many.docx")
    for bad in ("../evil.xml", "/etc/passwd", "C:/x.xml", "a\\..\\b.xml"):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("[Content_Types].xml", _CT)
            zf.writestr(zipfile.ZipInfo(bad), b"x")
        with pytest.raises(ArchiveError, match=r"^x\.docx: refused, it holds an unsafe member name"):
            check_zip(buf.getvalue(), "x.docx")


def test_qdpx_bomb_is_refused_and_the_codebook_is_unchanged(tmp_path, project):
    payload, crc = _deflate_repeated(b" ", 512 * MB)
    path = tmp_path / "team.qdpx"
    _zip_raw(path, [("project.qde", payload, crc, 512 * MB, 8)])
    out = _child(project, f"import coding\ncoding.import_codebook_qdc(session, {str(path)!r})\nout['imported'] = True")
    assert out["type"] == "CodingError"
    assert out["error"] == "team.qdpx: refused, it would inflate past 200 MB (zip bomb?)."
    assert out["before"] == out["after"] and out["peak_kb"] < PEAK_LIMIT_KB


def test_xlsx_bomb_is_refused_before_openpyxl(tmp_path):
    payload, crc = _deflate_repeated(b"0", 256 * MB)
    path = tmp_path / "cities.xlsx"
    _zip_raw(path, [_small("[Content_Types].xml", _CT), ("xl/worksheets/sheet1.xml", payload, crc, 256 * MB, 8)])
    with pytest.raises(QuantError, match=r"^cities\.xlsx: refused, it would inflate past 200 MB \(zip bomb\?\)\.$"):
        read_table(path)


def test_real_docx_and_qdpx_still_read(shared):
    from corpus.readers import read_file

    assert len(read_file(shared("transcripts", "qualcoder", "ID1.docx")).text) > 100
    nodes, _ = coding.exchange.refi_codebook.read_codebook_qdc(shared("refi", "qdpx_toolkit_hand_authored.qdpx"))
    assert nodes and all(n.name for n in nodes)


# --- 2. regular expressions ------------------------------------------------------------------


@pytest.fixture
def session_with_text(tmp_path):
    engine = store.connect(tmp_path / "p.sqlite")
    with store.session_scope(engine) as session:
        coding.ensure_default_codebook(session)
        import_text(session, "a" * 5000 + "b 访谈 aaa", name="访谈A", language="zh")
        yield session
    engine.dispose()


def test_catastrophic_search_pattern_stops_with_a_sentence(session_with_text):
    t0 = time.perf_counter()
    with pytest.raises(CodingError) as err:
        coding.search(session_with_text, "(a+)+$", regex=True)
    assert str(err.value) == "The pattern (a+)+$ took longer than 2 s on 访谈A; simplify it."
    assert time.perf_counter() - t0 < 15
    # ordinary patterns keep re semantics and exact offsets
    hits = coding.search(session_with_text, r"a{3}\b", regex=True)
    assert list(hits["start"]) == [5005] and list(hits["match"]) == ["aaa"]
    assert list(coding.search(session_with_text, "訪談")["start"]) == [5002]  # folded, same offsets


def test_search_has_a_budget_over_the_whole_corpus(session_with_text, monkeypatch):
    import importlib

    module = importlib.import_module("coding.retrieval.search")  # coding re-exports the function search
    monkeypatch.setattr(module, "SEARCH_BUDGET", 1.0)
    import_text(session_with_text, "a" * 3000 + "c", name="访谈B", language="zh")
    with pytest.raises(CodingError) as err:
        coding.search(session_with_text, "(a|aa)+$", regex=True)
    assert str(err.value) == ("The pattern (a|aa)+$ took longer than 1 s over the corpus (stopped at 访谈A); "
                              "simplify it.")


def test_autocode_rule_with_catastrophic_pattern_queues_nothing(session_with_text):
    s = session_with_text
    code = int(coding.codebook(s).query("codable").iloc[0]["id"])
    rule = coding.add_rule(s, code, "regex", "(a|aa)+$")  # valid: it compiles, only running it explodes
    before = s.scalar(select(func.count()).select_from(store.models.Suggestion))
    with pytest.raises(CodingError, match=r"^The pattern \(a\|aa\)\+\$ took longer than 2 s on 访谈A; "
                                          r"simplify it\.$"):
        coding.run_rules(s, rule)
    with pytest.raises(CodingError, match="took longer than 2 s on 访谈A"):
        coding.preview_rule(s, "regex", "(a|aa)+$")
    assert s.scalar(select(func.count()).select_from(store.models.Suggestion)) == before


def test_rule_patterns_are_validated_when_saved_and_when_loaded(session_with_text):
    s = session_with_text
    code = int(coding.codebook(s).query("codable").iloc[0]["id"])
    n_rules = s.scalar(select(func.count()).select_from(store.models.AutocodeRule))
    with pytest.raises(CodingError, match=r"^Search pattern 'aaaa.*is 1001 characters long; at most 1000"):
        coding.add_rule(s, code, "regex", "a" * 1001)
    with pytest.raises(CodingError, match=r"^Regular expression '\(ab' is not valid: missing \), unterminated"):
        coding.add_rule(s, code, "regex", "(ab")
    assert s.scalar(select(func.count()).select_from(store.models.AutocodeRule)) == n_rules
    rule = coding.add_rule(s, code, "regex", "ab")
    s.execute(text("UPDATE autocode_rules SET pattern = :p WHERE id = :i"), {"p": json.dumps("[z-a]"), "i": rule})
    s.expire_all()
    with pytest.raises(CodingError, match=r"^Regular expression '\[z-a\]' is not valid: bad character range"):
        coding.run_rules(s, rule)


# --- 3. segmentation -------------------------------------------------------------------------


def _unpunctuated(shared, n: int) -> str:
    """``n`` code points of real Chinese policy text with punctuation and white space removed."""
    import unicodedata

    src = "".join(p.read_text(encoding="utf-8") for p in sorted(shared("policy_docs").glob("*.txt")))
    han = "".join(c for c in src if not c.isspace() and unicodedata.category(c)[0] not in "PZS")
    return (han * (n // len(han) + 1))[:n]


@pytest.mark.slow  # a 200,000-character import in a fresh interpreter: 21–31 s at load 5 (bench/UNIT_TIMINGS.md)
def test_200k_line_without_punctuation_imports_in_bounded_memory(tmp_path, shared, project):
    """Cut into pieces of at most MAX_PIECE that tile the text (the child's 300 s limit stops a
    quadratic segmenter; the time it takes is measured by bench/unit_timings.py)."""
    line = _unpunctuated(shared, 200_000)
    path = tmp_path / "长行.txt"
    path.write_text(line, encoding="utf-8")
    out = _child(project, textwrap.dedent(f"""
        from corpus.importer import import_document
        r = import_document(session, {str(path)!r})
        doc = session.get(store.Document, r.document_id)
        rows = session.execute(select(store.Segment.kind, store.Segment.start, store.Segment.end)
                               .where(store.Segment.document_id == r.document_id)
                               .order_by(store.Segment.kind, store.Segment.start)).all()
        out['n_chars'] = r.n_chars
        out['text_same'] = doc.text == open({str(path)!r}, encoding='utf-8').read()
        out['sentences'] = [[a, b] for k, a, b in rows if k == 'sentence']
        out['paragraphs'] = [[a, b] for k, a, b in rows if k == 'paragraph']
    """).strip())
    assert "error" not in out, out.get("error")
    assert out["n_chars"] == 200_000 and out["text_same"]
    assert out["paragraphs"] == [[0, 200_000]]
    sents = out["sentences"]
    assert sents[0][0] == 0 and sents[-1][1] == 200_000
    assert all(a[1] == b[0] for a, b in zip(sents, sents[1:]))  # tiles the text exactly
    assert all(0 < e - s <= MAX_PIECE for s, e in sents) and len(sents) == 200_000 // MAX_PIECE
    assert out["peak_kb"] < PEAK_LIMIT_KB


def test_pieces_cut_after_sentence_ends_and_tile_exactly():
    zh = "第一句话很长。" * 1000 + "没有标点" * 3000
    cuts = pieces(zh, 0, len(zh), "zh", size=100)
    assert cuts[0][0] == 0 and cuts[-1][1] == len(zh)
    assert all(a[1] == b[0] and b[1] - b[0] <= 100 for a, b in zip(cuts, cuts[1:]))
    assert all(zh[b - 1] == "。" for _, b in cuts[:60])  # 7 code points per sentence: 14 per piece
    en = "It cost 3.5 yuan. Dr. Li agreed! " * 20
    for a, b in pieces(en, 0, len(en), "en", size=60)[:-1]:
        assert en[b - 1] == " " and en[b - 2] in ".!"  # never inside 3.5
    combining = "e\u0301" * 300
    assert all(unicodedata_ok(combining, b) for _, b in pieces(combining, 0, len(combining), "en", size=101))


def unicodedata_ok(text: str, cut: int) -> bool:
    import unicodedata

    return cut == len(text) or not unicodedata.combining(text[cut])


def test_normal_documents_segment_exactly_as_without_pieces(shared, monkeypatch):
    import importlib

    seg = importlib.import_module("corpus.segment")  # corpus re-exports the function segment

    texts = [(p.read_text(encoding="utf-8"), "zh") for p in sorted(shared("policy_docs").glob("*.txt"))]
    texts += [(shared("transcripts", "pdpilot", f"P{k}.txt").read_text(encoding="utf-8"), "en") for k in (1, 2)]
    from corpus.text import normalise

    from corpus.longruns import tame

    assert all(tame(normalise(t)) == normalise(t) for t, _ in texts)  # prose is never tamed
    chunked = [segment(normalise(t), lang) for t, lang in texts]
    monkeypatch.setattr(seg, "pieces", lambda text, a, b, language, size=None: [(a, b)])  # whole paragraphs
    whole = [segment(normalise(t), lang) for t, lang in texts]
    assert chunked == whole


# --- 4. depth ----------------------------------------------------------------------------------


def test_deep_html_is_refused_not_a_recursion_error():
    deep = ("<html><body>" + "<div>" * 100_000 + "x" + "</div>" * 100_000 + "</body></html>").encode()
    with pytest.raises(CorpusError, match=r"^deep\.html: refused, its HTML nests elements more than 256 levels "
                                          r"deep\.$"):
        read_html(deep, "deep.html")
    ok = ("<html><body>" + "<div>" * 200 + "深处" + "</div>" * 200 + "</body></html>").encode()
    assert read_html(ok, "ok.html").text == "深处"


def test_deep_docx_xml_is_refused():
    import docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    src = zipfile.ZipFile(buf)
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    deep = (f'<w:document {w}><w:body><w:p>' + "<w:r>" * 5000 + "<w:t>x</w:t>" + "</w:r>" * 5000
            + "</w:p></w:body></w:document>").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            zf.writestr(info.filename, deep if info.filename == "word/document.xml" else src.read(info))
    with pytest.raises(CorpusError, match=r"^deep\.docx: refused, its XML nests elements more than 256 levels"):
        import_bytes(None, out.getvalue(), "deep.docx")


def test_deep_qdc_and_csv_paths_are_refused(project):
    ns = "urn:QDA-XML:codebook:1.0"
    qdc = (f'<CodeBook xmlns="{ns}"><Codes>' + "".join(f'<Code name="c{k}" isCodable="true">' for k in range(10_000))
           + "</Code>" * 10_000 + "</Codes></CodeBook>").encode()
    with pytest.raises(CodingError, match=r"^The codebook file nests codes more than 100 levels deep"):
        coding.exchange.refi_codebook.read_codebook_qdc(qdc)
    csv = ("path\n" + "/".join(f"c{k}" for k in range(10_000)) + "\n").encode()
    engine = store.connect(project)
    with store.session_scope(engine) as s:
        n = s.scalar(select(func.count()).select_from(store.Code))
        with pytest.raises(CodingError, match=r"^Codebook CSV row 2: the path is 10000 levels deep; at most 101"):
            coding.import_codebook_csv(s, csv)
        assert s.scalar(select(func.count()).select_from(store.Code)) == n
        # 101 levels (depth 0..100) are fine; one more is refused when added by hand
        coding.import_codebook_csv(s, ("path\n" + "/".join(f"d{k}" for k in range(101)) + "\n").encode())
        deepest = coding.code_id_by_name(s, "/".join(f"d{k}" for k in range(101)))
        with pytest.raises(CodingError, match=r"^Code 'd101' would lie more than 100 levels deep"):
            coding.add_code(s, "d101", parent_id=deepest)
        assert int(coding.codebook(s)["depth"].max()) == 100
    engine.dispose()


def test_parent_cycle_in_a_tampered_project_is_reported(project):
    engine = store.connect(project)
    with store.session_scope(engine) as s:
        a = coding.add_code(s, "A")
        b = coding.add_code(s, "B", parent_id=a)
        s.execute(text("UPDATE codes SET parent_id = :b WHERE id = :a"), {"a": a, "b": b})
        s.expire_all()
        with pytest.raises(CodingError, match=r"^The codebook's parent links loop through code"):
            coding.codebook(s)
        with pytest.raises(CodingError, match=r"parent links loop"):
            coding.descendants(s, a)
        s.rollback()
    engine.dispose()


# --- 5. names ----------------------------------------------------------------------------------


def test_lookalike_code_names_clash(project):
    engine = store.connect(project)
    with store.session_scope(engine) as s:
        mark = coding.add_code(s, "Mark")
        for twin in ("Ｍａｒｋ", "Mark\u200b", "\u200dmark", "MARK\u00ad", "Mark\u3000"):
            with pytest.raises(CodingError, match=r"^A code named 'Mark' already exists at the top"):
                coding.add_code(s, twin)
        other = coding.add_code(s, "Ｏｔｈｅｒ　ｏｎｅ")
        assert s.get(store.Code, other).name == "Other one"
        with pytest.raises(CodingError, match="already exists"):
            coding.rename_code(s, other, "ｍａｒｋ")
        for bad, what in (("Ma\u202erk", r"the invisible character U\+202E"), ("Ma\nrk", "a line break"),
                          ("Ma\x00rk", "a NUL character")):
            with pytest.raises(CodingError, match=f"^The code name .* holds {what}"):
                coding.add_code(s, bad)
        assert s.get(store.Code, mark).name == "Mark"
    engine.dispose()


def test_lookalike_document_names_clash_and_text_is_kept(project):
    engine = store.connect(project)
    body = "全角ＡＢＣ与零宽\u200b字符保留。"
    with store.session_scope(engine) as s:
        r = import_text(s, body, name="Ｐ１\u200b")
        assert r.name == "P1" and s.get(store.Document, r.document_id).text == body  # text untouched
        for twin in ("P1", "p1", "P\u200b1"):
            with pytest.raises(CorpusError, match=r": a document named 'P1' is already in the project"):
                import_text(s, "x", name=twin)
        cn = import_text(s, "正文", name="访谈：盐城市（示例）")  # Chinese full-width punctuation is kept
        assert cn.name == "访谈：盐城市（示例）"
        with pytest.raises(CorpusError, match=r"a document named '访谈：盐城市（示例）' is already"):
            import_text(s, "x", name="访谈:盐城市(示例)")
        with pytest.raises(CorpusError, match=r"^The document name 'eviltxt\.exe' holds the invisible character "
                                              r"U\+202E \(right-to-left override\); type it on one line without it\.$"):
            import_text(s, "x", name="evil\u202etxt.exe")
    engine.dispose()


def test_coder_names_are_canonical(project):
    engine = store.connect(project)
    with store.session_scope(engine) as s:
        code = int(coding.codebook(s).query("codable").iloc[0]["id"])
        doc = s.scalar(select(store.Document.id))
        cid = coding.add_coding(s, doc, 0, 2, code, coder="Ｍａｒｋ\u200b")[0]
        assert s.get(store.Coding, cid).coder == "Mark"
        with pytest.raises(CodingError, match="holds a line break"):
            coding.add_coding(s, doc, 0, 2, code, coder="Mark\nroot")
    engine.dispose()


def test_refi_and_table_names_are_normalised(project):
    ns = "urn:QDA-XML:codebook:1.0"
    qdc = (f'<CodeBook xmlns="{ns}"><Codes><Code name="Mark" isCodable="true"/>'
           f'<Code name="Ｍａｒｋ\u200b" isCodable="true"/><Code name="Ga\u202ep" isCodable="true"/>'
           "</Codes></CodeBook>").encode()
    engine = store.connect(project)
    with store.session_scope(engine) as s:
        report = coding.import_codebook_qdc(s, qdc)
        names = set(coding.codebook(s)["name"])
        assert {"Mark", "Mark (2)", "Gap"} <= names and "Ｍａｒｋ\u200b" not in names
        assert len(report["created"]) == 3
    engine.dispose()
    frame = read_table(b"code,\xef\xbc\xb0\xef\xbd\x8f\xef\xbd\x90\n320500,1\n", filename="t.csv")
    assert list(frame.columns) == ["code", "Pop"]
    with pytest.raises(QuantError, match="repeats a column name"):
        read_table("code,pop,pop\u200b\n1,2,3\n".encode(), filename="t.csv")


def test_real_inputs_still_import(tmp_path, shared):
    engine = store.connect(tmp_path / "real.sqlite")
    paths = sorted(shared("policy_docs").glob("*.txt")) + [shared("transcripts", "pdpilot", "P1.txt"),
                                                            shared("transcripts", "qualcoder", "ID1.docx")]
    from corpus.importer import import_document

    with store.session_scope(engine) as s:
        coding.ensure_default_codebook(s)
        results = [import_document(s, p) for p in paths]
        report = coding.import_codebook_qdc(s, shared("refi", "qdpx_toolkit_hand_authored.qdpx"))
    assert [r.name for r in results] == [p.stem for p in paths]
    assert all(r.n_sentences > 0 for r in results) and report["created"]
    engine.dispose()


def test_markup_part_past_64_mb_is_refused_even_when_it_compresses_modestly(tmp_path):
    """A 100 MB document.xml (under the 200 MB bomb cap, ratio under 100) would take over 1 GB
    to parse: refused by the markup cap, by its declared size and, with lying headers, streamed."""
    block = b"".join(b"<w:p><w:r><w:t>%d</w:t></w:r></w:p>" % k for k in range(40_000))  # ~1.3 MB, varied
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CT)
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            for _ in range(100 * MB // len(block) + 1):
                fh.write(block)
    data = buf.getvalue()
    want = ("big.docx: refused, its part 'word/document.xml' would inflate past 64 MB, more markup than Tandem "
            "reads from one file.")
    with pytest.raises(CorpusError) as err:
        import_bytes(None, data, "big.docx")
    assert str(err.value) == want
    # the streamed count catches it too when the declared size is not looked at
    with open_zip(data, "big.docx", ZipLimits(max_markup=10**12)) as zf:
        with pytest.raises(ArchiveError, match=r"^big\.docx: refused, its part 'word/document\.xml' would inflate "
                                               r"past 64 MB"):
            read_member(zf, "word/document.xml", "big.docx")


@pytest.mark.slow  # a 200,000-character import in a fresh interpreter: 21–31 s at load 5 (bench/UNIT_TIMINGS.md)
def test_english_line_of_brackets_imports_with_its_places(tmp_path, shared, project):
    """spaCy's English affix rules are quadratic in a run without spaces (20,000 '(' took 78 s
    in the place matcher): 200,000 of them, with two city names around, import with both mentions
    (at that rate they would take hours; the child's 300 s limit stops it; the time it takes is
    measured by bench/unit_timings.py)."""
    import csv as _csv

    engine = store.connect(project)
    with open(shared("cities", "cities_southeast.csv"), encoding="utf-8") as fh, store.session_scope(engine) as s:
        for r in _csv.DictReader(fh):
            s.add(store.City(code=r["adcode"], name=r["name_zh"], short_name=r["name_short_zh"],
                             pinyin=r["name_pinyin"], province=r["province_zh"]))
    engine.dispose()
    line = "Officials from Wuxi said " + "(" * 100_000 + "'" * 100_000 + " Wuxi."
    path = tmp_path / "brackets.txt"
    path.write_text(line, encoding="utf-8")
    out = _child(project, textwrap.dedent(f"""
        from corpus.importer import import_document
        r = import_document(session, {str(path)!r}, language="en")
        out['mentions'] = [[m.start, m.end, m.surface] for m in session.scalars(
            select(store.PlaceMention).where(store.PlaceMention.document_id == r.document_id)
            .order_by(store.PlaceMention.start))]
        out['sentences'] = r.n_sentences
    """).strip())
    assert "error" not in out, out.get("error")
    end = len(line) - len("Wuxi.")
    assert out["mentions"] == [[15, 19, "Wuxi"], [end, end + 4, "Wuxi"]]
    assert out["peak_kb"] < PEAK_LIMIT_KB


def test_tame_keeps_length_and_prose():
    from corpus.longruns import LONG_RUN, tame

    prose = "See https://www.gov.cn/zhengce/2019-04/30/content_5387831.htm (Suzhou, Wuxi) for details. " + "通办" * 80
    assert tame(prose) is prose
    hostile = "ab " + "(" * 250 + "x'y" * 50 + "'" * 101
    out = tame(hostile)
    assert len(out) == len(hostile) and out[:3] == "ab " and out[253:403] == "x'y" * 50
    assert [k for k, c in enumerate(out) if c != hostile[k]] == [3 + LONG_RUN, 3 + 2 * LONG_RUN + 1, 403 + LONG_RUN]


def test_entity_expansion_in_a_codebook_is_refused_without_expanding():
    lol = ('<?xml version="1.0"?><!DOCTYPE CodeBook [<!ENTITY a "aaaaaaaaaa">'
           + "".join(f'<!ENTITY {chr(98 + k)} "{("&" + chr(97 + k) + ";") * 10}">' for k in range(9))
           + ']><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code name="&j;" isCodable="true"/></Codes>'
           "</CodeBook>").encode()
    with pytest.raises(CodingError, match=r"^The codebook file is not readable XML: EntitiesForbidden"):
        coding.exchange.refi_codebook.read_codebook_qdc(lol)  # refused by its DTD, before any expansion


def test_overlong_text_is_refused_before_segmentation(tmp_path, monkeypatch):
    """A text over the import limit (TANDEM_MAX_IMPORT_CHARS) is refused with one sentence
    naming the file and both counts, and nothing is written."""
    import corpus
    import store

    monkeypatch.setenv("TANDEM_MAX_IMPORT_CHARS", "1000")
    engine = store.connect(tmp_path / "p.sqlite")
    path = tmp_path / "长文.txt"
    path.write_text("跨城通办" * 251, encoding="utf-8")  # 1,004 code points
    with store.session_scope(engine) as s, pytest.raises(corpus.CorpusError) as err:
        corpus.import_document(s, path)
    assert str(err.value) == ("长文.txt: its text is 1,004 characters long, over the import limit of 1,000; "
                              "split it into parts (or raise TANDEM_MAX_IMPORT_CHARS).")
    with store.session_scope(engine) as s:
        assert s.query(store.Document).count() == 0
    path.write_text("跨城通办" * 250, encoding="utf-8")  # exactly at the limit: accepted
    with store.session_scope(engine) as s:
        assert corpus.import_document(s, path).n_chars == 1000
    engine.dispose()
