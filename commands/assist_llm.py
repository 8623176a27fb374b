"""Commands of the local-LLM group (issue 13, part 5; ``assist.llm``): ``llm-config``, ``llm-suggest``,
``llm-eval``, ``llm-log``.

``python cli.py llm-config --project P [--endpoint URL] [--model NAME] [--enable | --disable]
[--allow-remote] [--timeout S] [--max-passage-chars N] [--json]`` shows (and changes) the project's
LLM settings; an API key is read from ``TANDEM_LLM_API_KEY`` only and never printed (``api_key_set``
says whether it is there). ``python cli.py llm-suggest --project P --document NAME [--codes ...]
[--unit sentence|paragraph] [--limit N] [--first N] [--min-confidence X] [--coder NAME] [--json]``
sends the document's units and queues the proposals for review; when a request fails the log is
kept and the command exits 1 with the sentence. ``python cli.py llm-eval --project P [--codes ...]
[--threshold 0.5] [--unit sentence] [--max-units 500] [--json]`` is ``assist-eval`` with the LLM as
the assistant (``assist.llm.LlmScorer``). ``python cli.py llm-log --project P [--document
NAME] [--status ok|refused|error] [--limit N] [--full] [--json]`` prints the audit log.

JSON keys: llm-config ``enabled, endpoint, model, timeout, max_passage_chars, allow_remote, remote,
warning, api_key_set``; llm-suggest ``document, document_id, unit, added, units, ok, refused, errors,
skipped, remaining, stopped, problems, suggestions`` (each ``id, code, code_id, start, end, quote,
score, reason, model``); llm-eval ``unit, threshold, model, documents, requests, rows, methods``
(rows as assist-eval's, NaN as null); llm-log a list of ``id, created, user, endpoint, model, document,
document_id, status, error, request, response``.
"""
from __future__ import annotations

import json

from commands.common import CliError, session
from i18n import _

__all__ = ["register", "cmd_llm_config", "cmd_llm_suggest", "cmd_llm_eval", "cmd_llm_log"]

CONFIG_KEYS = ("enabled", "endpoint", "model", "timeout", "max_passage_chars", "allow_remote", "remote", "warning",
               "api_key_set")


def register(add) -> None:
    """Add ``llm-config``, ``llm-suggest`` and ``llm-log``."""
    p = add("llm-config", cmd_llm_config, _("Show or change the project's local LLM (an OpenAI-compatible endpoint "
            "such as Ollama's; off by default). An API key is read from TANDEM_LLM_API_KEY only."))
    p.add_argument("--endpoint", default=None, help=_("base URL, e.g. http://127.0.0.1:11434/v1 (\"\" clears it)"))
    p.add_argument("--model", default=None, help=_("the model's name on that server, e.g. qwen2.5:7b"))
    on = p.add_mutually_exclusive_group()
    on.add_argument("--enable", dest="enabled", action="store_const", const=True, default=None,
                    help=_("turn the LLM on"))
    on.add_argument("--disable", dest="enabled", action="store_const", const=False, help=_("turn the LLM off"))
    p.add_argument("--allow-remote", action="store_true",
                   help=_("accept an endpoint outside this machine and its private network (the text leaves it)"))
    p.add_argument("--timeout", type=float, default=None, help=_("seconds to wait for each answer (1 to 600)"))
    p.add_argument("--max-passage-chars", type=int, default=None,
                   help=_("longest passage sent, in characters (100 to 20,000)"))
    p.add_argument("--json", action="store_true", help=_("print JSON instead of text"))

    p = add("llm-suggest", cmd_llm_suggest, _("Ask the project's local LLM which codes apply to each passage of a "
            "document; its proposals go to the review queue, every exchange to the audit log."))
    p.add_argument("--document", required=True, help=_("the document's name"))
    p.add_argument("--codes", nargs="+", default=None, metavar="CODE",
                   help=_("code names or paths to ask about (default: every code)"))
    p.add_argument("--unit", choices=("sentence", "paragraph"), default="sentence", help=_("what one passage is"))
    p.add_argument("--limit", type=int, default=None, help=_("passages to send (at most 200, the default)"))
    p.add_argument("--first", type=int, default=1, help=_("number of the first passage to send (default 1)"))
    p.add_argument("--min-confidence", type=float, default=0.0,
                   help=_("queue only proposals with at least this confidence (0 to 1)"))
    p.add_argument("--coder", default="researcher", help=_("who asks (kept in the audit log)"))
    p.add_argument("--json", action="store_true", help=_("print JSON instead of text"))

    p = add("llm-eval", cmd_llm_eval, _("How far to trust the local LLM: the leave-one-document-out evaluation of "
            "assist-eval (precision, recall, Cohen's kappa, Krippendorff's alpha) with the LLM as the assistant."))
    p.add_argument("--codes", nargs="+", default=None, metavar="CODE",
                   help=_("code names or paths (default: every code coded in two or more documents)"))
    p.add_argument("--threshold", type=float, default=0.5,
                   help=_("a passage the model gives at least this confidence counts as suggested (default: 0.5)"))
    p.add_argument("--unit", choices=("sentence", "paragraph"), default="sentence", help=_("what one passage is"))
    p.add_argument("--max-units", type=int, default=500,
                   help=_("most passages sent to the LLM (default 500); the evaluation stops beyond"))
    p.add_argument("--coder", default="researcher", help=_("who asks (kept in the audit log)"))
    p.add_argument("--json", action="store_true", help=_("print JSON instead of text"))

    p = add("llm-log", cmd_llm_log, _("The audit log of the local LLM: every request and answer, newest first."))
    p.add_argument("--document", default=None, help=_("only exchanges about this document"))
    p.add_argument("--status", choices=("ok", "refused", "error"), default=None, help=_("only exchanges with this "
                   "status"))
    p.add_argument("--limit", type=int, default=20, help=_("newest exchanges to show (default 20; 0: all)"))
    p.add_argument("--full", action="store_true", help=_("print each request and answer in full"))
    p.add_argument("--json", action="store_true", help=_("print JSON instead of text"))


def _config_text(cfg: dict) -> str:
    import store

    lines = [
        _("Local LLM: on.") if cfg["enabled"] else _("Local LLM: off."),
        _("Endpoint: {url}").format(url=store.mask_url(cfg["endpoint"]) if cfg["endpoint"] else _("(none)")),
        _("Model: {model}").format(model=cfg["model"] or _("(none)")),
        _("Timeout: {s} s; longest passage: {n} characters.").format(s=cfg["timeout"],
                                                                    n=f"{cfg['max_passage_chars']:,}"),
        _("API key: set in TANDEM_LLM_API_KEY (not shown).") if cfg["api_key_set"]
        else _("API key: none (TANDEM_LLM_API_KEY is not set)."),
    ]
    if cfg["warning"]:
        lines.append(_("Warning: {warning}").format(warning=cfg["warning"]))
    return "\n".join(lines)


def cmd_llm_config(args) -> str:
    """Change the settings given, then print them (text or ``--json``)."""
    import store
    from assist import llm

    given = (("endpoint", args.endpoint), ("model", args.model), ("enabled", args.enabled),
             ("timeout", args.timeout), ("max_passage_chars", args.max_passage_chars))
    change = {k: v for k, v in given if v is not None}
    if args.allow_remote:
        change["allow_remote"] = True
    with session(args.project) as s:
        cfg = llm.configure(s, **change) if change else llm.settings(s)
    if args.json:
        out = {k: cfg[k] for k in CONFIG_KEYS}
        out["endpoint"] = store.mask_url(out["endpoint"]) if out["endpoint"] else ""
        return json.dumps(out, ensure_ascii=False, indent=2)
    return _config_text(cfg)


def _document_id(s, name: str) -> int:
    from sqlalchemy import select

    import store

    found = s.scalar(select(store.Document.id).where(store.Document.name == name))
    if found is None:
        raise CliError(_("No document is named {name}.").format(name=repr(name)))
    return found


def cmd_llm_suggest(args) -> str:
    """Send the document's units; print what was queued. Exits 1 (after saving) when a request failed."""
    import pandas as pd
    from sqlalchemy import select

    import store
    from assist import llm
    from coding import code_id_by_name

    with session(args.project) as s:
        doc_id = _document_id(s, args.document)
        code_ids = [code_id_by_name(s, c) for c in args.codes] if args.codes else None
        before = s.scalar(select(store.models.Suggestion.id).order_by(store.models.Suggestion.id.desc()).limit(1)) or 0
        result = llm.propose_detail(s, doc_id, code_ids, unit=args.unit, limit=args.limit, coder=args.coder,
                                    first=args.first, min_confidence=args.min_confidence)
        sug = store.models.Suggestion
        new = s.execute(select(sug, store.Code.name).join(store.Code, store.Code.id == sug.code_id)
                        .where(sug.id > before, sug.origin == "llm", sug.document_id == doc_id)
                        .order_by(sug.start, sug.id)).all()
        rows = [{"id": r.id, "code": name, "code_id": r.code_id, "start": r.start, "end": r.end, "quote": r.quote,
                 "score": r.score, "reason": r.reason, "model": r.model} for r, name in new]
    if args.json:
        out = {"document": args.document, "document_id": doc_id, "unit": args.unit, **{
            k: getattr(result, k) for k in ("added", "units", "ok", "refused", "errors", "skipped", "remaining",
                                            "stopped", "problems")}, "suggestions": rows}
        text = json.dumps(out, ensure_ascii=False, indent=2)
        if result.stopped:
            print(text)
            raise CliError(result.stopped)
        return text
    lines = [_("{added} suggestion(s) added to the review queue from {units} passage(s) of {document}: {ok} "
               "answered, {refused} refused, {errors} failed; {skipped} already queued, rejected or coded.").format(
        document=args.document, **{k: getattr(result, k) for k in ("added", "units", "ok", "refused", "errors",
                                                                     "skipped")})]
    for row in rows:
        quote = row["quote"] if len(row["quote"]) <= 40 else row["quote"][:39] + "…"
        lines.append(f"  {row['code']} · {row['score']:.2f} · {quote} · {row['reason']}")
    for problem in pd.unique(pd.Series(result.problems, dtype=object)):
        lines.append(_("Refused: {reason}").format(reason=problem))
    if result.remaining:
        lines.append(_("{n} passage(s) not sent; continue with --first {first}.").format(
            n=result.remaining, first=args.first + result.units - (1 if result.stopped else 0)))
    if result.stopped:
        print("\n".join(lines))
        raise CliError(result.stopped)
    return "\n".join(lines)


def _plain(value):
    import math

    import pandas as pd

    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item"):
        value = value.item()
    return None if isinstance(value, float) and math.isnan(value) else value


def cmd_llm_eval(args) -> str:
    """Evaluate the LLM as the assistant (``assist.evaluate.assist_eval`` with ``assist.llm.LlmScorer``).
    The exchanges are kept in the audit log even when a request fails (the command then exits 1)."""
    from assist import llm
    from assist.errors import AssistError
    from assist.evaluate import assist_eval, kappa_table, methods_sentence
    from assist.suggest import resolve_codes

    if args.max_units < 1:
        raise CliError(_("--max-units {n} must be 1 or more.").format(n=args.max_units))
    failure = None
    with session(args.project) as s:
        code_ids = resolve_codes(s, args.codes) if args.codes else None
        scorer = llm.scorer(code_ids, coder=args.coder, max_requests=args.max_units)
        try:
            table = assist_eval(s, codes=code_ids, unit=args.unit, threshold=args.threshold, scorer=scorer)
        except AssistError as exc:
            if not scorer.requests:
                raise
            failure = str(exc)  # the session commits: the exchanges sent so far stay in the log
    if failure:
        raise CliError(failure)
    a = table.attrs
    if args.json:
        rows = [{k: _plain(v) for k, v in row.items()} for row in table.to_dict(orient="records")]
        return json.dumps({"unit": a["unit"], "threshold": a["threshold"], "model": a["model"],
                           "documents": a["documents"], "requests": scorer.requests, "rows": rows,
                           "methods": methods_sentence(table)}, ensure_ascii=False, indent=2)
    shown = kappa_table(table)
    widths = [max(len(str(c)), *(len(str(v)) for v in shown[c])) + 2 for c in shown.columns]
    lines = [_("Leave-one-document-out evaluation of {model} on {n} documents ({requests} passages sent), unit: "
               "{unit}, threshold {threshold}.").format(model=a["model"], n=len(a["documents"]),
                                                        requests=scorer.requests, unit=a["unit"],
                                                        threshold=f"{a['threshold']:.2f}"), ""]
    for row in [list(shown.columns)] + [list(r) for r in shown.itertuples(index=False)]:
        lines.append("".join(str(v).ljust(w) if j == 0 else str(v).rjust(w)
                             for j, (v, w) in enumerate(zip(row, widths))))
    lines += ["", methods_sentence(table)]
    return "\n".join(lines)


def cmd_llm_log(args) -> str:
    """Print the audit log (text or ``--json``)."""
    from assist import llm

    if args.limit < 0:
        raise CliError(_("--limit {n} is negative; give 0 for all exchanges.").format(n=args.limit))
    with session(args.project) as s:
        doc_id = _document_id(s, args.document) if args.document else None
        log = llm.exchanges(s, document_id=doc_id, status=args.status, limit=args.limit or None)
    records = [{"id": int(r["id"]), "created": r["created"].isoformat() if r["created"] is not None else None,
                "user": r["user"], "endpoint": r["endpoint"], "model": r["model"], "document": r["document"],
                "document_id": None if r["document_id"] is None or r["document_id"] != r["document_id"]
                else int(r["document_id"]), "status": r["status"], "error": r["error"], "request": r["request"],
                "response": r["response"]} for r in log.astype(object).where(log.notna(), None).to_dict("records")]
    if args.json:
        return json.dumps(records, ensure_ascii=False, indent=2)
    if not records:
        return _("The LLM audit log is empty.")
    lines = []
    for r in records:
        head = (f"#{r['id']} {r['created'][:19] if r['created'] else ''} · {r['user']} · {r['model']} @ "
                f"{r['endpoint']} · {r['document'] or '—'} · {r['status']}")
        lines.append(head + (f" · {r['error']}" if r["error"] else ""))
        if args.full:
            lines += [_("  request: {text}").format(text=r["request"]),
                      _("  answer: {text}").format(text=r["response"])]
    return "\n".join(lines)
