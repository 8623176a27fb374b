"""The optional local LLM (issue 13, part 5) against a fake OpenAI-compatible server on 127.0.0.1.

The fake server (tests/fake_llm_server.py) answers from a known rule on the passage (the user
message): a passage holding 留痕 gets the code Mark (confidence 0.9), one holding 漏洞 gets Hole
(0.8). What the rule gives is therefore known passage by passage, and every count and agreement
figure below is worked out by hand from the texts, not taken from the code under test.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

import coding
import store
from assist import llm
from assist.errors import AssistError
from assist.llm_http import MAX_RESPONSE_BYTES
from corpus.importer import import_text
from fake_llm_server import FakeLLM

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-test-7c1e90d4-never-shown"

DOC_A = "他们为了考核大量留痕。台账留痕越来越多。每次检查都要拍照存档。天气很好。"
DOC_B = "领导要求材料留痕。会议记录要全程留痕。今天吃了饺子。基层负担很重。这里有制度漏洞。"


def rule(passage: str) -> list:
    out = []
    if "留痕" in passage:
        out.append(("Mark", 0.9, "The passage describes leaving traces for inspection."))
    if "漏洞" in passage:
        out.append(("Hole", 0.8, "The passage names a loophole."))
    return out


def build(engine) -> dict:
    """Two documents, codes Mark and Hole (with definitions), no codings yet."""
    with store.session_scope(engine) as s:
        a = import_text(s, DOC_A, name="访谈：广州市–佛山市").document_id
        b = import_text(s, DOC_B, name="Interview B").document_id
        mark = coding.add_code(s, "Mark", definition="Leaving traces (留痕) to satisfy an assessment.",
                               inclusion="Paperwork, photos or records made for inspectors.")
        hole = coding.add_code(s, "Hole", definition="Loopholes (漏洞) in rules that officials exploit.")
    return {"a": a, "b": b, "mark": mark, "hole": hole}


def sentences(s, doc_id: int) -> list[tuple[int, int]]:
    seg = store.Segment
    return [tuple(r) for r in s.execute(select(seg.start, seg.end).where(
        seg.document_id == doc_id, seg.kind == "sentence").order_by(seg.start)).all()]


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "p.sqlite"
    engine = store.connect(path)
    ids = build(engine)
    yield engine, ids, str(path)
    engine.dispose()


def enable(engine, fake: FakeLLM, **extra) -> None:
    with store.session_scope(engine) as s:
        llm.configure(s, endpoint=fake.url, model="qwen2.5:7b", enabled=True, **extra)


def count(s, model) -> int:
    return s.scalar(select(func.count()).select_from(model))


# --------------------------------------------------------------------------------------------- settings

def test_off_by_default_and_propose_refuses_in_one_sentence(project):
    engine, ids, _ = project
    with store.session_scope(engine) as s:
        cfg = llm.settings(s)
        assert (cfg["enabled"], cfg["endpoint"], cfg["model"], cfg["timeout"], cfg["max_passage_chars"]) == \
            (False, "", "", 60, 2000)
        with pytest.raises(AssistError) as err:
            llm.propose(s, ids["a"])
        assert str(err.value).startswith("The local LLM is off for this project;")
        assert "\n" not in str(err.value)
        assert count(s, store.LlmExchange) == 0 and count(s, store.models.Suggestion) == 0
        with pytest.raises(AssistError, match="Set an endpoint and a model"):
            llm.configure(s, enabled=True)


@pytest.mark.parametrize("url", ["https://api.openai.com/v1", "http://8.8.8.8:11434/v1", "http://llm.example.org/v1",
                                 # names a resolver may send to DNS, and the link-local cloud metadata address
                                 "http://evil.localhost/v1", "http://localhost./v1", "http://169.254.169.254/v1",
                                 "http://[fe80::1]:11434/v1"])
def test_remote_host_refused_without_allow_remote(project, url):
    engine, _, _ = project
    with store.session_scope(engine) as s:
        with pytest.raises(AssistError, match="leaves the machine.*allow_remote"):
            llm.configure(s, endpoint=url, model="m", enabled=True)
        assert llm.settings(s)["endpoint"] == ""
        cfg = llm.configure(s, endpoint=url, model="m", enabled=True, allow_remote=True)
        assert cfg["remote"] is True and cfg["enabled"] is True
        assert "leaves the machine" in cfg["warning"]
        # a later endpoint change must say allow_remote again
        with pytest.raises(AssistError, match="leaves the machine"):
            llm.configure(s, endpoint=url.replace("/v1", "/v2"))


@pytest.mark.parametrize("url", ["http://127.0.0.1:11434/v1", "http://localhost:8000/v1", "http://[::1]:8080/v1",
                                 "http://192.168.1.20:11434/v1", "http://10.0.0.5/v1", "https://172.16.3.4/v1"])
def test_local_and_private_hosts_accepted_without_warning(project, url):
    engine, _, _ = project
    with store.session_scope(engine) as s:
        cfg = llm.configure(s, endpoint=url + "/", model="m")
        assert cfg["endpoint"] == url and cfg["remote"] is False and cfg["warning"] == ""


@pytest.mark.parametrize("url, words", [("ftp://127.0.0.1/v1", "http:// or https://"),
                                        ("127.0.0.1:11434", "http:// or https://"),
                                        ("http://me:pw@127.0.0.1:11434/v1", "user name or password"),
                                        ("http://127.0.0.1:11434/v1?key=1", "without ? or #"),
                                        ("http://127.0.0.1:99999/v1", "not a valid URL")])
def test_bad_endpoints(project, url, words):
    engine, _, _ = project
    with store.session_scope(engine) as s:
        with pytest.raises(AssistError, match=words.replace("?", r"\?")):
            llm.configure(s, endpoint=url, model="m")


def test_bounds_of_numbers(project):
    engine, _, _ = project
    with store.session_scope(engine) as s:
        for kw in ({"timeout": 0}, {"timeout": 601}, {"max_passage_chars": 50}, {"timeout": True}):
            with pytest.raises(AssistError, match="must be a number of (seconds|characters) from"):
                llm.configure(s, **kw)
        assert llm.configure(s, timeout=5, max_passage_chars=100)["timeout"] == 5


# --------------------------------------------------------------------------------------------- proposals

def check_valid_round(engine, ids, fake):
    with store.session_scope(engine) as s:
        n = llm.propose(s, ids["b"], coder="甲")
    # DOC_B: sentences 1 and 2 hold 留痕 (Mark), sentence 5 holds 漏洞 (Hole): 3 suggestions
    assert n == 3
    with store.session_scope(engine) as s:
        spans = sentences(s, ids["b"])
        assert len(spans) == 5
        rows = s.scalars(select(store.models.Suggestion).order_by(store.models.Suggestion.start)).all()
        got = [(r.code_id, r.start, r.end, r.quote, r.score, r.reason, r.origin, r.status, r.kind) for r in rows]
        mark_r, hole_r = rule("留痕")[0][2], rule("漏洞")[0][2]
        assert got == [
            (ids["mark"], *spans[0], "领导要求材料留痕。", 0.9, mark_r, "llm", "pending", "coding"),
            (ids["mark"], *spans[1], "会议记录要全程留痕。", 0.9, mark_r, "llm", "pending", "coding"),
            (ids["hole"], *spans[4], "这里有制度漏洞。", 0.8, hole_r, "llm", "pending", "coding"),
        ]
        port = fake.url.split(":")[2].split("/")[0]
        assert {r.model for r in rows} == {f"qwen2.5:7b @ 127.0.0.1:{port}"}
        assert count(s, store.Coding) == 0  # nothing written to codings
        log = llm.exchanges(s)
        assert len(log) == 5 and set(log["status"]) == {"ok"} and set(log["user"]) == {"甲"}
        brief = llm.exchanges(s, bodies=False, limit=2)
        assert list(brief.columns) == llm.EXCHANGE_COLUMNS[:-2] and list(brief["id"]) == list(log["id"][:2])
        assert set(log["document"]) == {"Interview B"} and set(log["endpoint"]) == {fake.url}
        # the request sent is the one logged, and it lists the codes with their definitions
        sent = [r["body"] for r in fake.requests]
        assert sorted(log["request"].map(json.loads).map(lambda b: b["messages"][1]["content"])) == \
            sorted(b["messages"][1]["content"] for b in sent) == sorted(DOC_B[a:e] for a, e in spans)
        system = sent[0]["messages"][0]["content"]
        assert "- Mark" in system and "Leaving traces (留痕)" in system and "Paperwork, photos" in system
        assert "- Hole" in system and '"codes"' in system
        first = log.sort_values("id").iloc[0]
        assert json.loads(first["response"])["choices"][0]["message"]["content"] == json.dumps(
            {"codes": [{"code": "Mark", "confidence": 0.9, "rationale": mark_r}]}, ensure_ascii=False)
    # the review queue shows them
    with store.session_scope(engine) as s:
        queue = coding.pending(s, kind="coding")
        assert list(queue["code"]) == ["Mark", "Mark", "Hole"]


def test_valid_answers_become_pending_suggestions_with_log(project):
    engine, ids, _ = project
    with FakeLLM(rule=rule) as fake:
        enable(engine, fake)
        check_valid_round(engine, ids, fake)


def test_valid_answers_on_both_backends(engine):
    ids = build(engine)
    with FakeLLM(rule=rule) as fake:
        enable(engine, fake)
        check_valid_round(engine, ids, fake)


def test_accepted_llm_suggestion_is_an_llm_coding(project):
    """Accepting goes through the existing review queue and keeps the provenance (issue 13, part 6)."""
    engine, ids, _ = project
    with FakeLLM(rule=rule) as fake:
        enable(engine, fake)
        seen = []
        with store.session_scope(engine) as s:
            assert llm.propose(s, ids["b"], progress=lambda done, total: seen.append((done, total))) == 3
        assert seen == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
        with store.session_scope(engine) as s:
            first = s.scalars(select(store.models.Suggestion).order_by(store.models.Suggestion.start)).first()
            coding_id = coding.accept(s, first.id, coder="乙")
            row = s.get(store.Coding, coding_id)
            assert (row.start, row.end, row.code_id, row.coder) == (first.start, first.end, ids["mark"], "乙")
            assert row.origin == "llm" and "qwen2.5:7b" in row.origin_detail


def test_proxy_variables_are_ignored(project, monkeypatch):
    """Text goes only to the configured endpoint: an http_proxy in the environment is not used."""
    engine, ids, _ = project
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there: using it would fail
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    with FakeLLM(rule=rule) as fake:
        enable(engine, fake)
        with store.session_scope(engine) as s:
            res = llm.propose_detail(s, ids["a"])
        assert (res.added, res.ok, res.stopped) == (2, 4, "") and len(fake.requests) == 4


def test_fenced_json_accepted(project):
    engine, ids, _ = project
    with FakeLLM(mode="fenced", rule=rule) as fake:
        enable(engine, fake)
        with store.session_scope(engine) as s:
            assert llm.propose(s, ids["a"]) == 2  # DOC_A: sentences 1 and 2 hold 留痕
            assert "```json" in llm.exchanges(s)["response"].iloc[0]


def test_no_duplicates_of_pending_or_rejected(project):
    engine, ids, _ = project
    with FakeLLM(rule=rule) as fake:
        enable(engine, fake)
        with store.session_scope(engine) as s:
            assert llm.propose(s, ids["a"]) == 2
        with store.session_scope(engine) as s:
            first = s.scalars(select(store.models.Suggestion).order_by(store.models.Suggestion.start)).first()
            coding.reject(s, first.id)
        with store.session_scope(engine) as s:
            res = llm.propose_detail(s, ids["a"])
            assert (res.added, res.skipped, res.ok) == (0, 2, 4)
            assert count(s, store.models.Suggestion) == 2
        # a human coding of Mark over sentence 2 also keeps it out once its suggestion is gone
        with store.session_scope(engine) as s:
            s.query(store.models.Suggestion).delete()
            a, e = sentences(s, ids["a"])[1]
            coding.add_coding(s, ids["a"], a + 2, a + 4, ids["mark"], coder="甲")
        with store.session_scope(engine) as s:
            assert llm.propose(s, ids["a"]) == 1
            assert s.scalars(select(store.models.Suggestion.quote)).all() == ["他们为了考核大量留痕。"]


@pytest.mark.parametrize("mode, status, words", [
    ("garbage", "refused", "The model did not answer in JSON"),
    ("unknown", "refused", "The model proposed the code 'Not a code at all', which is not among the codes"),
    ("huge", "refused", "sent more than 256 KB"),
])
def test_unusable_answers_write_nothing_and_are_logged(project, mode, status, words):
    engine, ids, _ = project
    with FakeLLM(mode=mode, rule=rule) as fake:
        enable(engine, fake)
        with store.session_scope(engine) as s:
            res = llm.propose_detail(s, ids["a"])
            assert (res.added, res.units, res.refused, res.errors, res.stopped) == (0, 4, 4, 0, "")
        with store.session_scope(engine) as s:
            assert count(s, store.models.Suggestion) == 0 and count(s, store.Coding) == 0
            log = llm.exchanges(s)
            assert len(log) == 4 and set(log["status"]) == {status}
            assert all(e.startswith(words) or words in e for e in log["error"])
            assert all(len(e.strip().splitlines()) == 1 for e in log["error"])
            assert log["response"].map(lambda r: len(r.encode("utf-8"))).max() <= MAX_RESPONSE_BYTES


def test_http_error_logged_and_stops(project):
    engine, ids, _ = project
    with FakeLLM(mode="500", rule=rule) as fake:
        enable(engine, fake)
        with store.session_scope(engine) as s:
            res = llm.propose_detail(s, ids["a"])
        assert len(fake.requests) == 1  # the rest were not sent
        assert (res.added, res.units, res.errors, res.remaining) == (0, 1, 1, 3)
        assert res.stopped.startswith("The endpoint 127.0.0.1:") and "HTTP 500" in res.stopped
        with store.session_scope(engine) as s:
            row = s.scalars(select(store.LlmExchange)).one()
            assert (row.status, row.error) == ("error", res.stopped)
            assert "model crashed" in row.response and count(s, store.models.Suggestion) == 0


def test_slow_answer_times_out(project):
    engine, ids, _ = project
    with FakeLLM(mode="slow", rule=rule, delay=4) as fake:
        enable(engine, fake, timeout=1)
        began = time.monotonic()
        with store.session_scope(engine) as s:
            res = llm.propose_detail(s, ids["a"])
        assert time.monotonic() - began < 3.5
        assert res.stopped.endswith("did not answer within 1 s.") and res.added == 0
        with store.session_scope(engine) as s:
            assert s.scalars(select(store.LlmExchange.status)).all() == ["error"]


def test_trickling_answer_stops_at_the_timeout(project):
    """A server that sends one byte every 0.2 s never lets a single read time out; the whole answer is
    still bounded by the timeout (1 s here, the valid answer is ~250 bytes = 50 s)."""
    engine, ids, _ = project
    with FakeLLM(mode="drip", rule=rule, delay=0.2) as fake:
        enable(engine, fake, timeout=1)
        began = time.monotonic()
        with store.session_scope(engine) as s:
            res = llm.propose_detail(s, ids["a"])
        assert time.monotonic() - began < 4
        assert res.stopped.endswith("did not answer within 1 s.") and res.units == 1


def test_redirect_not_followed(project):
    engine, ids, _ = project
    with FakeLLM(mode="redirect") as fake:
        enable(engine, fake)
        with store.session_scope(engine) as s:
            res = llm.propose_detail(s, ids["a"])
        assert "redirect (HTTP 307)" in res.stopped and len(fake.requests) == 1


def test_unreachable_endpoint(project):
    engine, ids, _ = project
    with FakeLLM() as fake:
        url = fake.url
    with store.session_scope(engine) as s:
        llm.configure(s, endpoint=url, model="m", enabled=True, timeout=5)
        res = llm.propose_detail(s, ids["a"])
    assert res.stopped.startswith("Could not reach the endpoint 127.0.0.1:")


def test_unstorable_characters_in_answers_are_replaced(engine):
    """A NUL or a lone surrogate in an answer (raw, or escaped inside the JSON) is stored as U+FFFD on
    both backends instead of failing the whole call (PostgreSQL's text cannot hold NUL)."""
    ids = build(engine)
    content = json.dumps({"codes": [{"code": "Mark", "confidence": 0.9, "rationale": "bad \x00 and \ud800 here"}]})
    with FakeLLM() as fake:
        fake.answer = lambda body: (200, b"\x00 raw" if "天气" in fake.passage(body) else json.dumps(
            {"choices": [{"message": {"content": content}}]}).encode())
        enable(engine, fake)
        with store.session_scope(engine) as s:
            res = llm.propose_detail(s, ids["a"])
            assert (res.added, res.ok, res.refused) == (3, 3, 1)
        with store.session_scope(engine) as s:
            assert set(s.scalars(select(store.models.Suggestion.reason))) == {"bad \ufffd and \ufffd here"}
            assert "\ufffd raw" in s.scalars(select(store.LlmExchange.response)).all()


def test_passage_truncated_limit_and_first(project):
    engine, ids, _ = project
    long = "留痕" + "很长的句子" * 60 + "。"  # 303 characters, one sentence
    with store.session_scope(engine) as s:
        doc = import_text(s, long + "短句子一。短句子二。", name="long").document_id
    with FakeLLM(rule=rule) as fake:
        enable(engine, fake, max_passage_chars=100)
        with store.session_scope(engine) as s:
            res = llm.propose_detail(s, doc, limit=1)
            assert (res.units, res.added, res.remaining) == (1, 1, 2)
            assert fake.passage(fake.requests[0]["body"]) == long[:100]
            assert s.scalars(select(store.models.Suggestion.quote)).one() == long  # the whole unit is queued
            res = llm.propose_detail(s, doc, first=3)
            assert res.units == 1 and fake.passage(fake.requests[1]["body"]) == "短句子二。"
            with pytest.raises(AssistError, match="Send from 1 to 200 units"):
                llm.propose(s, doc, limit=201)
            with pytest.raises(AssistError, match="Codes are given by their ids"):
                llm.propose(s, doc, code_ids=["Mark"])
            for bad in ("1", 1.0, True, 10_000):
                with pytest.raises(AssistError, match="Document .* does not exist"):
                    llm.propose(s, bad)
            with pytest.raises(AssistError, match="smallest confidence"):
                llm.propose(s, doc, min_confidence="0.5")
            s.get(store.Document, ids["a"]).superseded_by = doc
            s.flush()
            with pytest.raises(AssistError, match="replaced by a corrected version"):
                llm.propose(s, ids["a"])


def test_chosen_codes_only_and_categories_refused(project):
    engine, ids, _ = project
    with store.session_scope(engine) as s:
        cat = coding.add_code(s, "Themes", codable=False)
    with FakeLLM(rule=rule) as fake:
        enable(engine, fake)
        with store.session_scope(engine) as s:
            with pytest.raises(AssistError, match="Themes is a category"):
                llm.propose(s, ids["b"], code_ids=[cat])
            # only Hole was asked about: a Mark answer is an unknown code and refused
            res = llm.propose_detail(s, ids["b"], code_ids=[ids["hole"]])
            assert (res.added, res.refused, res.ok) == (1, 2, 3)
            system = fake.requests[0]["body"]["messages"][0]["content"]
            assert "- Hole" in system and "- Mark" not in system


# --------------------------------------------------------------------------------------------- the key

def test_key_sent_as_bearer_and_never_stored_or_printed(project, monkeypatch):
    engine, ids, path = project
    monkeypatch.setenv("TANDEM_LLM_API_KEY", KEY)

    def echo(passage):  # a server that echoes the key back in its answer must not get it stored
        return [("Mark", 0.9, "ok")] if "留痕" in passage else []

    with FakeLLM(rule=echo) as fake:
        enable(engine, fake)
        original = fake.answer
        fake.answer = lambda body: (500, f'{{"error": "bad key {KEY}"}}'.encode()) if "天气" in fake.passage(body) \
            else original(body)
        with store.session_scope(engine) as s:
            assert llm.settings(s)["api_key_set"] is True
            res = llm.propose_detail(s, ids["a"])
        assert res.added == 2 and "HTTP 500" in res.stopped
        assert {r["headers"].get("Authorization") for r in fake.requests} == {f"Bearer {KEY}"}
        env = {**os.environ, "TANDEM_LLM_API_KEY": KEY}
        outs = [run("llm-config", "--project", path, env=env), run("llm-config", "--project", path, "--json"),
                run("llm-log", "--project", path, "--json", "--full"), run("llm-log", "--project", path, "--full"),
                run("llm-suggest", "--project", path, "--document", "Interview B", "--json")]
    with store.session_scope(engine) as s:
        rows = s.scalars(select(store.LlmExchange)).all()
        assert rows and not any(KEY in (r.request + r.response + r.error + r.endpoint) for r in rows)
        assert any("bad key ***" in r.response for r in rows)  # the echoed key was replaced
        assert not any(KEY in json.dumps(v, ensure_ascii=False, default=str) for v in s.scalars(
            select(store.ProjectInfo.value)))
        assert not any(KEY in (r.reason or "") + (r.model or "") for r in s.scalars(select(store.models.Suggestion)))
    for out in outs:
        assert out.returncode == 0, out.stderr
        assert KEY not in out.stdout + out.stderr
    assert "API key: set in TANDEM_LLM_API_KEY (not shown)." in outs[0].stdout
    assert json.loads(outs[1].stdout)["api_key_set"] is True


# --------------------------------------------------------------------------------------------- evaluation

def code_for_kappa(engine, ids) -> None:
    """Human codings giving, against the fake's rule, the Mark table tp 3, fp 1, fn 1, tn 4."""
    with store.session_scope(engine) as s:
        a, b = sentences(s, ids["a"]), sentences(s, ids["b"])
        assert len(a) == 4 and len(b) == 5
        # human Mark codings: A1 (rule also: TP), A3 (rule not: FN); B1, B2 (rule also: TP).
        # The rule also marks A2 (FP). A4, B3, B4, B5 neither (TN). Hole: B5 coded and proposed.
        for doc, (start, end) in ((ids["a"], a[0]), (ids["a"], a[2]), (ids["b"], b[0]), (ids["b"], b[1])):
            coding.add_coding(s, doc, start, end, ids["mark"], coder="甲")
        coding.add_coding(s, ids["b"], *b[4], ids["hole"], coder="甲")


def test_assist_eval_with_llm_scorer_gives_hand_computed_kappa(project):
    evaluate = pytest.importorskip("assist.evaluate", reason="assist.evaluate (helper S2) is not on this branch yet")
    engine, ids, _ = project
    code_for_kappa(engine, ids)
    with FakeLLM(rule=rule) as fake:
        enable(engine, fake)
        with store.session_scope(engine) as s:
            scorer = llm.scorer([ids["mark"], ids["hole"]])
            table = evaluate.assist_eval(s, codes=["Mark", "Hole"], threshold=0.5, scorer=scorer)
        assert len(fake.requests) == 9 == scorer.requests  # each unit asked once, answers shared by both codes
    mark = table[table["code"] == "Mark"].iloc[0]
    assert (mark["tp"], mark["fp"], mark["fn"], mark["tn"]) == (3, 1, 1, 4)
    # 2x2 table, n = 9: observed agreement 7/9; both raters say "Mark" on 4 of 9 units, so chance
    # agreement (4/9)^2 + (5/9)^2 = 41/81 and Cohen's kappa = (63/81 - 41/81) / (40/81) = 22/40.
    assert mark["kappa"] == pytest.approx(0.55, abs=1e-12)
    # Krippendorff's nominal alpha: coincidences o11 = 6, o00 = 8, o01 = o10 = 2 (n = 18),
    # D_o = 4/18, D_e = 2 * 8 * 10 / (18 * 17) = 160/306, alpha = 1 - (4/18) / (160/306) = 0.575.
    assert mark["alpha"] == pytest.approx(0.575, abs=1e-12)
    assert mark["precision"] == pytest.approx(0.75) and mark["recall"] == pytest.approx(0.75)
    hole = table[table["code"] == "Hole"].iloc[0]
    assert (hole["tp"], hole["fp"], hole["fn"], hole["tn"]) == (1, 0, 0, 8) and hole["kappa"] == pytest.approx(1.0)
    port = fake.url.split(":")[2].split("/")[0]
    assert table.attrs["model"] == f"qwen2.5:7b @ 127.0.0.1:{port}"
    with store.session_scope(engine) as s:  # measured, not queued: the log has the 9 exchanges, no suggestion
        assert count(s, store.LlmExchange) == 9 and count(s, store.models.Suggestion) == 0


def test_llm_eval_command(project):
    pytest.importorskip("assist.evaluate", reason="assist.evaluate (helper S2) is not on this branch yet")
    engine, ids, path = project
    code_for_kappa(engine, ids)
    with FakeLLM(rule=rule) as fake:
        enable(engine, fake)
        out = run("llm-eval", "--project", path, "--codes", "Mark", "--json")
        assert out.returncode == 0, out.stderr
        got = json.loads(out.stdout)
        mark = next(r for r in got["rows"] if r["code"] == "Mark")
        assert got["requests"] == 9 and mark["kappa"] == pytest.approx(0.55) and mark["alpha"] == pytest.approx(0.575)
        text = run("llm-eval", "--project", path, "--codes", "Mark")
        assert text.returncode == 0 and "0.550" in text.stdout and "0.575" in text.stdout
        capped = run("llm-eval", "--project", path, "--codes", "Mark", "--max-units", "3")
        assert capped.returncode == 1 and "more than 3 requests" in capped.stderr
        fake.mode = "500"
        failed = run("llm-eval", "--project", path, "--codes", "Mark")
        assert failed.returncode == 1 and "HTTP 500" in failed.stderr
    with store.session_scope(engine) as s:  # 9 + 9 + 3 exchanges, then the failed one: all kept
        assert count(s, store.LlmExchange) == 22
        assert s.scalars(select(store.LlmExchange.status).order_by(store.LlmExchange.id.desc())).first() == "error"


def test_scorer_refuses_when_off_and_on_failure(project):
    engine, ids, _ = project
    import pandas as pd

    units = pd.DataFrame({"start": [0], "end": [11]})
    with store.session_scope(engine) as s:
        with pytest.raises(AssistError, match="off for this project"):
            llm.scorer()(s, ids["mark"], [], ids["a"], units)
    with FakeLLM(mode="500") as fake:
        enable(engine, fake)
        with store.session_scope(engine) as s:
            with pytest.raises(AssistError, match="HTTP 500"):
                llm.scorer()(s, ids["mark"], [], ids["a"], units)
            with pytest.raises(AssistError, match="not among the codes"):
                llm.scorer([ids["hole"]])(s, ids["mark"], [], ids["a"], units)
    with pytest.raises(AssistError, match="Coder"):
        llm.scorer(coder="x" * 101)
    with pytest.raises(AssistError, match="Coder"):
        llm.scorer(coder="")


# --------------------------------------------------------------------------------------------- command line

def run(*args: str, env=None) -> subprocess.CompletedProcess:
    """``python cli.py ...`` in this process (``cli.main``; stdout and stderr captured); with ``env``
    in a subprocess with that environment."""
    if env is not None:
        return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True,
                              cwd=ROOT, env=env, timeout=120)
    import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def test_cli_config_suggest_log(project):
    engine, ids, path = project
    off = run("llm-config", "--project", path, "--json")
    assert off.returncode == 0, off.stderr
    assert json.loads(off.stdout) == {"enabled": False, "endpoint": "", "model": "", "timeout": 60,
                                      "max_passage_chars": 2000, "allow_remote": False, "remote": False,
                                      "warning": "", "api_key_set": False}
    refused = run("llm-suggest", "--project", path, "--document", "Interview B")
    assert refused.returncode == 1 and "The local LLM is off for this project" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
    remote = run("llm-config", "--project", path, "--endpoint", "https://api.example.com/v1", "--model", "m")
    assert remote.returncode == 1 and "leaves the machine" in remote.stderr
    with FakeLLM(rule=rule) as fake:
        on = run("llm-config", "--project", path, "--endpoint", fake.url, "--model", "qwen2.5:7b", "--enable")
        assert on.returncode == 0, on.stderr
        assert "Local LLM: on." in on.stdout and f"Endpoint: {fake.url}" in on.stdout
        out = run("llm-suggest", "--project", path, "--document", "Interview B", "--codes", "Mark", "--json")
        assert out.returncode == 0, out.stderr
        got = json.loads(out.stdout)
        # only Mark asked: sentence 5's Hole answer names a code not given -> refused
        assert (got["added"], got["units"], got["ok"], got["refused"], got["errors"]) == (2, 5, 4, 1, 0)
        assert [(r["code"], r["quote"], r["score"]) for r in got["suggestions"]] == [
            ("Mark", "领导要求材料留痕。", 0.9), ("Mark", "会议记录要全程留痕。", 0.9)]
        text = run("llm-suggest", "--project", path, "--document", "访谈：广州市–佛山市")
        assert text.returncode == 0, text.stderr
        assert text.stdout.startswith("2 suggestion(s) added to the review queue from 4 passage(s) of 访谈：广州市–佛山市")
        fake.mode = "500"
        failed = run("llm-suggest", "--project", path, "--document", "Interview B", "--unit", "paragraph")
        assert failed.returncode == 1 and "HTTP 500" in failed.stderr
    log = run("llm-log", "--project", path, "--json", "--limit", "0")
    assert log.returncode == 0, log.stderr
    rows = json.loads(log.stdout)
    # newest first: the paragraph (HTTP 500), document A's 4 sentences, then B's 5 (the 5th refused)
    assert [r["status"] for r in rows] == ["error"] + ["ok"] * 4 + ["refused"] + ["ok"] * 4
    assert rows[0]["document"] == "Interview B" and rows[5]["error"].startswith("The model proposed the code 'Hole'")
    assert {"id", "created", "user", "endpoint", "model", "document", "document_id", "status", "error", "request",
            "response"} == set(rows[0])
    shown = run("llm-log", "--project", path, "--status", "refused")
    assert shown.returncode == 0 and len(shown.stdout.strip().splitlines()) == 1 and "refused" in shown.stdout
    missing = run("llm-suggest", "--project", path, "--document", "nope")
    assert missing.returncode == 1 and "No document is named 'nope'." in missing.stderr


# --------------------------------------------------------------------------------------------- reading answers

def completion(content) -> str:
    return json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]})



def briefs():
    from assist.llm_prompt import CodeBrief

    return [CodeBrief(1, "Mark", "Leaving traces"), CodeBrief(2, "Hole"), CodeBrief(3, "人情 关系")]


def test_parse_reply_accepts_the_documented_shapes():
    from assist.llm_prompt import Proposal, parse_reply

    body = {"codes": [{"code": "Mark", "confidence": 1, "rationale": "Traces."},
                      {"code": "mark", "confidence": 0.4, "rationale": "Lower duplicate."},
                      {"code": "Ｈｏｌｅ", "confidence": 0, "rationale": "Width-folded name."},
                      {"code": "人情  关系", "confidence": 0.25}]}
    got = parse_reply(completion(json.dumps(body, ensure_ascii=False)), briefs())
    assert got == [Proposal(1, "Mark", 1.0, "Traces."), Proposal(2, "Hole", 0.0, "Width-folded name."),
                   Proposal(3, "人情 关系", 0.25, "")]
    fenced = 'Sure.\n```json\n{"codes": [{"code": "Hole", "confidence": 0.5, "rationale": "x"}]}\n```\nDone.'
    assert parse_reply(completion(fenced), briefs()) == [Proposal(2, "Hole", 0.5, "x")]
    assert parse_reply(completion('{"codes": []}'), briefs()) == []
    thinking = '<think>\nThe passage mentions {"codes"} of practice...\n</think>\n\n{"codes": [{"code": "Mark", ' \
        '"confidence": 0.7, "rationale": "r"}]}'
    assert parse_reply(completion(thinking), briefs()) == [Proposal(1, "Mark", 0.7, "r")]
    long = parse_reply(completion(json.dumps({"codes": [{"code": "Mark", "confidence": 0.5, "rationale": "字" * 900}]})),
                       briefs())[0].rationale
    assert len(long) == 500 and long.endswith("…")


@pytest.mark.parametrize("body, words", [
    ("not json", "reply is not JSON"),
    (json.dumps({"choices": []}), "has no choices[0].message.content"),
    (completion("   "), "answer is empty"),
    (completion("[1, 2]"), 'has no "codes" list'),
    (completion('<think>x</think> Mark applies.'), "did not answer in JSON"),
    (completion('{"codes": {"Mark": 1}}'), 'has no "codes" list'),
    (completion('{"codes": [{"confidence": 0.5}]}'), "has no code name"),
    (completion('{"codes": [{"code": "Mark", "confidence": 1.5}]}'), "confidence of 1.5"),
    (completion('{"codes": [{"code": "Mark", "confidence": true}]}'), "confidence of True"),
    (completion('{"codes": [{"code": "Mark", "confidence": "high"}]}'), "confidence of 'high'"),
    (completion('{"codes": [{"code": "Mark", "confidence": NaN}]}'), "confidence of nan"),
    (completion('{"codes": [{"code": "Mark", "confidence": 0.9}, {"code": "Marks", "confidence": 0.9}]}'),
     "proposed the code 'Marks'"),
])
def test_parse_reply_refuses_in_one_sentence(body, words):
    from assist.llm_prompt import ReplyError, parse_reply

    with pytest.raises(ReplyError) as err:
        parse_reply(body, briefs())
    assert words in str(err.value) and "\n" not in str(err.value)


def test_nothing_is_sent_while_off(project, monkeypatch):
    """With the LLM off (the default) or its endpoint refused, propose opens no connection at all."""
    import socket

    engine, ids, _ = project

    def guard(*args, **kwargs):
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "create_connection", guard)
    monkeypatch.setattr(socket.socket, "connect", guard)
    with store.session_scope(engine) as s:
        with pytest.raises(AssistError, match="off for this project"):
            llm.propose(s, ids["a"])
        # a remote endpoint stored by hand (not through configure) is still refused before sending
        s.add(store.ProjectInfo(key="llm", value={"enabled": True, "endpoint": "https://api.example.com/v1",
                                                  "model": "m"}))
        s.flush()
        with pytest.raises(AssistError, match="leaves the machine"):
            llm.propose(s, ids["a"])
        assert count(s, store.LlmExchange) == 0
