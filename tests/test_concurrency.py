"""Several tabs or processes writing one project at once, on SQLite and on PostgreSQL.

- Racing on the same span: whoever loses the race against the unique index
  ``ux_codings_one_span`` gets the winner's coding back; one row, one ``coding_add`` event.
  Shown deterministically (a second connection commits the same coding at the exact
  moment between the look-up and the insert) and with real processes released together
  by a barrier.
- Many coders at once: every coding each process was told it made exists, and every
  coding has exactly one ``coding_add`` event that names it (nothing lost, nothing
  without its history).
"""
from __future__ import annotations

import multiprocessing as mp
from collections import Counter

import pytest
from sqlalchemy import event, func, select

import coding
import corpus
import store

TEXT = "苏州与上海签署了跨城通办协议。杭州的干部说，信任是合作的基础。" * 40
SPAN = 5  # code points per span in the process tests
JOIN_TIMEOUT = 180  # seconds; a hung worker fails the test instead of hanging it


def _setup(engine) -> tuple[int, int]:
    with store.session_scope(engine) as s:
        doc = corpus.import_text(s, TEXT, name="访谈", kind="interview").document_id
        code = coding.add_code(s, "Trust", coder="A")
    return doc, code


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _coding_add_ids(s) -> Counter:
    """How many coding_add events name each coding id."""
    seen: Counter = Counter()
    for payload in s.scalars(select(store.Event.payload).where(store.Event.type == "coding_add")):
        seen.update(c["id"] for c in payload["codings"])
    return seen


def test_losing_the_race_returns_the_winners_coding(engine):
    """B commits the same coding after A looked and before A inserts: A gets B's id, no second row or event."""
    doc, code = _setup(engine)
    other = store.connect(_url(engine))
    state = {"fired": False, "b_id": None}

    def interleave(conn, cursor, statement, parameters, context, executemany):
        # The first statement A sends after its look-up that opens its write: SAVEPOINT
        # (PostgreSQL) or BEGIN IMMEDIATE (SQLite). B wins the race right there.
        if state["fired"] or not statement.lstrip().upper().startswith(("SAVEPOINT", "BEGIN IMMEDIATE")):
            return
        state["fired"] = True
        with store.session_scope(other) as sb:
            state["b_id"] = coding.add_coding(sb, doc, 3, 9, code, coder="A")[0]

    event.listen(engine, "before_cursor_execute", interleave)
    try:
        with store.session_scope(engine) as sa:
            got = coding.add_coding(sa, doc, 3, 9, code, coder="A", memo="from tab A")
            # the transaction goes on after the refused insert (PostgreSQL would otherwise abort it)
            memo = coding.add_memo(sa, "coding", got[0], "still writable", author="A")
    finally:
        event.remove(engine, "before_cursor_execute", interleave)
        other.dispose()
    assert state["fired"] and state["b_id"] is not None
    assert got == [state["b_id"]]
    with store.session_scope(engine) as s:
        rows = s.execute(select(store.Coding.id, store.Coding.memo)).all()
        assert rows == [(state["b_id"], "")]  # B's row; A's memo was not written on it
        assert _coding_add_ids(s) == Counter({state["b_id"]: 1})
        assert s.get(store.Memo, memo).target_id == str(state["b_id"])


def _race_worker(url: str, doc: int, code: int, rounds: int, barrier, out) -> None:
    engine = store.connect(url, create=False)
    ids = []
    try:
        for r in range(rounds):
            barrier.wait(timeout=60)
            with store.session_scope(engine) as s:
                ids.append(coding.add_coding(s, doc, r * SPAN, r * SPAN + SPAN, code, coder="A")[0])
        out.put(("ok", ids))
    except BaseException as exc:  # reported to the parent, which fails the test
        out.put(("error", f"{exc.__class__.__name__}: {exc}"))
    finally:
        engine.dispose()


def _run(target, n: int, args_for) -> list:
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args_for(i), out)) for i in range(n)]
    for p in procs:
        p.start()
    results = [out.get(timeout=JOIN_TIMEOUT) for _ in procs]
    for p in procs:
        p.join(timeout=JOIN_TIMEOUT)
        assert p.exitcode == 0
    errors = [r[1] for r in results if r[0] != "ok"]
    assert not errors, errors
    return [r[1] for r in results]


def test_processes_racing_on_the_same_span_store_one_coding(engine):
    """4 processes x 20 rounds, released together each round onto a new span: 20 codings, 20 events."""
    n_proc, rounds = 4, 20
    doc, code = _setup(engine)
    url = _url(engine)
    engine.dispose()  # the children open their own connections
    barrier = mp.get_context("fork").Barrier(n_proc)
    per_process = _run(_race_worker, n_proc, lambda i: (url, doc, code, rounds, barrier))
    with store.session_scope(engine) as s:
        rows = s.execute(select(store.Coding.start, store.Coding.id).order_by(store.Coding.start)).all()
        events = _coding_add_ids(s)
    assert [start for start, _ in rows] == [r * SPAN for r in range(rounds)]  # exactly one row per span
    by_start = dict(rows)
    for ids in per_process:  # every process was handed the one stored coding of each round
        assert ids == [by_start[r * SPAN] for r in range(rounds)]
    assert events == Counter({i: 1 for i in by_start.values()})  # one coding_add event each


def _coder_worker(url: str, doc: int, code: int, coder: str, n: int, out) -> None:
    engine = store.connect(url, create=False)
    made = []
    try:
        for k in range(n):
            start = (k * 7) % (len(TEXT) - SPAN)  # coders overlap on the same spans on purpose
            with store.session_scope(engine) as s:
                made.extend(coding.add_coding(s, doc, start, start + SPAN, code, coder=coder))
        out.put(("ok", (coder, made)))
    except BaseException as exc:
        out.put(("error", f"{exc.__class__.__name__}: {exc}"))
    finally:
        engine.dispose()


def test_eight_coders_at_once_lose_nothing(engine):
    """8 processes, 15 codings each on shared spans: all 120 stored, each with exactly one coding_add event."""
    n_proc, n = 8, 15
    doc, code = _setup(engine)
    url = _url(engine)
    engine.dispose()
    made = _run(_coder_worker, n_proc, lambda i: (url, doc, code, f"coder{i}", n))
    with store.session_scope(engine) as s:
        stored = dict(s.execute(select(store.Coding.id, store.Coding.coder)).all())
        events = _coding_add_ids(s)
        n_events = s.scalar(select(func.count()).select_from(store.Event).where(store.Event.type == "coding_add"))
    assert sorted(who for who, _ in made) == [f"coder{i}" for i in range(n_proc)]
    assert all(len(ids) == n and len(set(ids)) == n for _, ids in made)
    assert sorted(i for _, ids in made for i in ids) == sorted(stored)  # nothing lost, nothing extra
    for who, ids in made:
        assert {stored[c] for c in ids} == {who}
    assert events == Counter({i: 1 for i in stored}) and n_events == n_proc * n


def test_savepoint_keeps_the_outer_transaction(engine):
    """A coding added inside store.savepoint is rolled back with its caller's transaction (on SQLite too,
    where a SAVEPOINT opened outside a transaction would have committed on release)."""
    doc, code = _setup(engine)
    with pytest.raises(RuntimeError):
        with store.session_scope(engine) as s:
            coding.add_coding(s, doc, 0, 4, code, coder="A")
            raise RuntimeError("the caller fails after the coding")
    with store.session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(store.Coding)) == 0
        assert s.scalar(select(func.count()).select_from(store.Event).where(store.Event.type == "coding_add")) == 0
