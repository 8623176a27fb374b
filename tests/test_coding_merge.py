"""Merging and splitting codes, moving codes: every coding kept (counts before/after), undo exact."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

import coding
import corpus
import store
from coding import CodingError
from coding_state import TEXT, add_cities, count, dump

A, B = "A", "B"


def _codings_per_code(s) -> dict[int, int]:
    return dict(s.execute(select(store.Coding.code_id, func.count()).group_by(store.Coding.code_id)).all())


def _project(s) -> dict:
    """Source code 'Trust' and target 'Confidence', with duplicates, links, memos, sub-codes, variables."""
    add_cities(s)
    doc = corpus.import_text(s, TEXT, name="访谈1").document_id
    src = coding.add_code(s, "Trust", definition="Belief that the other side delivers.", coder=A)
    tgt = coding.add_code(s, "Confidence", definition="Expectation of reliability.", coder=A)
    kid = coding.add_code(s, "Vertical", parent_id=src, coder=A)
    tkid = coding.add_code(s, "Horizontal", parent_id=tgt, coder=A)
    coding.set_variable_map(s, src, ["same_province"], coder=A)
    coding.set_variable_map(s, tgt, ["dist_km"], coder=A)
    i = TEXT.index("信任是合作的基础")
    j = TEXT.index("窗口人员不足")
    (dup_src,) = coding.add_coding(s, doc, i, i + 8, src, coder=A, memo="from source")
    (dup_tgt,) = coding.add_coding(s, doc, i, i + 8, tgt, coder=A, memo="from target")
    (other_coder,) = coding.add_coding(s, doc, i, i + 8, src, coder=B)  # same span, another coder: not a duplicate
    (plain,) = coding.add_coding(s, doc, j, j + 6, src, coder=A)
    (on_kid,) = coding.add_coding(s, doc, 0, 5, kid, coder=A)
    shared = coding.link_city(s, dup_src, "330100", coder=A)
    coding.link_city(s, dup_tgt, "330100", coder=A)  # the survivor has this link already
    own = coding.link_dyad(s, dup_src, "320500", "310000", coder=A)
    memo_on_dup = coding.add_memo(s, "coding", dup_src, "note on the duplicate", author=A)
    memo_on_src = coding.add_memo(s, "code", src, "why trust matters", author=A)
    return {"doc": doc, "src": src, "tgt": tgt, "kid": kid, "tkid": tkid, "dup_src": dup_src, "dup_tgt": dup_tgt,
            "other_coder": other_coder, "plain": plain, "on_kid": on_kid, "shared": shared, "own": own,
            "memo_on_dup": memo_on_dup, "memo_on_src": memo_on_src}


def test_merge_moves_codings_collapses_duplicates_and_undo_restores(engine):
    with store.session_scope(engine) as s:
        k = _project(s)
        before = dump(s)
        n_before = count(s, store.Coding)
        per_code = _codings_per_code(s)
    assert (n_before, per_code[k["src"]], per_code[k["tgt"]]) == (5, 3, 1)
    with store.session_scope(engine) as s:
        out = coding.merge_codes(s, k["src"], k["tgt"], coder=A)
        after = dump(s)
    assert out == {"target_id": k["tgt"], "moved": 2, "collapsed": 1, "children": 1, "memos": 1}
    with store.session_scope(engine) as s:
        assert count(s, store.Coding) == n_before - 1  # only the identical span+coder collapsed
        assert _codings_per_code(s) == {k["tgt"]: 3, k["kid"]: 1}
        assert s.get(store.Code, k["src"]) is None and s.get(store.Coding, k["dup_src"]) is None
        for cid in (k["other_coder"], k["plain"]):
            assert s.get(store.Coding, cid).code_id == k["tgt"]
        survivor = s.get(store.Coding, k["dup_tgt"])
        assert survivor.memo == "from target\n\nfrom source"
        labels = sorted(link["label"] for link in coding.links_of(s, k["dup_tgt"]))
        assert labels == ["上海市–苏州市", "杭州市"]
        assert s.get(store.CodingLink, k["own"]).coding_id == k["dup_tgt"]
        assert s.get(store.CodingLink, k["shared"]) is None
        assert coding.list_memos(s, "coding", k["dup_tgt"])["id"].tolist() == [k["memo_on_dup"]]
        assert coding.list_memos(s, "code", k["tgt"])["id"].tolist() == [k["memo_on_src"]]
        kid = s.get(store.Code, k["kid"])
        assert kid.parent_id == k["tgt"] and kid.position > s.get(store.Code, k["tkid"]).position
        assert s.get(store.Code, k["tgt"]).definition == ("Expectation of reliability.\n\nMerged from “Trust”: "
                                                          "Belief that the other side delivers.")
        assert coding.variable_map(s) == {k["tgt"]: ["dist_km", "same_province"]}
        assert "merged code “Trust” into “Confidence”" in coding.history(s)["summary"].iloc[0]
    with store.session_scope(engine) as s:
        coding.undo(s, A)
    with store.session_scope(engine) as s:
        assert dump(s) == before and count(s, store.Coding) == n_before and _codings_per_code(s) == per_code
        coding.redo(s, A)
    with store.session_scope(engine) as s:
        assert dump(s) == after


@pytest.mark.parametrize("case, match", [
    ("same", "into itself"),
    ("below", "lies below"),
    ("category", "is a category"),
    ("clash", "have namesakes"),
])
def test_merge_refusals_write_nothing(engine, case, match):
    with store.session_scope(engine) as s:
        k = _project(s)
        cat = coding.add_code(s, "Category", codable=False, coder=A)
        coding.add_code(s, "Vertical", parent_id=k["tgt"], coder=A)  # clashes with the source's sub-code
        before, n_events = dump(s), count(s, store.Event)
        source, target = {"same": (k["src"], k["src"]), "below": (k["src"], k["kid"]),
                          "category": (k["src"], cat), "clash": (k["src"], k["tgt"])}[case]
        with pytest.raises(CodingError, match=match):
            coding.merge_codes(s, source, target, coder=A)
        assert dump(s) == before and count(s, store.Event) == n_events


def test_merge_child_into_parent_and_unknown_code(engine):
    with store.session_scope(engine) as s:
        k = _project(s)
        out = coding.merge_codes(s, k["kid"], k["src"], coder=A)
        assert out["moved"] == 1 and s.get(store.Coding, k["on_kid"]).code_id == k["src"]
        with pytest.raises(CodingError, match="does not exist"):
            coding.merge_codes(s, 999, k["src"])


def test_move_and_undo_keep_every_coding(engine):
    with store.session_scope(engine) as s:
        k = _project(s)
        per_code = _codings_per_code(s)
        before = dump(s)
        coding.move_code(s, k["src"], k["tgt"], coder=A)  # the whole subtree moves
        book = coding.codebook(s).set_index("id")
        assert book.loc[k["kid"], "path"] == "Confidence/Trust/Vertical"
        assert _codings_per_code(s) == per_code
        coding.undo(s, A)
        assert dump(s) == before and coding.codebook(s).set_index("id").loc[k["kid"], "path"] == "Trust/Vertical"


def test_split_creates_children_recode_and_undo_in_order(engine):
    with store.session_scope(engine) as s:
        k = _project(s)
        before = dump(s)
        colours_before = set(s.scalars(select(store.Code.colour)))
        ids = coding.split_code(s, k["src"], ["Within province", "Across provinces"], coder=A)
        rows = [s.get(store.Code, i) for i in ids]
        assert [(r.name, r.parent_id, r.codable) for r in rows] == [
            ("Within province", k["src"], 1), ("Across provinces", k["src"], 1)]
        assert len({r.colour for r in rows}) == 2 and not {r.colour for r in rows} & colours_before
        assert _codings_per_code(s)[k["src"]] == 3  # nothing moved by the split itself
        coding.update_coding(s, k["plain"], code_id=ids[1], coder=A)  # recoding
        assert coding.undo(s, A)["type"] == "coding_update"
        assert coding.undo(s, A)["type"] == "code_split"
        assert dump(s) == before


@pytest.mark.parametrize("names, match", [
    ([], "at least one"),
    (["A", "a"], "given twice"),
    (["Vertical"], "already exists"),
    (["x/y"], "separates levels"),
    ("Within", "list of names"),
])
def test_split_refusals_write_nothing(engine, names, match):
    with store.session_scope(engine) as s:
        k = _project(s)
        before = dump(s)
        with pytest.raises(CodingError, match=match):
            coding.split_code(s, k["src"], names, coder=A)
        assert dump(s) == before


def test_split_undo_refused_while_another_coder_recoded_into_it(engine):
    with store.session_scope(engine) as s:
        k = _project(s)
        (new,) = coding.split_code(s, k["src"], ["Within province"], coder=A)
        coding.add_coding(s, k["doc"], 3, 5, new, coder=B)
        middle = dump(s)
        with pytest.raises(CodingError, match="cannot be undone: .*now has 1 coding"):
            coding.undo(s, A)
        assert dump(s) == middle
