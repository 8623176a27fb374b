"""Re-anchoring codings on a corrected version of a document (qda.md §1.1 step 3)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

import coding
import corpus
import store
from coding import CodingError
from coding.reanchoring.anchor import OffsetMap, pieces, place
from coding_state import add_cities, count, dump

A = "A"

P1 = "苏州与上海签署了跨城通办协议，𠀀号窗口先行试点。"
P2 = "第二段：杭州的干部说，信任是合作的基础，没有信任就没有协议。"
P3 = ("第三段：宿州的窗口人员不足，需要上级支持，也需要更多培训和更好的信息系统，才能把政策真正落到实处。"
      "各地经验表明，跨部门数据共享是关键😀，这一点在各个城市的访谈中都被反复提到，几乎没有任何例外，大家都认同。")
P4 = "第四段：这一段在修订稿中被整体删除，内容是关于经费的争论。"
P5 = "第五段：协议。结尾再次提到协议。"
OLD = "\n\n".join([P1, P2, P3, P4, P5])

INS_AFTER = "（2021年😀）"  # right after the coded 协议 in P1: 8 code points, 9 UTF-16 units
INS_INSIDE = "真正的"  # inside the coded 信任是合作的基础
NEW = "\n\n".join([
    P1.replace("跨城通办协议", "跨城通办协议" + INS_AFTER),
    P2.replace("信任是合作的基础", "信任是" + INS_INSIDE + "合作的基础"),
    P3,
    P5,  # P4 deleted
])

QUOTES = {"same": "跨城通办协议", "inside": "信任是合作的基础", "before": "跨部门数据共享是关键",
          "deleted": "关于经费的争论"}
# the "before" coding keeps its 32 code points of context on both sides (the edits lie further away)
assert P3.index(QUOTES["before"]) >= 32 and len(P3) - P3.index(QUOTES["before"]) - 10 >= 32


def _project(s) -> dict:
    add_cities(s)
    doc = corpus.import_text(s, OLD, name="访谈1").document_id
    trust = coding.add_code(s, "Trust", coder=A)
    ids = {}
    for key, quote in QUOTES.items():
        i = OLD.index(quote)
        (ids[key],) = coding.add_coding(s, doc, i, i + len(quote), trust, coder=A)
    i = OLD.index("结尾再次提到协议") + 6  # the last of four 协议
    (ids["repeat"],) = coding.add_coding(s, doc, i, i + 2, trust, coder=A)
    ids["link"] = coding.link_city(s, ids["before"], "330100", coder=A)
    ids["dyad"] = coding.link_dyad(s, ids["deleted"], "320500", "310000", coder=A)
    ids["memo"] = coding.add_memo(s, "coding", ids["deleted"], "money quarrel", author=A)
    return {"doc": doc, "trust": trust, **ids}


def test_reanchor_places_each_coding_by_the_rules(engine):
    assert len(INS_AFTER) == 8 and len(INS_AFTER.encode("utf-16-le")) // 2 == 9
    with store.session_scope(engine) as s:
        k = _project(s)
        old_rows = {c.id: (c.start, c.end, c.quote, c.prefix, c.suffix) for c in s.scalars(select(store.Coding))}
        report = coding.import_new_version(s, k["doc"], NEW, coder=A)
        by_id = {r["coding_id"]: r for r in report.codings}
        assert len(report.codings) == 5 and report.new_name == "访谈1 (v2)"

        same = by_id[k["same"]]
        start = OLD.index(QUOTES["same"])
        assert (same["method"], same["status"], same["start"], same["end"]) == ("same_offsets", "anchored", start,
                                                                                start + 6)
        before = by_id[k["before"]]
        shifted = OLD.index(QUOTES["before"]) + len(INS_AFTER) + len(INS_INSIDE)  # code points, not UTF-16
        assert shifted == NEW.index(QUOTES["before"])
        assert (before["method"], before["start"], before["end"]) == ("context", shifted, shifted + 10)
        inside = by_id[k["inside"]]
        at = NEW.index("信任是真正的合作的基础")
        assert (inside["method"], inside["status"], inside["start"], inside["end"]) == ("fuzzy", "review", at, at + 11)
        assert inside["new_quote"] == "信任是真正的合作的基础" and inside["score"] == pytest.approx(16 / 19, abs=1e-4)
        repeat = by_id[k["repeat"]]
        last = NEW.index("结尾再次提到协议") + 6
        assert NEW.count("协议") == 4
        assert (repeat["method"], repeat["status"], repeat["start"]) == ("nearest_quote", "anchored", last)
        gone = by_id[k["deleted"]]
        i = OLD.index(QUOTES["deleted"])
        assert (gone["method"], gone["status"], gone["start"], gone["end"], gone["score"]) == (
            "unanchored", "unanchored", i, i + 7, None)
        assert report.unanchored == [gone] and report.review == [inside]
        assert report.counts == {"same_offsets": 1, "context": 1, "fuzzy": 1, "nearest_quote": 1, "unanchored": 1}

        new_id = report.new_document_id
        assert coding.document_text(s, new_id) == NEW and coding.document_text(s, k["doc"]) == OLD
        for c in s.scalars(select(store.Coding)):
            assert c.document_id == new_id  # every coding moved, none dropped, same ids
            if c.status == "unanchored":
                assert (c.start, c.end, c.quote, c.prefix, c.suffix) == old_rows[c.id]
            else:
                assert NEW[c.start:c.end] == c.quote
                assert (c.prefix, c.suffix) == (NEW[max(0, c.start - 32):c.start], NEW[c.end:c.end + 32])
        assert s.get(store.Document, k["doc"]).superseded_by == new_id
        assert coding.versions(s, k["doc"]) == coding.versions(s, new_id) == [k["doc"], new_id]
        listing = coding.documents(s).set_index("id")
        assert listing.loc[k["doc"], "n_codings"] == 0 and listing.loc[k["doc"], "superseded_by"] == new_id
        assert listing.loc[new_id, "n_codings"] == 5 and listing.loc[new_id, "superseded_by"] is None
        # links and memos travel with the codings
        assert [x["id"] for x in coding.links_of(s, k["before"])] == [k["link"]]
        assert [x["id"] for x in coding.links_of(s, k["deleted"])] == [k["dyad"]]
        assert coding.list_memos(s, "coding", k["deleted"])["id"].tolist() == [k["memo"]]
        # the new version has its own segments and place mentions
        assert len(coding.segments(s, new_id, "paragraph")) == 4
        assert {m.city_code for m in s.scalars(select(store.PlaceMention).where(
            store.PlaceMention.document_id == new_id))} == {"320500", "310000", "330100"}
        # the unanchored coding is listed for review, with its old offsets and quote
        review = coding.codings_to_review(s, new_id)
        assert review[["id", "status", "start", "quote"]].values.tolist() == [
            [k["inside"], "review", at, "信任是真正的合作的基础"], [k["deleted"], "unanchored", i, "关于经费的争论"]]
        listed = coding.codings_in_document(s, new_id).set_index("id")
        assert listed.loc[k["deleted"], "status"] == "unanchored"
        # placing it by hand anchors it
        j = NEW.index("第五段")
        coding.update_coding(s, k["deleted"], start=j, end=j + 3, coder=A)
        fixed = s.get(store.Coding, k["deleted"])
        assert (fixed.status, fixed.quote) == ("anchored", "第五段")
        assert coding.codings_to_review(s)["id"].tolist() == [k["inside"]]


def test_reanchor_undo_redo_restores_exact_rows(engine):
    with store.session_scope(engine) as s:
        k = _project(s)
        before = dump(s)
    with store.session_scope(engine) as s:
        report = coding.import_new_version(s, k["doc"], NEW, coder=A)
        after = dump(s)
    with store.session_scope(engine) as s:
        assert coding.undo(s, A)["type"] == "document_version"
    with store.session_scope(engine) as s:
        assert dump(s) == before and s.get(store.Document, report.new_document_id) is None
        assert s.get(store.Document, k["doc"]).superseded_by is None
        coding.redo(s, A)
    with store.session_scope(engine) as s:
        assert dump(s) == after and coding.document_text(s, report.new_document_id) == NEW


def test_reanchor_threshold_and_a_file_source(engine, tmp_path):
    path = tmp_path / "访谈1-修订.txt"
    path.write_bytes(b"\xef\xbb\xbf" + NEW.replace("\n", "\r\n").encode("utf-8"))  # BOM + CRLF
    with store.session_scope(engine) as s:
        k = _project(s)
        report = coding.import_new_version(s, k["doc"], path, name="访谈1 修订", threshold=1.0, coder=A)
        assert coding.document_text(s, report.new_document_id) == NEW
        methods = {r["coding_id"]: r["method"] for r in report.codings}
        assert methods[k["inside"]] == "unanchored"  # 16/19 < 1.0
        assert methods[k["same"]] == "same_offsets" and methods[k["before"]] == "context"
        doc = s.get(store.Document, report.new_document_id)
        assert doc.source_filename == path.name and doc.encoding is not None and doc.source_sha256


def test_reanchor_refusals_write_nothing(engine):
    with store.session_scope(engine) as s:
        k = _project(s)
        before, n_events = dump(s), count(s, store.Event)
        for source, kwargs, match in [
            (OLD, {}, "identical"),
            ("\ufeff" + OLD.replace("\n", "\r\n"), {}, "identical"),  # same text once normalised
            (NEW, {"threshold": 0}, "Threshold"),
            (NEW, {"threshold": 1.5}, "Threshold"),
            (12, {}, "text .str. or a file path"),
            ("   ", {}, "contains no text"),
            (NEW, {"name": "访谈1"}, "already in the project"),
        ]:
            with pytest.raises(CodingError, match=match):
                coding.import_new_version(s, k["doc"], source, coder=A, **kwargs)
            assert dump(s) == before and count(s, store.Event) == n_events
        new_id = coding.import_new_version(s, k["doc"], NEW, coder=A).new_document_id
        with pytest.raises(CodingError, match=f"already replaced by document {new_id}"):
            coding.import_new_version(s, k["doc"], NEW + "。", coder=A)
        third = coding.import_new_version(s, new_id, NEW + "\n\n第六段。", coder=A)
        assert third.new_name == "访谈1 (v3)" and coding.versions(s, k["doc"])[-1] == third.new_document_id
        assert third.counts.get("unanchored") == 1  # still unanchored, never dropped


# --- the placement rules on their own -------------------------------------------------------

def test_anchor_pieces_join_back_and_offset_map():
    text = "甲。乙！\n\n丙？\n丁；戊"
    assert "".join(pieces(text)) == text and pieces(text) == ["甲。", "乙！\n\n", "丙？\n", "丁；", "戊"]
    old, new = "AB。CD。EF。", "AB。XCD。F。"
    m = OffsetMap(old, new)
    assert [m.start(i) for i in range(len(old) + 1)] == [0, 1, 2, 4, 5, 6, 7, 7, 8, 9]
    assert m.end(5) == 6 and m.end(3) == 3 and m.end(0) == 0  # before the inserted X, not after it


def test_anchor_rules_on_small_texts():
    old = "一二三四五六七八九十。" * 3
    same = OffsetMap(old, old)
    assert place(old, 11, 14, "一二三", old[:11], old[14:], same).method == "same_offsets"
    new = "零" + old
    shifted = place(new, 11, 14, "一二三", old[:11], old[14:46], OffsetMap(old, new))
    assert (shifted.method, shifted.start) == ("context", 12)
    edited = "零" + old[:20] + "改" + old[21:]  # breaks the context of the middle 一二三
    near = place(edited, 11, 14, "一二三", old[:11], old[14:46], OffsetMap(old, edited))
    assert (near.method, near.start, near.review) == ("nearest_quote", 12, False)
    # its own passage deleted, the quote survives only far away: placed there, but flagged
    far_old = "协议签署。" + "中间的内容" * 30 + "\n\n被删的段落：协议签署。"
    far_new = "协议签署。" + "中间的内容" * 30
    i = far_old.rindex("协议签署")
    far = place(far_new, i, i + 4, "协议签署", far_old[i - 32:i], far_old[i + 4:], OffsetMap(far_old, far_new))
    assert (far.method, far.start, far.review) == ("nearest_quote", 0, True)
    # a passage moved to the front and edited: found through a verbatim stretch, fuzzy
    a = "开头的一段话。\n\n需要重新定位的长句子包含许多独特的词语和细节。\n\n结尾。"
    b = "需要重新定位的长句子包含许多特别的词语和细节。\n\n开头的一段话。\n\n结尾。"
    quote = "需要重新定位的长句子包含许多独特的词语和细节"
    i, n = a.index(quote), len(quote)
    moved = place(b, i, i + n, quote, a[max(0, i - 32):i], a[i + n:i + n + 32], OffsetMap(a, b))
    assert moved.method == "fuzzy" and b[moved.start:moved.end] == "需要重新定位的长句子包含许多特别的词语和细节"
    assert moved.score == pytest.approx(2 * 21 / 44)
    assert place(b, i, i + n, quote, a[:i], a[i + n:], OffsetMap(a, b), threshold=0.99) is None
    assert place("完全不同的文字。", 0, 3, "一二三", "", "", OffsetMap("一二三", "完全不同的文字。")) is None


def test_anchor_offset_map_on_a_long_text_diffs_by_pieces():
    paras = [f"第{i}条：受访者{i}号说，窗口{i % 7}的办理时间缩短了。对。" for i in range(600)]
    old = "\n\n".join(paras)
    assert len(old) > 8_000  # beyond DIRECT_MAX: the piece-by-piece path
    new_paras = list(paras)
    new_paras.insert(100, "插入的一段𠀀。")  # 7 code points + the 2 of its line break
    new_paras[301] = new_paras[301].replace("缩短了", "大大缩短了")  # +2 inside paragraph 300 (old numbering)
    del new_paras[451]  # paragraph 450 (old numbering) deleted
    new = "\n\n".join(new_paras)
    m = OffsetMap(old, new)
    at = {i: old.index(f"第{i}条：") for i in (50, 200, 300, 450, 500)}
    assert m.start(at[50]) == at[50]
    assert m.start(at[200]) == at[200] + 9
    assert m.start(at[300]) == at[300] + 9
    assert m.start(at[500]) == at[500] + 9 + 2 - (len(paras[450]) + 2)
    assert m.start(at[450] + 3) == new.index("第451条：")  # inside deleted text: where it was
    quote = "受访者300号说，窗口6的办理时间缩短了"
    i = old.index(quote)
    spot = place(new, i, i + len(quote), quote, old[i - 32:i], old[i + len(quote):i + len(quote) + 32], m)
    assert spot.method == "fuzzy" and new[spot.start:spot.end] == "受访者300号说，窗口6的办理时间大大缩短了"
    short = "对。"  # 600 occurrences: the one nearest where the old one landed wins
    j = old.index("第500条：") + len(paras[500]) - 2
    spot = place(new, j, j + 2, short, "", "", m)
    assert (spot.method, spot.start) == ("nearest_quote", new.index("第500条：") + len(paras[500]) - 2)
