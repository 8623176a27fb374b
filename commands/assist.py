"""Commands of the assist group (issue 13), all offline: ``semantic-search`` (passages ranked by
meaning, ``assist.search``), ``suggest-similar`` (suggestions from coded examples into the review
queue, ``assist.suggest``) and ``assist-eval`` (leave-one-document-out precision, recall, Cohen's
kappa and Krippendorff's alpha against the human coders, ``assist.evaluate``).

``python cli.py semantic-search --project P "query" [--like-coding ID] [--unit sentence|paragraph]
[--documents NAME ...] [--cities CITY ...] [--dyad CITY CITY] [--uncoded] [--limit N] [--json]``; ``--json``: ``{"query", "like_coding",
"unit", "rows": [{"rank", "score", "document", "document_id", "start", "end", "text", "codes"}]}``.

``python cli.py suggest-similar --project P [--codes NAME ...] [--top N] [--min-examples K]
[--definition] [--threshold T] [--documents NAME ...] [--json]``; ``--json``: ``{"added", "model",
"codes": [{"code_id", "code", "examples", "candidates", "added", "best", "skipped"}]}``.

``python cli.py assist-eval --project P [--codes NAME ...] [--threshold 0.4] [--unit sentence]
[--json]``; ``--json``: ``{"unit", "threshold", "model", "documents", "rows": [{"code_id", "code",
"documents", "units", "gold", "predicted", "tp", "fp", "fn", "tn", "precision", "recall",
"pct_agreement", "kappa", "alpha"}], "sweep": [{"threshold", "predicted", "precision", "recall",
"kappa", "alpha"}], "methods"}`` (the pooled row last with ``code_id`` null; NaN as null).
"""
from __future__ import annotations

import json
import math
import sys
import time

from commands.common import CliError, session
from i18n import _

__all__ = ["register", "cmd_assist_eval", "cmd_semantic_search", "cmd_suggest_similar"]

UNITS = ("sentence", "paragraph")


def register(add) -> None:
    """Add ``semantic-search``, ``suggest-similar`` and ``assist-eval``."""
    p = add("semantic-search", cmd_semantic_search, _("Passages ranked by meaning (Chinese or English query, or "
            "passages like a coding), with the offline sentence encoder; nothing leaves the machine."))
    p.add_argument("query", nargs="?", default=None, help=_("the text to search for"))
    p.add_argument("--like-coding", type=int, default=None, metavar="ID",
                   help=_("search for passages like this coding instead of a query"))
    p.add_argument("--unit", choices=UNITS, default="sentence", help=_("sentence or paragraph (default: sentence)"))
    p.add_argument("--documents", nargs="+", default=None, metavar="NAME", help=_("only these documents"))
    p.add_argument("--uncoded", action="store_true", help=_("only passages no coding covers"))
    p.add_argument("--cities", nargs="+", default=None, metavar="CITY",
                   help=_("only passages coded with a link to one of these cities, or to a pair containing it "
                          "(names or codes)"))
    p.add_argument("--dyad", nargs=2, default=None, metavar="CITY",
                   help=_("only passages coded with a link to this pair of cities (names or codes)"))
    p.add_argument("--limit", type=int, default=20, help=_("how many passages (default: 20)"))
    p.add_argument("--json", action="store_true", help=_("print JSON instead of text"))

    p = add("suggest-similar", cmd_suggest_similar, _("Suggest codings from coded examples: for each code with enough "
            "human codings, the most similar uncoded passages go into the review queue."))
    p.add_argument("--codes", nargs="+", default=None, metavar="CODE", help=_("code names or paths (default: every code)"))
    p.add_argument("--top", type=int, default=10, help=_("suggestions per code (default: 10)"))
    p.add_argument("--min-examples", type=int, default=3,
                   help=_("skip codes with fewer human codings than this (default: 3)"))
    p.add_argument("--definition", action="store_true", help=_("blend in the similarity to the code's definition"))
    p.add_argument("--threshold", type=float, default=None, help=_("only passages scoring at least this (cosine)"))
    p.add_argument("--unit", choices=UNITS, default="sentence", help=_("sentence or paragraph (default: sentence)"))
    p.add_argument("--documents", nargs="+", default=None, metavar="NAME", help=_("suggest only in these documents"))
    p.add_argument("--json", action="store_true", help=_("print JSON instead of text"))

    p = add("assist-eval", cmd_assist_eval, _("How far to trust the suggestions: leave-one-document-out precision, "
            "recall, Cohen's kappa and Krippendorff's alpha between the assistant and the human coders."))
    p.add_argument("--codes", nargs="+", default=None, metavar="CODE",
                   help=_("code names or paths (default: every code coded in two or more documents)"))
    p.add_argument("--threshold", type=float, default=None,
                   help=_("a passage scoring at least this counts as suggested (default: 0.4 for the sentence "
                          "encoder)"))
    p.add_argument("--unit", choices=UNITS, default="sentence", help=_("sentence or paragraph (default: sentence)"))
    p.add_argument("--json", action="store_true", help=_("print JSON instead of text"))


def _clean(value):
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list):
        return [_clean(v) for v in value]
    try:
        import pandas as pd

        if value is pd.NA:
            return None
    except ImportError:  # pragma: no cover
        pass
    return value


def _records(frame) -> list[dict]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _short(text: str, width: int = 70) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _progress():
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if total and (done == total or now - last[0] >= 1.0):
            last[0] = now
            print(_("Embedding: {done} of {total} units").format(done=done, total=total), file=sys.stderr)
    return report


def cmd_semantic_search(args) -> str:
    """Search and print the ranked passages (text or ``--json``)."""
    from assist.search import search

    if args.query is None and args.like_coding is None:
        raise CliError(_("Give a query, or --like-coding with a coding id."))
    with session(args.project) as s:
        found = search(s, query=args.query, like_coding=args.like_coding, unit=args.unit, documents=args.documents,
                       cities=args.cities, dyads=[tuple(args.dyad)] if args.dyad else None,
                       uncoded_only=args.uncoded, limit=args.limit, progress=_progress())
    if args.json:
        return json.dumps({"query": args.query, "like_coding": args.like_coding, "unit": args.unit,
                           "rows": _records(found)}, ensure_ascii=False, indent=2)
    if found.empty:
        return _("No passage matches.")
    lines = []
    for row in found.to_dict(orient="records"):
        codes = ", ".join(row["codes"])
        lines.append(f"{row['rank']:>3}. {row['score']:.3f}  {row['document']} [{row['start']}, {row['end']})  "
                     f"{_short(row['text'])}" + (f"  ({codes})" if codes else ""))
    return "\n".join(lines)


def cmd_suggest_similar(args) -> str:
    """Queue suggestions from coded examples; print how many per code."""
    from assist.encoder import model_id
    from assist.suggest import suggest_codes

    with session(args.project) as s:
        table = suggest_codes(s, args.codes, args.unit, args.top, args.min_examples, args.definition, args.threshold,
                              args.documents, progress=_progress())
    added = int(table["added"].sum())
    if args.json:
        return json.dumps({"added": added, "model": model_id(), "codes": _records(table)}, ensure_ascii=False,
                          indent=2)
    lines = [_("{n} suggestion(s) added to the review queue ({model}).").format(n=added, model=model_id())]
    for row in table.to_dict(orient="records"):
        if row["skipped"]:
            lines.append(f"  {row['code']}: {row['skipped']}")
        else:
            lines.append("  " + _("{code}: {added} added from {examples} examples (best score {best}).").format(
                code=row["code"], added=row["added"], examples=row["examples"],
                best="—" if math.isnan(row["best"]) else f"{row['best']:.3f}"))
    return "\n".join(lines)


def cmd_assist_eval(args) -> str:
    """Run the leave-one-document-out evaluation and print the table (text or ``--json``)."""
    from assist.evaluate import kappa_table, methods_sentence
    from assist.evaluate import assist_eval

    with session(args.project) as s:
        table = assist_eval(s, codes=args.codes, unit=args.unit, threshold=args.threshold)
    a = table.attrs
    if args.json:
        return json.dumps({"unit": a["unit"], "threshold": a["threshold"], "model": a["model"],
                           "documents": a["documents"], "rows": _records(table), "sweep": _records(a["sweep"]),
                           "methods": methods_sentence(table)}, ensure_ascii=False, indent=2)
    shown = kappa_table(table)
    widths = [max(len(str(c)), *(len(str(v)) for v in shown[c])) + 2 for c in shown.columns]
    lines = [_("Leave-one-document-out evaluation of {model} on {n} documents, unit: {unit}, threshold {threshold}."
               ).format(model=a["model"], n=len(a["documents"]), unit=_(a["unit"]), threshold=f"{a['threshold']:.2f}"), ""]
    lines.append("".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(shown.columns, widths))))
    for row in shown.itertuples(index=False):
        lines.append("".join(str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(row, widths))))
    lines += ["", _("All codes pooled at other thresholds (tuned on these data, so optimistic):")]
    for row in a["sweep"].to_dict(orient="records"):
        lines.append("  " + _("threshold {threshold}: {predicted} suggested, precision {precision}, recall {recall}, "
                              "Cohen's κ {kappa}").format(
            threshold=f"{row['threshold']:.2f}", predicted=int(row["predicted"]), precision=_num(row["precision"]),
            recall=_num(row["recall"]), kappa=_num(row["kappa"])))
    lines += ["", methods_sentence(table)]
    return "\n".join(lines)


def _num(value) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"
