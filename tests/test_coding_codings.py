"""Codings over code-point spans: exact offsets on hard text, errors that write nothing,
duplicates, overlaps, edits, unit coding, paragraphs."""
from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import func, select

import coding
import store
from coding import CodingError, EventType

# 😀 (U+1F600) and 𠀀 (U+20000) are one code point but two UTF-16 units each; "x" + U+0301
# stays two code points under NFC (no precomposed x-acute); Arabic is right-to-left.
HARD = "😀𠀀x\u0301 مرحبا، 苏州与上海签署了跨城通办协议。\n\n第二段：宿州的窗口人员不足。\n\n第三段：湖州。"
PHRASE = "跨城通办"


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _doc(session, text: str, name: str = "doc", paragraphs: bool = True) -> int:
    assert unicodedata.normalize("NFC", text) == text
    doc = store.Document(name=name, kind="interview", language="zh", text=text, text_sha256="0" * 64,
                         n_chars=len(text))
    session.add(doc)
    session.flush()
    if paragraphs:
        pos = 0
        for idx, block in enumerate(text.split("\n\n"), start=1):
            session.add(store.Segment(document_id=doc.id, kind="paragraph", idx=idx, start=pos, end=pos + len(block)))
            pos += len(block) + 2
        session.flush()
    return doc.id


def _codes(session) -> tuple[int, int, int]:
    coding.ensure_default_codebook(session)
    return (coding.code_id_by_name(session, "Mark"), coding.code_id_by_name(session, "Hole"),
            coding.code_id_by_name(session, "Needs"))


def test_codings_offsets_are_code_points_after_astral_and_combining(engine):
    # Hand count: 😀 0, 𠀀 1, x 2, U+0301 3, space 4, مرحبا 5-9, ، 10, space 11, 苏州与上海签署了 12-19, 跨 at 20.
    start, end = 20, 24
    assert HARD[start:end] == PHRASE
    assert len(HARD[:start].encode("utf-16-le")) // 2 == 22  # a UTF-16 reading would be off by two
    with store.session_scope(engine) as s:
        mark, _, _ = _codes(s)
        doc = _doc(s, HARD)
        (cid,) = coding.add_coding(s, doc, start, end, [mark])
        row = s.get(store.Coding, cid)
        assert (row.start, row.end, row.quote) == (20, 24, "跨城通办")
        assert row.prefix == "😀𠀀x\u0301 مرحبا، 苏州与上海签署了"
        assert row.suffix == "协议。\n\n第二段：宿州的窗口人员不足。\n\n第三段：湖州。"  # 28 < 32: to the end
        frame = coding.codings_in_document(s, doc)
        assert frame.loc[0, "quote"] == PHRASE and frame.loc[0, "code"] == "Mark"
        assert frame.loc[0, "colour"] == "#FFB8B0"
        # a span over the astral characters and the combining mark alone
        (c2,) = coding.add_coding(s, doc, 0, 4, [mark])
        assert s.get(store.Coding, c2).quote == "😀𠀀x\u0301"


def test_codings_prefix_and_suffix_are_32_code_points(engine):
    text = "𠀀" * 40 + "核心内容" + "😀" * 40
    with store.session_scope(engine) as s:
        mark, _, _ = _codes(s)
        doc = _doc(s, text, paragraphs=False)
        (cid,) = coding.add_coding(s, doc, 40, 44, mark)
        row = s.get(store.Coding, cid)
        assert (row.quote, row.prefix, row.suffix) == ("核心内容", "𠀀" * 32, "😀" * 32)


def test_codings_overlapping_and_nested_spans_kept(engine):
    with store.session_scope(engine) as s:
        mark, hole, _ = _codes(s)
        doc = _doc(s, HARD)
        a = coding.add_coding(s, doc, 12, 24, [mark])[0]   # 苏州与上海签署了跨城通办
        b = coding.add_coding(s, doc, 20, 26, [hole])[0]   # 跨城通办协议
        c = coding.add_coding(s, doc, 21, 23, [mark])[0]   # 城通 (nested in both)
        frame = coding.codings_in_document(s, doc)
    assert list(frame["id"]) == [a, b, c]
    assert list(frame["quote"]) == ["苏州与上海签署了跨城通办", "跨城通办协议", "城通"]
    assert list(zip(frame["start"], frame["end"])) == [(12, 24), (20, 26), (21, 23)]


@pytest.mark.parametrize(
    "start, end, match",
    [(-1, 3, "not valid"), (5, 5, "not valid"), (6, 5, "not valid"), (0, len(HARD) + 1, "not valid"),
     (True, 3, "integer"), (1.0, 3, "integer"), ("1", 3, "integer"),
     (HARD.index("\n"), HARD.index("\n") + 2, "whitespace"), (4, 5, "whitespace")],
)
def test_codings_invalid_span_writes_nothing(engine, start, end, match):
    with store.session_scope(engine) as s:
        mark, _, _ = _codes(s)
        doc = _doc(s, HARD)
        before = (_count(s, store.Coding), _count(s, store.Event))
        with pytest.raises(CodingError, match=match):
            coding.add_coding(s, doc, start, end, [mark])
        assert (_count(s, store.Coding), _count(s, store.Event)) == before


def test_codings_ideographic_space_is_whitespace(engine):
    with store.session_scope(engine) as s:
        mark, _, _ = _codes(s)
        doc = _doc(s, "甲\u3000\u3000乙", paragraphs=False)
        with pytest.raises(CodingError, match="whitespace"):
            coding.add_coding(s, doc, 1, 3, [mark])


def test_codings_bad_codes_and_document_write_nothing(engine):
    with store.session_scope(engine) as s:
        mark, _, needs = _codes(s)
        doc = _doc(s, HARD)
        before = (_count(s, store.Coding), _count(s, store.Event))
        with pytest.raises(CodingError, match="category"):
            coding.add_coding(s, doc, 20, 24, [mark, needs])
        with pytest.raises(CodingError, match="does not exist"):
            coding.add_coding(s, doc, 20, 24, [mark, 999])
        with pytest.raises(CodingError, match="empty"):
            coding.add_coding(s, doc, 20, 24, [])
        with pytest.raises(CodingError, match="Document 999"):
            coding.add_coding(s, 999, 20, 24, [mark])
        with pytest.raises(CodingError, match="Coder"):
            coding.add_coding(s, doc, 20, 24, [mark], coder=" ")
        assert (_count(s, store.Coding), _count(s, store.Event)) == before


def test_codings_several_codes_and_duplicates(engine):
    with store.session_scope(engine) as s:
        mark, hole, _ = _codes(s)
        doc = _doc(s, HARD)
        ids = coding.add_coding(s, doc, 20, 24, [mark, hole, mark], memo="两种都有")
        assert len(ids) == 2 and ids[0] != ids[1]
        assert {s.get(store.Coding, i).code_id for i in ids} == {mark, hole}
        assert all(s.get(store.Coding, i).memo == "两种都有" for i in ids)
        (event,) = s.scalars(select(store.Event).where(store.Event.type == EventType.CODING_ADD)).all()
        assert sorted(c["id"] for c in event.payload["codings"]) == sorted(ids)
        assert event.document_id == doc
        n = (_count(s, store.Coding), _count(s, store.Event))
        assert coding.add_coding(s, doc, 20, 24, [hole, mark]) == [ids[1], ids[0]]
        assert (_count(s, store.Coding), _count(s, store.Event)) == n
        # a second coder's identical coding is a separate row (needed for agreement)
        (other,) = coding.add_coding(s, doc, 20, 24, [mark], coder="second")
        assert other not in ids and _count(s, store.Coding) == 3


def test_codings_update_resnapshots_quote(engine):
    with store.session_scope(engine) as s:
        mark, hole, _ = _codes(s)
        doc = _doc(s, HARD)
        (cid,) = coding.add_coding(s, doc, 20, 24, [mark])
        coding.update_coding(s, cid, start=12, end=26, memo="wider")
        row = s.get(store.Coding, cid)
        assert (row.quote, row.prefix, row.memo) == ("苏州与上海签署了跨城通办协议", HARD[:12], "wider")
        assert row.suffix == HARD[26:58]
        coding.update_coding(s, cid, end=14)
        assert s.get(store.Coding, cid).quote == "苏州"
        coding.update_coding(s, cid, code_id=hole)
        events = s.scalars(select(store.Event).where(store.Event.type == EventType.CODING_UPDATE)
                           .order_by(store.Event.id)).all()
        assert events[0].payload["before"] == {"start": 20, "end": 24, "quote": "跨城通办", "prefix": HARD[:20],
                                               "suffix": HARD[24:56], "memo": ""}
        assert events[1].payload["after"]["quote"] == "苏州"
        assert events[2].payload == {"coding_id": cid, "before": {"code_id": mark}, "after": {"code_id": hole}}
        n = _count(s, store.Event)
        coding.update_coding(s, cid, start=12, end=14, code_id=hole)  # no change, no event
        assert _count(s, store.Event) == n
        (other,) = coding.add_coding(s, doc, 20, 24, [hole])
        with pytest.raises(CodingError, match="duplicate"):
            coding.update_coding(s, other, start=12, end=14)
        with pytest.raises(CodingError, match="whitespace"):
            coding.update_coding(s, other, start=4, end=5)
        with pytest.raises(CodingError, match="not valid"):
            coding.update_coding(s, other, end=len(HARD) + 1)
        assert (s.get(store.Coding, other).start, s.get(store.Coding, other).end) == (20, 24)
        assert _count(s, store.Event) == n + 1


def test_codings_delete_keeps_links_and_memos_in_event(engine):
    with store.session_scope(engine) as s:
        mark, _, _ = _codes(s)
        s.add_all([store.City(code="320500", name="苏州市"), store.City(code="310000", name="上海市")])
        doc = _doc(s, HARD)
        (cid,) = coding.add_coding(s, doc, 12, 24, [mark])
        coding.link_city(s, cid, "320500")
        coding.link_dyad(s, cid, "320500", "310000")
        coding.add_memo(s, "coding", cid, "签了但没有事项")
        coding.delete_coding(s, cid, coder="auditor")
        assert _count(s, store.Coding) == 0 and _count(s, store.CodingLink) == 0 and _count(s, store.Memo) == 0
        assert _count(s, store.Dyad) == 1
        event = s.scalars(select(store.Event).where(store.Event.type == EventType.CODING_DELETE)).one()
        assert event.coder == "auditor" and event.document_id == doc
        assert event.payload["coding"]["quote"] == "苏州与上海签署了跨城通办"
        assert len(event.payload["links"]) == 2 and event.payload["memos"][0]["text"] == "签了但没有事项"
        with pytest.raises(CodingError, match="does not exist"):
            coding.delete_coding(s, cid)


def test_codings_unit_coding_on_segments(engine):
    with store.session_scope(engine) as s:
        mark, hole, _ = _codes(s)
        doc = _doc(s, HARD)
        ids = coding.code_segment(s, doc, "paragraph", 2, [mark])
        assert s.get(store.Coding, ids[0]).quote == "第二段：宿州的窗口人员不足。"
        units = coding.segments(s, doc, "paragraph")
        assert list(units["idx"]) == [1, 2, 3]
        assert list(units["text"]) == HARD.split("\n\n")
        assert list(units["codes"]) == [[], ["Mark"], []]
        assert list(units["code_ids"]) == [[], [mark], []]
        with pytest.raises(CodingError, match="no paragraph number 9"):
            coding.code_segment(s, doc, "paragraph", 9, [mark])
        with pytest.raises(CodingError, match="'sentence' or 'paragraph'"):
            coding.segments(s, doc, "page")
        # set_segment_codes: exactly these codes for this coder on that unit
        after = coding.set_segment_codes(s, doc, "paragraph", 2, [hole])
        assert [s.get(store.Coding, i).code_id for i in after] == [hole]
        assert coding.segments(s, doc, "paragraph")["codes"].tolist()[1] == ["Hole"]
        coding.code_segment(s, doc, "paragraph", 2, [mark], coder="other")
        assert coding.set_segment_codes(s, doc, "paragraph", 2, []) == []
        assert coding.segments(s, doc, "paragraph")["codes"].tolist()[1] == ["Mark"]  # the other coder's


def test_codings_paragraph_of(engine):
    with store.session_scope(engine) as s:
        doc = _doc(s, HARD)
        second = HARD.index("第二段")
        assert coding.paragraph_of(s, doc, 0) == 1
        assert coding.paragraph_of(s, doc, 20) == 1
        assert coding.paragraph_of(s, doc, second - 1) == 1  # in the blank line
        assert coding.paragraph_of(s, doc, second) == 2
        assert coding.paragraph_of(s, doc, len(HARD)) == 3
        with pytest.raises(CodingError, match="outside"):
            coding.paragraph_of(s, doc, len(HARD) + 1)
        bare = _doc(s, "没有段落", name="bare", paragraphs=False)
        with pytest.raises(CodingError, match="no paragraph"):
            coding.paragraph_of(s, bare, 0)


def test_codings_documents_listing(engine):
    with store.session_scope(engine) as s:
        mark, hole, _ = _codes(s)
        a = _doc(s, HARD, name="访谈A")
        b = _doc(s, "Second document.", name="B", paragraphs=False)
        s.get(store.Document, b).illustrative = 1
        coding.add_coding(s, a, 20, 24, [mark, hole])
        docs = coding.documents(s)
        assert coding.document_text(s, a) == HARD
        with pytest.raises(CodingError):
            coding.document_text(s, 42)
    assert docs.to_dict("records") == [
        {"id": a, "name": "访谈A", "kind": "interview", "language": "zh", "n_chars": len(HARD), "n_codings": 2,
         "illustrative": False, "superseded_by": None},
        {"id": b, "name": "B", "kind": "interview", "language": "zh", "n_chars": 16, "n_codings": 0,
         "illustrative": True, "superseded_by": None},
    ]


def test_codings_real_policy_text_offsets_and_paragraphs(engine, shared):
    path = shared("policy_docs", "05_上海市人大常委会关于进一步促进和保障一网通办改革的决定_2021.txt")
    raw = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", raw)
    # paragraphs = non-blank lines, found independently of Tandem
    spans, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    hits, at = [], text.find("通办")
    while at != -1:
        hits.append(at)
        at = text.find("通办", at + 1)
    assert len(hits) >= 20
    with store.session_scope(engine) as s:
        mark, _, _ = _codes(s)
        doc = store.Document(name="上海一网通办决定", kind="policy", language="zh", text=text, text_sha256="0" * 64,
                             n_chars=len(text))
        s.add(doc)
        s.flush()
        s.add_all([store.Segment(document_id=doc.id, kind="paragraph", idx=i, start=a, end=b)
                   for i, (a, b) in enumerate(spans, start=1)])
        for at in hits:
            coding.add_coding(s, doc.id, at - 2, at + 2, [mark])  # e.g. "一网通办"
        frame = coding.retrieve(s, document_ids=[doc.id])
    assert list(frame["start"]) == [a - 2 for a in hits]
    assert all(q.endswith("通办") and q == text[a - 2:a + 2] for q, a in zip(frame["quote"], hits))
    expected = [next(i for i, (a, b) in enumerate(spans, start=1) if a <= h - 2 < b) for h in hits]
    assert list(frame["paragraph"]) == expected


def test_codings_segment_spans_match_segments_without_text(engine):
    with store.session_scope(engine) as s:
        doc_id = _doc(s, HARD)
        spans = coding.segment_spans(s, doc_id, "paragraph")
        full = coding.segments(s, doc_id, "paragraph")
        # the three paragraphs of HARD, split at blank lines, in code points
        first = HARD.split("\n\n")[0]
        assert spans[["idx", "start", "end"]].values.tolist() == [
            [1, 0, len(first)],
            [2, len(first) + 2, len(first) + 2 + len("第二段：宿州的窗口人员不足。")],
            [3, len(HARD) - len("第三段：湖州。"), len(HARD)],
        ]
        assert spans.equals(full[["idx", "start", "end"]])
        with pytest.raises(CodingError):
            coding.segment_spans(s, doc_id, "page")
