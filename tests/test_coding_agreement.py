"""Intercoder agreement (coding.agreement) against values from outside Tandem: NVivo's documented
coding-comparison example, Krippendorff's (2011) reliability data, a textbook Cohen's kappa
table, Fleiss' (1971) worked example as on Wikipedia, and hand formulas for Gwet's AC1 and
Brennan–Prediger. Data access runs on SQLite and PostgreSQL (``engine`` fixture)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import coding
import store
from coding import CodingError
from coding.agreement import POOLED, agreement, coefficients, compare_coders, overlap_share
from coding.agreement.units import pattern_counts

LETTERS = "甲乙丙丁戊己庚辛壬癸"


def _doc(session, name, text, sentences=None):
    """A document with ``sentences`` stored as sentence segments (list of (start, end))."""
    doc = store.Document(name=name, kind="interview", language="zh", text=text, text_sha256="0" * 64,
                         n_chars=len(text))
    session.add(doc)
    session.flush()
    for idx, (s, e) in enumerate(sentences or [], start=1):
        session.add(store.Segment(document_id=doc.id, kind="sentence", idx=idx, start=s, end=e))
    session.flush()
    return doc.id


def _code(session, name):
    return coding.add_code(session, name)


# ---------------------------------------------------------------- NVivo's example (character level)

def _nvivo_project(engine):
    """One source of 1,000 characters; A codes 150 (two overlapping codings), B 100, 50 in common."""
    text = "".join(LETTERS[i % 10] for i in range(1000))
    with store.session_scope(engine) as s:
        d = _doc(s, "访谈·一千字", text)
        mark = _code(s, "协议动因")
        coding.add_coding(s, d, 0, 120, mark, coder="甲")    # A: [0, 150) as two codings that overlap
        coding.add_coding(s, d, 80, 150, mark, coder="甲")
        coding.add_coding(s, d, 100, 200, mark, coder="乙")  # B: [100, 200); both: [100, 150)
    return d


def test_character_level_gives_nvivos_documented_kappa(engine):
    _nvivo_project(engine)
    with store.session_scope(engine) as s:
        t = agreement(s, ["甲", "乙"], unit="character", bootstrap=0)
    row = t[t["code"] == "协议动因"].iloc[0]
    assert (row["both"], row["only_first"], row["only_second"], row["neither"]) == (50, 100, 50, 800)
    po = (50 + 800) / 1000
    pe = (150 / 1000) * (100 / 1000) + (850 / 1000) * (900 / 1000)
    assert row["pct_agreement"] == pytest.approx(0.85)
    assert row["cohen_kappa"] == pytest.approx((po - pe) / (1 - pe))
    assert round(row["cohen_kappa"], 3) == 0.318  # NVivo Help, "Run a coding comparison query"
    # the other coefficients on the same table (docs: qda.md §3.3; hand formulas)
    assert row["gwet_ac1"] == pytest.approx((0.85 - 2 * 0.125 * 0.875) / (1 - 2 * 0.125 * 0.875))
    assert row["brennan_prediger"] == pytest.approx(0.70)
    assert row["fleiss_kappa"] == pytest.approx(0.3143, abs=1e-4)
    assert row["alpha"] == pytest.approx(0.3146, abs=1e-4)
    assert t.iloc[-1]["code"] == POOLED and t.iloc[-1]["cohen_kappa"] == pytest.approx(row["cohen_kappa"])
    assert "NVivo" in t.attrs["convention"]


def test_coded_only_variant_drops_text_nobody_coded(engine):
    """The same example over the 200 characters someone coded: P_o = 50/200, p_A = 0.75, p_B = 0.5."""
    _nvivo_project(engine)
    with store.session_scope(engine) as s:
        t = agreement(s, ["甲", "乙"], unit="character", coded_only=True, bootstrap=0)
        with pytest.raises(CodingError, match="variant of the character unit"):
            agreement(s, ["甲", "乙"], unit="segment", coded_only=True)
    row = t.iloc[0]
    assert (row["units"], row["neither"]) == (200, 0)
    po, pe = 50 / 200, 0.75 * 0.5 + 0.25 * 0.5
    assert row["cohen_kappa"] == pytest.approx((po - pe) / (1 - pe))  # -0.5
    assert "not NVivo" in t.attrs["convention"]


def test_character_alpha_matches_the_krippendorff_package_on_expanded_characters():
    import krippendorff

    v = np.array([[1, 1], [1, 0], [0, 1], [0, 0]])
    w = [7, 3, 5, 40]
    expanded = np.repeat(v, w, axis=0).T
    ours = coefficients(v, w)["alpha"]
    assert ours == pytest.approx(krippendorff.alpha(reliability_data=expanded, level_of_measurement="nominal"))


# ---------------------------------------------------------------- Krippendorff (2011), unit level

KRIPPENDORFF_2011 = [  # 4 observers x 12 units, None = missing ("Computing Krippendorff's Alpha-Reliability", p. 3)
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def test_krippendorff_2011_example_through_the_sentence_path(engine):
    """12 sentences, 4 coders, codes V1..V5 as one variable: nominal alpha = 0.743 (Krippendorff 2011)."""
    sentences = [(10 * i, 10 * i + 9) for i in range(12)]
    text = "".join(LETTERS[i % 10] * 9 + "。" for i in range(12))
    coders = ["观察者A", "观察者B", "观察者C", "观察者D"]
    with store.session_scope(engine) as s:
        d = _doc(s, "信度数据", text, sentences)
        codes = {v: _code(s, f"V{v}") for v in range(1, 6)}
        for who, values in zip(coders, KRIPPENDORFF_2011):
            for (start, end), v in zip(sentences, values):
                if v is not None:
                    coding.add_coding(s, d, start + 2, end - 2, codes[v], coder=who)
        t = agreement(s, coders, codes=[f"V{v}" for v in range(1, 6)], unit="sentence", exclusive=True,
                      bootstrap=200, seed=3)
    assert len(t) == 1
    row = t.iloc[0]
    assert round(row["alpha"], 3) == 0.743
    # the coincidence-matrix value used for the intervals is the same alpha
    assert row["alpha_low"] <= row["alpha"] <= row["alpha_high"]
    assert math.isnan(row["cohen_kappa"])  # four coders: no Cohen's kappa
    assert row["units"] == 11  # unit 12 has one value only


def test_exclusive_codes_that_overlap_are_refused(engine):
    with store.session_scope(engine) as s:
        d = _doc(s, "两码", "一二三四五六七八九十。甲乙丙丁戊己庚辛壬癸。", [(0, 11), (11, 22)])
        a, b = _code(s, "赞成"), _code(s, "反对")
        coding.add_coding(s, d, 0, 5, a, coder="甲")
        coding.add_coding(s, d, 3, 8, b, coder="甲")
        coding.add_coding(s, d, 0, 5, a, coder="乙")
        with pytest.raises(CodingError, match="not mutually exclusive"):
            agreement(s, ["甲", "乙"], codes=["赞成", "反对"], unit="sentence", exclusive=True, bootstrap=0)


def test_sentence_presence_overlap_of_one_character_and_missing_coder(engine):
    """A coding covers a sentence when it overlaps it by one character; a coder without codings in a
    document is missing there (so its sentences count for neither kappa nor alpha)."""
    with store.session_scope(engine) as s:
        d1 = _doc(s, "文一", "一二三四。五六七八。九十甲乙。", [(0, 5), (5, 10), (10, 15)])
        d2 = _doc(s, "文二", "丙丁戊己。庚辛壬癸。", [(0, 5), (5, 10)])
        c = _code(s, "信任")
        coding.add_coding(s, d1, 4, 6, c, coder="甲")   # touches sentences 1 and 2 by one character each
        coding.add_coding(s, d1, 5, 9, c, coder="乙")   # sentence 2 only
        coding.add_coding(s, d2, 0, 3, c, coder="甲")   # 乙 never coded 文二: missing there
        t = agreement(s, ["甲", "乙"], documents=["文一", "文二"], unit="sentence", bootstrap=0)
    row = t.iloc[0]
    assert (row["both"], row["only_first"], row["only_second"], row["neither"]) == (1, 1, 0, 1)
    assert row["units"] == 3
    assert row["cohen_kappa"] == pytest.approx((2 / 3 - (2 / 3 * 1 / 3 + 1 / 3 * 2 / 3)) / (1 - 4 / 9))
    import krippendorff

    expected = krippendorff.alpha(reliability_data=[[1, 1, 0, 1, np.nan], [0, 1, 0, np.nan, np.nan]],
                                  level_of_measurement="nominal")
    assert row["alpha"] == pytest.approx(expected)


# ---------------------------------------------------------------- coefficients on textbook tables

def _table(a, b, c, d):
    return np.array([[1, 1], [1, 0], [0, 1], [0, 0]]), np.array([a, b, c, d], dtype=float)


def test_cohens_kappa_on_a_textbook_table():
    """Wikipedia's "Cohen's kappa" example: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no -> 0.4."""
    v, w = _table(20, 5, 10, 15)
    n = 50
    po = (20 + 15) / n
    pe = (25 / n) * (30 / n) + (25 / n) * (20 / n)
    assert coefficients(v, w)["cohen_kappa"] == pytest.approx((po - pe) / (1 - pe))
    assert coefficients(v, w)["cohen_kappa"] == pytest.approx(0.4)
    from statsmodels.stats.inter_rater import cohens_kappa

    assert coefficients(v, w)["cohen_kappa"] == pytest.approx(cohens_kappa([[20, 5], [10, 15]]).kappa)


FLEISS_WIKIPEDIA = [  # 10 subjects x 5 categories, 14 raters each (Wikipedia "Fleiss' kappa", worked example)
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
]


def test_fleiss_kappa_on_the_worked_example():
    ratings = np.array([[j for j, n in enumerate(row) for _ in range(n)] for row in FLEISS_WIKIPEDIA], dtype=float)
    out = coefficients(ratings, categories=(0, 1, 2, 3, 4))
    assert round(out["fleiss_kappa"], 3) == 0.210  # P̄ = 0.378, P̄e = 0.213
    from statsmodels.stats.inter_rater import fleiss_kappa

    assert out["fleiss_kappa"] == pytest.approx(fleiss_kappa(np.array(FLEISS_WIKIPEDIA)))
    assert out["pct_agreement"] == pytest.approx(0.378, abs=5e-4)


def test_gwet_ac1_and_brennan_prediger_by_hand():
    a, b, c, d = 40, 9, 6, 45
    n = a + b + c + d
    v, w = _table(a, b, c, d)
    po = (a + d) / n
    pi = ((a + b) / n + (a + c) / n) / 2
    pe = 2 * pi * (1 - pi)
    out = coefficients(v, w)
    assert out["gwet_ac1"] == pytest.approx((po - pe) / (1 - pe))
    assert out["brennan_prediger"] == pytest.approx((po - 0.5) / 0.5)
    assert out["pct_agreement"] == pytest.approx(0.85)


def test_constant_ratings_give_nan_not_zero_or_one():
    v, w = _table(0, 0, 0, 30)
    out = coefficients(v, w)
    assert math.isnan(out["cohen_kappa"]) and math.isnan(out["alpha"]) and math.isnan(out["fleiss_kappa"])
    assert out["pct_agreement"] == 1.0


def test_pattern_counts_round_trip():
    values = np.array([[[1, np.nan]], [[0, 0]], [[1, np.nan]]])
    patterns, counts = pattern_counts(values)
    rebuilt = np.einsum("uck,km->ucm", counts, np.nan_to_num(patterns, nan=-1))
    assert np.array_equal(np.nan_to_num(values, nan=-1), rebuilt)


# ---------------------------------------------------------------- bootstrap

SPANS = [((0, 40), (10, 40)), ((20, 60), (20, 50)), ((0, 30), (50, 80)), ((5, 95), (0, 90)), ((30, 35), (31, 70)),
         ((10, 20), (10, 21)), ((60, 99), (0, 10)), ((40, 80), (45, 85)), ((1, 50), (25, 75)), ((70, 90), (72, 88))]


def _ten_documents(engine):
    with store.session_scope(engine) as s:
        c = _code(s, "需求")
        for k, (a_span, b_span) in enumerate(SPANS):
            d = _doc(s, f"访谈{k + 1}", LETTERS * 10)
            coding.add_coding(s, d, *a_span, c, coder="甲")
            coding.add_coding(s, d, *b_span, c, coder="乙")


def test_bootstrap_intervals_contain_the_estimate_and_repeat_with_the_seed(engine):
    _ten_documents(engine)
    with store.session_scope(engine) as s:
        one = agreement(s, ["甲", "乙"], unit="character", bootstrap=300, seed=7)
        again = agreement(s, ["甲", "乙"], unit="character", bootstrap=300, seed=7)
        other = agreement(s, ["甲", "乙"], unit="character", bootstrap=300, seed=8)
    for k in ("cohen_kappa", "alpha"):
        for _, row in one.iterrows():
            assert row[f"{k}_low"] <= row[k] <= row[f"{k}_high"]
            assert row[f"{k}_low"] < row[f"{k}_high"]
    pd.testing.assert_frame_equal(one, again)
    assert not one[["cohen_kappa_low", "cohen_kappa_high"]].equals(other[["cohen_kappa_low", "cohen_kappa_high"]])


# ---------------------------------------------------------------- segments (MAXQDA)

def test_overlap_share_by_hand():
    assert overlap_share((0, 100), (5, 100)) == pytest.approx(0.95)
    assert overlap_share((200, 300), (200, 250)) == pytest.approx(0.5)
    assert overlap_share((0, 10), (10, 20)) == 0.0


def _segment_project(engine):
    text = (LETTERS * 50)[:500]
    with store.session_scope(engine) as s:
        d = _doc(s, "访谈·片段", text)
        c = _code(s, "跨城通办")
        coding.add_coding(s, d, 0, 100, c, coder="甲")
        coding.add_coding(s, d, 5, 100, c, coder="乙")      # 95% overlap: matched at 0.9
        coding.add_coding(s, d, 200, 300, c, coder="甲")
        coding.add_coding(s, d, 200, 250, c, coder="乙")    # 50%: matched only at 0.5 or below
        coding.add_coding(s, d, 400, 420, c, coder="乙")    # nobody else
    return text


def test_segment_agreement_on_hand_made_spans(engine):
    text = _segment_project(engine)
    with store.session_scope(engine) as s:
        strict = agreement(s, ["甲", "乙"], unit="segment", bootstrap=0)
        loose = agreement(s, ["甲", "乙"], unit="segment", overlap=0.5, bootstrap=0)
    row = strict.iloc[0]
    assert (row["segments"], row["matched"], row["unmatched"]) == (5, 2, 3)
    assert row["pct_agreement"] == pytest.approx(2 / 5)
    assert strict.attrs["overlap"] == 0.9
    unmatched = {(u["coder"], u["start"], u["end"]) for u in strict.attrs["unmatched"]}
    assert unmatched == {("甲", 200, 300), ("乙", 200, 250), ("乙", 400, 420)}
    u = next(u for u in strict.attrs["unmatched"] if u["start"] == 400)
    assert u["document"] == "访谈·片段" and u["code"] == "跨城通办" and u["quote"] == text[400:420]
    assert loose.iloc[0]["matched"] == 4
    with store.session_scope(engine) as s:
        boot = agreement(s, ["甲", "乙"], unit="segment", bootstrap=300, seed=5)
    r = boot.iloc[0]
    assert 0 <= r["pct_agreement_low"] <= r["pct_agreement"] <= r["pct_agreement_high"] <= 1
    assert r["pct_agreement_low"] < r["pct_agreement_high"]


def test_readable_table_and_its_csv(engine):
    from coding.agreement import readable
    from coding.spreadsheet import to_csv_bytes

    _nvivo_project(engine)
    with store.session_scope(engine) as s:
        t = agreement(s, ["甲", "乙"], unit="character", bootstrap=0)
    shown = readable(t)
    assert shown.loc[0, "Code"] == "协议动因" and shown.loc[0, "Agreement"] == "85.0%"
    assert shown.loc[0, "Cohen's κ"] == "0.318" and shown.loc[0, "Cohen's κ 95% CI"] == "—"
    assert shown.loc[0, "Neither"] == "800"
    csv = to_csv_bytes(readable(t, text=False)).decode("utf-8-sig")
    assert "协议动因" in csv and "Cohen's κ 95% low" in csv


def test_segment_agreement_needs_two_coders_and_a_share(engine):
    _segment_project(engine)
    with store.session_scope(engine) as s:
        with pytest.raises(CodingError, match="between 0 and 1"):
            agreement(s, ["甲", "乙"], unit="segment", overlap=90, bootstrap=0)


# ---------------------------------------------------------------- data access and comparison

def test_unknown_coder_names_the_coders_with_codings(engine):
    _segment_project(engine)
    with store.session_scope(engine) as s:
        with pytest.raises(CodingError, match="Coder '丙' has no codings; coders with codings: 乙, 甲"):
            agreement(s, ["甲", "丙"])
        with pytest.raises(CodingError, match="at least two"):
            agreement(s, ["甲", "甲"])
        with pytest.raises(CodingError, match="not one of"):
            agreement(s, ["甲", "乙"], unit="word")
        with pytest.raises(CodingError, match="No current document"):
            agreement(s, ["甲", "乙"], documents=["没有"])
        with pytest.raises(CodingError, match="no sentences"):
            agreement(s, ["甲", "乙"], unit="sentence")


def test_compare_coders_side_by_side(engine):
    text = _segment_project(engine)
    with store.session_scope(engine) as s:
        cmp = compare_coders(s, "访谈·片段", ["甲", "乙"])
    got = list(zip(cmp["start"], cmp["end"], cmp["status"]))
    assert got == [(0, 5, "only 甲"), (5, 100, "both"), (200, 250, "both"), (250, 300, "only 甲"),
                   (400, 420, "only 乙")]
    assert cmp["quote"].iloc[0] == text[0:5] and cmp.attrs["text"] == text
    assert set(cmp["code"]) == {"跨城通办"}


def test_three_coders_fleiss_kappa_through_the_sentence_path(engine):
    """Three coders, six sentences: presence written out by hand; Fleiss' kappa from statsmodels on the
    count table built from that hand matrix, alpha from the krippendorff package."""
    hand = [  # sentence x coder (甲, 乙, 丙): 1 = applied the code
        [1, 1, 1], [1, 1, 0], [0, 0, 0], [0, 1, 0], [1, 1, 1], [0, 0, 1],
    ]
    sentences = [(6 * i, 6 * i + 5) for i in range(6)]
    text = "".join(LETTERS[i] * 5 + "。" for i in range(6))
    with store.session_scope(engine) as s:
        d = _doc(s, "三人", text, sentences)
        c = _code(s, "信任")
        other = _code(s, "其他")
        for k, who in enumerate(["甲", "乙", "丙"]):
            coding.add_coding(s, d, 5, 6, other, coder=who)  # everyone coded the document (the full stop only)
            for (start, end), row in zip(sentences, hand):
                if row[k]:
                    coding.add_coding(s, d, start + 1, start + 3, c, coder=who)
        t = agreement(s, ["甲", "乙", "丙"], codes=["信任"], unit="sentence", bootstrap=100)
    from statsmodels.stats.inter_rater import fleiss_kappa
    import krippendorff

    counts = np.array([[3 - sum(r), sum(r)] for r in hand])
    row = t.iloc[0]
    assert row["fleiss_kappa"] == pytest.approx(fleiss_kappa(counts))
    assert row["alpha"] == pytest.approx(krippendorff.alpha(reliability_data=np.array(hand).T,
                                                            level_of_measurement="nominal"))
    assert math.isnan(row["cohen_kappa"]) and math.isnan(row["both"])
    assert row["fleiss_kappa_low"] <= row["fleiss_kappa"] <= row["fleiss_kappa_high"]
