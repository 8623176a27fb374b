"""assist.suggest (issue 13): suggestions from coded examples on the labelled set written for it
(tests/data/assist_labelled.tsv: Chinese and English passages of Mark 留痕, Hole 漏洞 and
Cooperate 合作 in four documents). A held-out document's best suggestion for each code is one of its
true passages; the stored score and nearest example are the cosine computed here with numpy;
a second run adds nothing; rejected and coded spans are not proposed again; the queue filters by
code, score and origin. SQLite and PostgreSQL (``engine`` fixture) for the held-out test."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

import coding
import store
from assist import AssistError
from assist.encoder import encoder, model_id
from assist.suggest import DEFINITION_WEIGHT, pending_table, suggest, suggest_codes
from assist_labelled import build
from store.models import Suggestion

ROOT = Path(__file__).resolve().parent.parent
TRAIN = {"访谈丁": ["访谈甲", "Interview B", "访谈丙"], "Interview B": ["访谈甲", "访谈丙", "访谈丁"]}


def _best(session, code_id: int, doc_id: int):
    return session.execute(select(Suggestion).where(Suggestion.code_id == code_id, Suggestion.document_id == doc_id,
                                                     Suggestion.status == "pending")
                           .order_by(Suggestion.score.desc())).scalars().first()


@pytest.mark.parametrize("held_out", ["访谈丁", "Interview B"])
def test_held_out_document_gets_a_true_passage_first_for_each_code(engine, held_out, backend):
    if backend == "postgresql" and held_out != "访谈丁":
        pytest.skip("one held-out document is enough on PostgreSQL")
    with store.session_scope(engine) as s:
        info = build(s, code_documents=TRAIN[held_out])
        added = suggest(s, documents=[held_out], top=3)
        assert added == 9  # 3 codes x 3, each code having 6 human examples
        doc = info["docs"][held_out]
        for name, cid in info["codes"].items():
            best = _best(s, cid, doc)
            assert (best.start, best.end) in info["gold"][(held_out, name)], (name, best.quote, best.score)
            assert best.origin == "encoder" and best.kind == "coding" and best.model == model_id()
            assert best.quote == s.get(store.Document, doc).text[best.start:best.end]


def test_score_and_nearest_example_are_the_cosine(tmp_path):
    """Each stored score is the mean of the three highest dot products between the unit's vector and
    the vectors of the code's six human quotes; the stored example is the quote nearest to it."""
    engine = store.connect(tmp_path / "p.sqlite")
    with store.session_scope(engine) as s:
        info = build(s, code_documents=TRAIN["访谈丁"])
        doc = info["docs"]["访谈丁"]
        n_units = s.scalar(select(func.count()).select_from(store.Segment).where(
            store.Segment.document_id == doc, store.Segment.kind == "sentence"))
        assert suggest(s, code_ids=[info["codes"]["Mark"]], documents=["访谈丁"], top=50) == n_units == 8
        quotes = [s.get(store.Document, info["docs"][d]).text[a:b] for (d, c), spans in info["gold"].items()
                  if c == "Mark" and d != "访谈丁" for a, b in spans]
        enc = encoder()
        q = np.stack([enc.encode([x])[0] for x in quotes])
        for row in s.scalars(select(Suggestion)):
            cos = q @ enc.encode([row.quote])[0]
            assert row.score == pytest.approx(float(np.mean(sorted(cos)[-3:])), abs=1e-5)
            assert row.example_quote == quotes[int(cos.argmax())]
            assert s.get(store.Coding, row.example_id).quote == row.example_quote
            assert row.reason == f"Similarity {row.score:.2f} to the 3 nearest of 6 coded examples of Mark 留痕."
    engine.dispose()


def test_idempotent_rejected_and_coded_spans_not_proposed_again(tmp_path):
    engine = store.connect(tmp_path / "p.sqlite")
    with store.session_scope(engine) as s:
        info = build(s, code_documents=TRAIN["访谈丁"])
        hole = info["codes"]["Hole"]
        n_codings = s.scalar(select(func.count()).select_from(store.Coding))
        assert suggest(s, code_ids=["Hole 漏洞"], documents=["访谈丁"], top=2) == 2
        assert suggest(s, code_ids=["Hole 漏洞"], documents=["访谈丁"], top=2) == 0  # nothing duplicated
        assert s.scalar(select(func.count()).select_from(store.Coding)) == n_codings  # the queue only, no coding
        assert s.scalar(select(func.count()).select_from(Suggestion)) == 2
        first, second = sorted(s.scalars(select(Suggestion)), key=lambda r: -r.score)
        coding.reject(s, first.id)
        coding.accept(s, second.id)
        assert suggest(s, code_ids=[hole], documents=["访谈丁"], top=2) == 2
        pending = list(s.scalars(select(Suggestion).where(Suggestion.status == "pending")))
        spans = {(r.start, r.end) for r in pending}
        assert (first.start, first.end) not in spans and (second.start, second.end) not in spans
        # the accepted one is a coding of Hole now: a new unit overlapping it is never proposed
        made = s.get(store.Coding, second.result_id)
        assert (made.code_id, made.start, made.end) == (hole, second.start, second.end)
    engine.dispose()


def test_min_examples_threshold_definition_and_errors(tmp_path):
    engine = store.connect(tmp_path / "p.sqlite")
    with store.session_scope(engine) as s:
        info = build(s, code_documents=["访谈甲"])  # 2 human codings per code
        table = suggest_codes(s, documents=["访谈丁"], top=3)
        assert list(table["added"]) == [0, 0, 0]
        assert all("has 2 human codings; at least 3 are needed" in x for x in table["skipped"])
        assert suggest(s, min_examples=2, documents=["访谈丁"], top=3, threshold=0.99) == 0
        # the definition blend: score = (1 - w) * mean of the (here 2) example cosines + w * definition cosine
        code = s.get(store.Code, info["codes"]["Cooperate"])
        code.definition = "两个城市之间的合作"
        code.inclusion = "joint projects and agreements with a neighbouring city"
        suggest(s, code_ids=[code.id], min_examples=2, documents=["访谈丁"], top=1, use_definition=True)
        row = s.scalars(select(Suggestion)).one()
        enc = encoder()
        unit = enc.encode([row.quote])[0]
        examples = enc.encode([t for (d, c), spans in info["gold"].items() if d == "访谈甲" and c == "Cooperate"
                               for t in [s.get(store.Document, info["docs"][d]).text[a:b] for a, b in spans]])
        definition = enc.encode([code.definition + "\n" + code.inclusion])[0]
        want = (1 - DEFINITION_WEIGHT) * float((examples @ unit).mean()) + DEFINITION_WEIGHT * float(definition @ unit)
        assert row.score == pytest.approx(want, abs=1e-5)
        assert "definition" in row.reason
        with pytest.raises(AssistError, match="top 0 must be"):
            suggest(s, top=0)
        with pytest.raises(AssistError, match="No code is named '不存在'"):
            suggest(s, code_ids=["不存在"])
        with pytest.raises(AssistError, match="Code 999 does not exist"):
            suggest(s, code_ids=[999])
        with pytest.raises(AssistError, match="Unit"):
            suggest(s, unit="word")
    engine.dispose()


def test_pending_table_filters_by_code_score_and_origin(tmp_path):
    engine = store.connect(tmp_path / "p.sqlite")
    with store.session_scope(engine) as s:
        info = build(s, code_documents=TRAIN["访谈丁"])
        suggest(s, documents=["访谈丁"], top=2)
        s.add(Suggestion(kind="coding", code_id=info["codes"]["Mark"], document_id=info["docs"]["访谈甲"], start=209,
                         end=230, quote="x", reason="rule", origin="rule"))
        s.flush()
        every = pending_table(s)
        assert len(every) == 7 and every["score"].iloc[:6].is_monotonic_decreasing and np.isnan(every["score"].iloc[6])
        assert set(every["origin"]) == {"encoder", "rule"}
        assert len(pending_table(s, origin="encoder")) == 6 and len(pending_table(s, origin=["rule"])) == 1
        mark = pending_table(s, code="Mark 留痕")
        assert set(mark["code"]) == {"Mark 留痕"} and len(mark) == 3
        high = pending_table(s, min_score=0.45)
        assert len(high) >= 1 and (high["score"] >= 0.45).all()
        enc = pending_table(s, origin="encoder")
        assert enc["example_quote"].notna().all() and (enc["model"] == model_id()).all()
        with pytest.raises(AssistError, match="Origin"):
            pending_table(s, origin="human")
    engine.dispose()


def test_cli_suggest_similar_json(tmp_path):
    path = tmp_path / "p.sqlite"
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        build(s, code_documents=TRAIN["访谈丁"])
    engine.dispose()
    run = [sys.executable, str(ROOT / "cli.py"), "suggest-similar", "--project", str(path), "--documents", "访谈丁",
           "--top", "2", "--json"]
    out = subprocess.run(run, capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["added"] == 6 and [c["code"] for c in data["codes"]] == ["Mark 留痕", "Hole 漏洞", "Cooperate 合作"]
    again = json.loads(subprocess.run(run, capture_output=True, text=True, cwd=ROOT).stdout)
    assert again["added"] == 0
