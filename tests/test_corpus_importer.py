"""Importing documents: rows written, languages, place mentions, atomic failures."""
from __future__ import annotations

import csv
import hashlib
import random
import re

import pytest
from sqlalchemy import func, select

import store
from corpus.errors import CorpusError
from corpus.importer import import_bytes, import_document, import_files, import_text
from corpus.offsets import from_utf16, to_utf16

TABLES = (store.Document, store.Segment, store.PlaceMention)


def _counts(engine):
    with store.session_scope(engine) as session:
        return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) for t in TABLES}


def _add_cities(engine, shared):
    with open(shared("cities", "cities_southeast.csv"), encoding="utf-8") as fh, store.session_scope(engine) as s:
        for r in csv.DictReader(fh):
            s.add(store.City(code=r["adcode"], name=r["name_zh"], short_name=r["name_short_zh"],
                             pinyin=r["name_pinyin"], province=r["province_zh"]))


def _real_inputs(shared):
    policy = sorted(shared("policy_docs").glob("*.txt"))
    transcripts = [shared("transcripts", "pdpilot", f"P{k}.txt") for k in range(1, 5)]
    qualcoder = [shared("transcripts", "qualcoder", "transcript.txt"), shared("transcripts", "qualcoder", "ID1.docx")]
    return policy, transcripts + qualcoder


def test_importer_all_real_inputs_import_with_segments_and_languages(engine, shared):
    _add_cities(engine, shared)
    policy, interviews = _real_inputs(shared)
    assert len(policy) == 5
    results = import_files(engine, policy, kind="policy") + import_files(engine, interviews)
    assert [r.language for r in results] == ["zh"] * 5 + ["en"] * 6
    assert all(r.n_paragraphs > 0 and r.n_sentences >= r.n_paragraphs for r in results)
    with store.session_scope(engine) as session:
        for r, path in zip(results, policy + interviews):
            doc = session.get(store.Document, r.document_id)
            assert doc.name == path.stem and doc.source_filename == path.name
            assert doc.source_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
            assert doc.text_sha256 == hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
            assert doc.n_chars == len(doc.text) == r.n_chars
            segs = session.execute(
                select(store.Segment.kind, store.Segment.idx, store.Segment.start, store.Segment.end)
                .where(store.Segment.document_id == doc.id).order_by(store.Segment.kind, store.Segment.idx)
            ).all()
            paras = [(a, b) for k, _, a, b in segs if k == "paragraph"]
            sents = [(a, b) for k, _, a, b in segs if k == "sentence"]
            assert [i for k, i, _, _ in segs if k == "paragraph"] == list(range(1, r.n_paragraphs + 1))
            assert len(sents) == r.n_sentences
            assert all(any(p <= a and b <= q for p, q in paras) for a, b in sents)
            assert all(doc.text[a:b].strip() == doc.text[a:b] for a, b in paras + sents)
        # The Anyang regulation names only Anyang (安阳市 in the text, "Anyang" in the source line).
        anyang = session.scalars(select(store.Document).where(store.Document.name.like("02_%"))).one()
        mentions = session.scalars(select(store.PlaceMention).where(store.PlaceMention.document_id == anyang.id)).all()
        assert {m.city_code for m in mentions} == {"410500"}
        assert all(anyang.text[m.start:m.end] == m.surface for m in mentions)
        surfaces = [m.surface for m in mentions]
        assert surfaces.count("Anyang") == len(re.findall(r"\bAnyang\b", anyang.text)) == 1
        assert len(surfaces) - 1 == anyang.text.count("安阳") > 0


def test_importer_text_with_non_bmp_characters_slices_exactly_from_the_store(engine, shared):
    policy = shared("policy_docs", "03_北京市推进京津冀社会保障卡一卡通规定_2024.txt").read_text(encoding="utf-8")
    phrase = "跨省通办"
    start = policy.find(phrase)
    text = "\U0001F600" + policy[:start] + "\U00020000" + policy[start:]
    with store.session_scope(engine) as session:
        result = import_text(session, text, name="with emoji", kind="policy")
    with store.session_scope(engine) as session:
        stored = session.get(store.Document, result.document_id).text
    s = stored.find(phrase)
    assert s == start + 2 and stored[s : s + len(phrase)] == phrase
    assert to_utf16(stored, s) == s + 2 and from_utf16(stored, s + 2) == s


def test_importer_stores_unambiguous_mentions_and_warns_about_ambiguous(engine, shared):
    _add_cities(engine, shared)
    with store.session_scope(engine) as session:
        result = import_text(
            session, "常州市武进区与盐城市签约。\r\nSuzhou and Suzhou, and Wuxi.", name="n1",
            kind="field note", attributes={"interviewee": "official", "year": 2021}, illustrative=True,
        )
    assert result.n_mentions == 4 and result.language == "zh"  # 武进区 counts for its prefecture 常州
    assert any("normalised" in w for w in result.warnings)
    assert any("'Suzhou' (2 times) could be 苏州市 (320500) or 宿州市 (341300)" in w for w in result.warnings)
    with store.session_scope(engine) as session:
        rows = session.execute(
            select(store.PlaceMention.city_code, store.PlaceMention.start, store.PlaceMention.end,
                   store.PlaceMention.surface).order_by(store.PlaceMention.start)
        ).all()
        doc = session.get(store.Document, result.document_id)
        assert (doc.kind, doc.illustrative, doc.attributes) == ("field note", 1, {"interviewee": "official", "year": 2021})
    assert [tuple(r) for r in rows] == [("320400", 0, 3, "常州市"), ("320400", 3, 6, "武进区"), ("320900", 7, 10, "盐城市"),
                                        ("320200", 37, 41, "Wuxi")]


def test_importer_duplicate_name_is_refused_with_a_rename_hint(engine):
    with store.session_scope(engine) as session:
        import_text(session, "Some words.", name="Interview 1")
    before = _counts(engine)
    with pytest.raises(CorpusError, match=r"named 'Interview 1' is already in the project; .*name="):
        with store.session_scope(engine) as session:
            import_text(session, "Other words.", name="Interview 1")
    assert _counts(engine) == before
    with store.session_scope(engine) as session:
        assert import_text(session, "Other words.", name="Interview 1 (2)").name == "Interview 1 (2)"


@pytest.mark.parametrize(
    "filename, make, message",
    [
        ("empty.txt", lambda d: b"", r"^empty\.txt: is empty"),
        ("noise.txt", lambda d: random.Random(11).randbytes(3000), r"^noise\.txt: "),
        ("ID1.docx", lambda d: d[: len(d) // 3], r"^ID1\.docx: not a valid \.docx file \(zip archive is corrupt\)"),
        ("broken.pdf", lambda d: b"%PDF-1.7\n1 0 obj << /Type /Catalog", r"^broken\.pdf: not a valid PDF file"),
        ("big.txt", lambda d: b"x" * 5000, r"^big\.txt: is 0\.0 MB, over the import limit"),
    ],
)
def test_importer_bad_files_raise_and_write_nothing(engine, shared, tmp_path, filename, make, message):
    docx_bytes = shared("transcripts", "qualcoder", "ID1.docx").read_bytes()
    path = tmp_path / filename
    path.write_bytes(make(docx_bytes))
    with pytest.raises(CorpusError, match=message):
        with store.session_scope(engine) as session:
            import_document(session, path, max_bytes=4500)
    with pytest.raises(CorpusError, match=message):
        with store.session_scope(engine) as session:
            import_bytes(session, path.read_bytes(), filename, max_bytes=4500)
    assert _counts(engine) == {"documents": 0, "segments": 0, "place_mentions": 0}


def test_importer_bad_arguments_are_refused_before_writing(engine):
    cases = [
        (dict(name="a", kind="diary"), r"kind 'diary' is not one of"),
        (dict(name="a", language="fr"), r"language 'fr' is not supported"),
        (dict(name="  "), r"needs a non-empty name"),
        (dict(name="a", attributes={"when": object()}), r"cannot be stored as JSON"),
    ]
    for kwargs, message in cases:
        with pytest.raises(CorpusError, match=message):
            with store.session_scope(engine) as session:
                import_text(session, "Text.", **kwargs)
    with pytest.raises(CorpusError, match=r"^blank: contains no text"):
        with store.session_scope(engine) as session:
            import_text(session, "\n \n", name="blank")
    assert _counts(engine) == {"documents": 0, "segments": 0, "place_mentions": 0}


def test_importer_import_files_keeps_earlier_files_and_names_the_failing_one(engine, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("苏州的访谈。第二句。", encoding="utf-8")
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"PK\x03\x04 truncated")
    never = tmp_path / "never.txt"
    never.write_text("Never imported.", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"^bad\.docx: not a valid \.docx file"):
        import_files(engine, [good, bad, never])
    with store.session_scope(engine) as session:
        names = session.scalars(select(store.Document.name)).all()
    assert names == ["good"]
    assert _counts(engine)["segments"] == 1 + 2
