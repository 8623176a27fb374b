"""An optional local LLM that proposes codes for passages, through the review queue, with an audit
log (issue 13, part 5).

**Off by default, never a cloud default.** The project setting ``store.ProjectInfo["llm"]`` is
``{"enabled": false, "endpoint": "", "model": "", "timeout": 60, "max_passage_chars": 2000,
"allow_remote": false}``. The endpoint is an OpenAI-compatible base URL the researcher runs or
trusts (``http://127.0.0.1:11434/v1`` for Ollama); a host that is not loopback or private is taken
only with ``allow_remote=True`` and a warning that the text leaves the machine
(``assist.llm_http``). An API key, if the server needs one, is read from the environment variable
``TANDEM_LLM_API_KEY`` at each request: it is never stored, shown or logged (a reply that echoes
it is stored with the key replaced by ``***``).

:func:`propose` sends each unit (``store.Segment`` sentence or paragraph) of a document with the
chosen codes (``assist.llm_prompt``) and turns each valid proposal into a *pending*
``Suggestion(origin="llm")`` carrying the model's confidence as ``score`` and its one-sentence
rationale as ``reason``; accept/reject stay ``coding.suggestions``'. Nothing is ever written to
codings here. Every request and response is kept in ``store.LlmExchange`` (status ``ok``,
``refused``: an answer that could not be used, or ``error``: no usable answer; ``error`` holds one
sentence). :func:`scorer` measures the same model with ``assist.evaluate.assist_eval``.
"""
from __future__ import annotations

import json
import operator
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import store
from assist.errors import AssistError
from assist.llm_http import TransportError, api_key, host_of, post
from assist.llm_prompt import CodeBrief, Proposal, ReplyError, build_request, parse_reply
from assist.llm_settings import DEFAULTS, KEY, configure, ready, settings
from i18n import _
from store.textcheck import UNSTORABLE

__all__ = ["DEFAULTS", "KEY", "MAX_CODES", "MAX_UNITS", "EXCHANGE_COLUMNS", "LlmScorer", "ProposeResult", "configure",
           "exchanges", "propose", "propose_detail", "scorer", "settings"]

#: Most units sent in one call of :func:`propose` (use ``first`` to go on), and most codes per prompt.
MAX_UNITS = 200
MAX_CODES = 50
MIN_UNIT_CHARS = 2
EXCHANGE_COLUMNS = ["id", "created", "user", "endpoint", "model", "document_id", "document", "status", "error",
                    "request", "response"]


# ---------------------------------------------------------------------------------------------- one passage

def _briefs(session: Session, code_ids: Iterable[int] | None) -> list[CodeBrief]:
    c = store.Code
    if code_ids is None:
        rows = session.scalars(select(c).where(c.codable == 1).order_by(c.position, c.id)).all()
        if len(rows) > MAX_CODES:
            raise AssistError(_("The codebook has {n} codes; choose at most {max} to ask the LLM about.").format(
                n=len(rows), max=MAX_CODES))
    else:
        try:
            ids = list(dict.fromkeys(operator.index(i) for i in code_ids))
        except TypeError:
            raise AssistError(_("Codes are given by their ids (integers), got {codes}.").format(
                codes=repr(code_ids)[:100])) from None
        if len(ids) > MAX_CODES:
            raise AssistError(_("{n} codes were chosen; ask the LLM about at most {max} at a time.").format(
                n=len(ids), max=MAX_CODES))
        found = {row.id: row for row in session.scalars(select(c).where(c.id.in_(ids)))}
        missing = [i for i in ids if i not in found]
        if missing:
            raise AssistError(_("Code {id} does not exist.").format(id=missing[0]))
        rows = [found[i] for i in ids]
        for row in rows:
            if not row.codable:
                raise AssistError(_("{name} is a category, not a code one can apply.").format(name=row.name))
    if not rows:
        raise AssistError(_("The codebook has no codes to ask the LLM about."))
    return [CodeBrief(r.id, r.name, r.definition or "", r.inclusion or "", r.exclusion or "") for r in rows]


def _coder(coder) -> str:
    """``coding.checks.as_coder`` (a valid name of at most 100 characters) raising ``AssistError``."""
    from coding.checks import as_coder
    from coding.errors import CodingError

    try:
        return as_coder(coder)
    except CodingError as exc:
        raise AssistError(str(exc)) from None


def _is_int(value) -> bool:
    try:
        operator.index(value)
    except TypeError:
        return False
    return not isinstance(value, bool)


def _scrub(text: str) -> str:
    """``text`` as stored: the API key (if an answer echoes it) as ``***``, and characters no project
    database stores (NUL, lone surrogates: ``store.textcheck``) as U+FFFD."""
    key = api_key()
    text = text.replace(key, "***") if key and text else text
    return UNSTORABLE.sub("\ufffd", text) if text else text


@dataclass
class _Answer:
    status: str
    proposals: list[Proposal]
    error: str = ""


def _ask(session: Session, cfg: dict, briefs: list[CodeBrief], document_id: int, passage: str,
         user: str) -> _Answer:
    """Send one passage, log the exchange in the session (``store.LlmExchange``), read the answer."""
    payload = build_request(cfg["model"], briefs, passage[:cfg["max_passage_chars"]])
    row = store.LlmExchange(user=user, endpoint=store.mask_url(cfg["endpoint"])[:500], model=cfg["model"][:200],
                            document_id=document_id, request=json.dumps(payload, ensure_ascii=False))
    try:
        reply = post(cfg["endpoint"], payload, timeout=cfg["timeout"])
    except TransportError as exc:
        answer = _Answer(exc.status, [], _scrub(str(exc)))
        row.response = _scrub(exc.body)
    else:
        row.response = _scrub(reply.body)
        try:
            answer = _Answer("ok", [replace(p, rationale=_scrub(p.rationale))
                                    for p in parse_reply(reply.body, briefs)])
        except ReplyError as exc:
            answer = _Answer("refused", [], _scrub(str(exc)))
    row.status, row.error = answer.status, answer.error
    session.add(row)
    session.flush()
    return answer


def _units(session: Session, doc: store.Document, unit: str) -> list[tuple[int, int]]:
    if unit not in ("sentence", "paragraph"):
        raise AssistError(_("The unit must be sentence or paragraph, not {unit}.").format(unit=repr(unit)))
    seg = store.Segment
    spans = session.execute(select(seg.start, seg.end).where(seg.document_id == doc.id, seg.kind == unit)
                            .order_by(seg.start, seg.idx)).all()
    return [(a, b) for a, b in spans if len(doc.text[a:b].strip()) >= MIN_UNIT_CHARS]


# ---------------------------------------------------------------------------------------------- propose

@dataclass
class ProposeResult:
    """What one :func:`propose_detail` call did: ``added`` suggestions from ``units`` passages sent
    (``ok`` answered usably, ``refused`` answered unusably, ``errors`` not answered); ``stopped`` is
    the sentence of the failure that ended the call early ("" otherwise); ``remaining`` units of the
    document were not sent (use ``first`` to continue); ``problems`` the refusal sentences."""

    added: int = 0
    units: int = 0
    ok: int = 0
    refused: int = 0
    errors: int = 0
    skipped: int = 0
    remaining: int = 0
    stopped: str = ""
    problems: list[str] = field(default_factory=list)


def propose_detail(session: Session, document_id: int, code_ids: Iterable[int] | None = None, unit: str = "sentence",
                   limit: int | None = None, coder: str = "researcher", *, first: int = 1,
                   min_confidence: float = 0.0, progress: Callable[[int, int], None] | None = None) -> ProposeResult:
    """Ask the configured LLM which codes apply to each unit of a document; queue its proposals.

    Parameters
    ----------
    document_id : int
    code_ids : iterable of int, optional
        The codes to ask about (default: every codable code, at most :data:`MAX_CODES`).
    unit : {"sentence", "paragraph"}
        Units are the document's stored segments of that kind (units under 2 characters skipped).
    limit : int, optional
        Units to send, at most :data:`MAX_UNITS` (the default).
    coder : str
        Who asked (``LlmExchange.user``).
    first : int
        1-based number of the first unit to send (to go on after an earlier call).
    min_confidence : float
        Proposals below this confidence are not queued (they stay in the log).
    progress : callable, optional
        ``progress(done, total)`` after each unit sent (``total`` = units this call will send).

    Returns
    -------
    ProposeResult
        Each valid proposal becomes a pending ``Suggestion(kind="coding", origin="llm", code_id,
        document_id, start, end, quote=unit text, score=confidence, reason=rationale,
        model="<model> @ <host:port>")`` unless the same code and span is already pending or
        rejected, or a coding of that code overlaps the unit (``skipped``). After the first request
        nothing is raised: a request that fails is logged and stops the call (``stopped``); an
        unusable answer is logged as refused and the next unit is sent.

    Raises
    ------
    AssistError
        The LLM is off or its endpoint is not allowed; unknown document or code; bad unit, limit,
        first or min_confidence. Raised before anything is sent.
    """
    cfg = ready(session)
    user = _coder(coder)
    doc = session.get(store.Document, document_id) if _is_int(document_id) else None
    if doc is None:
        raise AssistError(_("Document {id} does not exist.").format(id=repr(document_id)))
    if doc.superseded_by is not None:
        raise AssistError(_("{name} was replaced by a corrected version; ask about the current version.").format(
            name=doc.name))
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_UNITS):
        raise AssistError(_("Send from 1 to {max} units at a time, not {n}.").format(max=MAX_UNITS, n=repr(limit)))
    if isinstance(first, bool) or not isinstance(first, int) or first < 1:
        raise AssistError(_("The first unit is numbered 1 or more, not {n}.").format(n=repr(first)))
    if isinstance(min_confidence, bool) or not isinstance(min_confidence, (int, float)) \
            or not 0 <= min_confidence <= 1:
        raise AssistError(_("The smallest confidence must be from 0 to 1."))
    briefs = _briefs(session, code_ids)
    spans = _units(session, doc, unit)
    todo = spans[first - 1:first - 1 + (limit or MAX_UNITS)]
    result = ProposeResult(remaining=max(0, len(spans) - (first - 1) - len(todo)))
    if not spans:
        raise AssistError(_("{name} has no sentences to send.").format(name=doc.name) if unit == "sentence" else
                          _("{name} has no paragraphs to send.").format(name=doc.name))
    sug, coded = store.models.Suggestion, store.Coding
    taken = set(session.execute(select(sug.code_id, sug.start, sug.end).where(
        sug.document_id == doc.id, sug.kind == "coding", sug.status.in_(("pending", "rejected")))).all())
    codings = session.execute(select(coded.code_id, coded.start, coded.end).where(coded.document_id == doc.id)).all()
    label = f"{cfg['model'][:150]} @ {host_of(cfg['endpoint'])}"[:200]
    for n, (start, end) in enumerate(todo):
        answer = _ask(session, cfg, briefs, doc.id, doc.text[start:end], user)
        result.units += 1
        if progress is not None:
            progress(result.units, len(todo))
        if answer.status == "error":
            result.errors += 1
            result.stopped = answer.error
            result.remaining += len(todo) - n - 1
            break
        if answer.status == "refused":
            result.refused += 1
            result.problems.append(answer.error)
            continue
        result.ok += 1
        for p in answer.proposals:
            if p.confidence < min_confidence:
                continue
            if (p.code_id, start, end) in taken or any(c == p.code_id and a < end and start < b for c, a, b in codings):
                result.skipped += 1
                continue
            session.add(sug(kind="coding", origin="llm", code_id=p.code_id, document_id=doc.id, start=start, end=end,
                            quote=doc.text[start:end], score=p.confidence, reason=p.rationale, model=label))
            taken.add((p.code_id, start, end))
            result.added += 1
    session.flush()
    return result


def propose(session: Session, document_id: int, code_ids: Iterable[int] | None = None, unit: str = "sentence",
            limit: int | None = None, coder: str = "researcher", **options) -> int:
    """:func:`propose_detail`, returning only the number of suggestions added."""
    return propose_detail(session, document_id, code_ids, unit, limit, coder, **options).added


# ---------------------------------------------------------------------------------------------- evaluation

class LlmScorer:
    """A scorer for ``assist.evaluate.assist_eval`` (its scorer protocol) that measures the
    configured LLM exactly as the encoder is measured.

    ``scorer(session, code_id, train_document_ids, test_document_id, units) -> ndarray``: for each
    row of ``units`` (columns ``start``, ``end``: code points of the test document's text) the
    model's confidence that ``code_id`` applies, 0 when it does not propose it, when its answer for
    that unit was refused, or for a unit under 2 characters (not sent, as in :func:`propose`). The
    model works zero-shot from the codebook (name, definition, criteria of ``code_ids``, default
    every codable code): the training documents are not shown to it. Each unit is sent once per
    scorer (answers are cached across codes; ``requests`` counts them, at most ``max_requests``
    when given) and every exchange is logged in the session (``store.LlmExchange``); no coding or
    suggestion is written. ``name`` is ``"<model> @ <host:port>"`` once called.

    Raises (when called)
    ------
    AssistError
        The LLM is off, ``code_id`` is not among the scorer's codes, ``max_requests`` would be
        exceeded, or a request fails (no usable measurement can be made; the exchanges so far are
        in the caller's session: commit it to keep them, as ``llm-eval`` does).
    """

    def __init__(self, code_ids: Iterable[int] | None = None, *, coder: str = "researcher",
                 max_requests: int | None = None):
        self.code_ids = None if code_ids is None else [int(i) for i in code_ids]
        self.coder, self.max_requests, self.requests = _coder(coder), max_requests, 0
        self.name = "llm"
        self._briefs: list[CodeBrief] | None = None
        self._cache: dict[tuple[int, int, int], dict[int, float]] = {}

    def __call__(self, session: Session, code_id: int, train_document_ids, test_document_id: int,
                 units: pd.DataFrame) -> np.ndarray:
        cfg = ready(session)
        self.name = f"{cfg['model'][:150]} @ {host_of(cfg['endpoint'])}"
        if self._briefs is None:
            self._briefs = _briefs(session, self.code_ids)
        if int(code_id) not in {b.id for b in self._briefs}:
            raise AssistError(_("Code {id} is not among the codes this LLM scorer asks about.").format(id=code_id))
        doc = session.get(store.Document, int(test_document_id))
        if doc is None:
            raise AssistError(_("Document {id} does not exist.").format(id=test_document_id))
        out = np.zeros(len(units), dtype=float)
        for i, (start, end) in enumerate(zip(units["start"].astype(int), units["end"].astype(int))):
            key = (doc.id, int(start), int(end))
            if key not in self._cache:
                passage = doc.text[start:end]
                if len(passage.strip()) < MIN_UNIT_CHARS:
                    self._cache[key] = {}
                    continue
                if self.max_requests is not None and self.requests >= self.max_requests:
                    raise AssistError(_("The evaluation needs more than {n} requests to the LLM; allow more "
                                        "(--max-units) or choose fewer codes or documents.").format(
                        n=self.max_requests))
                self.requests += 1
                answer = _ask(session, cfg, self._briefs, doc.id, passage, self.coder)
                if answer.status == "error":
                    raise AssistError(answer.error)
                self._cache[key] = {p.code_id: p.confidence for p in answer.proposals}
            out[i] = self._cache[key].get(int(code_id), 0.0)
        return out


def scorer(code_ids: Iterable[int] | None = None, *, coder: str = "researcher",
           max_requests: int | None = None) -> LlmScorer:
    """An :class:`LlmScorer` for ``assist.evaluate.assist_eval(..., scorer=llm.scorer())``."""
    return LlmScorer(code_ids, coder=coder, max_requests=max_requests)


# ---------------------------------------------------------------------------------------------- audit log

def exchanges(session: Session, document_id: int | None = None, status: str | None = None,
              limit: int | None = None, *, bodies: bool = True) -> pd.DataFrame:
    """The audit log, newest first: :data:`EXCHANGE_COLUMNS` (``endpoint`` masked; ``request`` the
    JSON sent, ``response`` the body received, at most 256 KB; ``document`` the name). With
    ``bodies=False`` the ``request`` and ``response`` columns are left out (not read: a quick
    listing of a long log).

    Raises
    ------
    AssistError
        A status other than ok, error or refused.
    """
    ex = store.LlmExchange
    cols = [ex.id, ex.created, ex.user, ex.endpoint, ex.model, ex.document_id, store.Document.name, ex.status,
            ex.error] + ([ex.request, ex.response] if bodies else [])
    stmt = (select(*cols).outerjoin(store.Document, store.Document.id == ex.document_id).order_by(ex.id.desc()))
    if document_id is not None:
        stmt = stmt.where(ex.document_id == int(document_id))
    if status is not None:
        if status not in ("ok", "error", "refused"):
            raise AssistError(_("The status must be ok, error or refused, not {s}.").format(s=repr(status)))
        stmt = stmt.where(ex.status == status)
    if limit is not None:
        stmt = stmt.limit(int(limit))
    columns = EXCHANGE_COLUMNS if bodies else EXCHANGE_COLUMNS[:-2]
    frame = pd.DataFrame([tuple(r) for r in session.execute(stmt).all()], columns=columns)
    frame["document_id"] = frame["document_id"].astype("Int64")
    return frame
