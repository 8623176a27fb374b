"""Commands of the exports group: tables for other tools (``coding.exchange.segments_export``,
``coding.retrieval.wordfreq``).

``python cli.py segments-export --project P --out FILE.{csv,xlsx} [--codes NAME ...] [--no-subcodes]
[--documents NAME ...] [--coder NAME ...] [--separator " > "] [--force]`` writes one row per coding with
document, code path, coder, start/end in code points and in UTF-16 units, paragraph, quote, memo and when
it was coded; never half a file, never over a file without --force.

``python cli.py frequencies --project P [--by corpus|document|code|group] [--attribute NAME] [--top N]
[--min-length 2] [--out FILE.{csv,xlsx}] [--json]`` prints (or writes) word frequencies: count, per 1,000
tokens and the number of documents a word occurs in, for each document, code or group of documents.
``--json`` keys: ``by, attribute, groups: [{group, tokens, documents, words: [{word, count, per_1000,
n_documents}]}]``.
"""
from __future__ import annotations

import json
from pathlib import Path

from commands.common import CliError, atomic_out, check_out, session
from i18n import _

__all__ = ["register", "cmd_segments_export", "cmd_frequencies"]

BY = ("corpus", "document", "code", "group")


def register(add) -> None:
    """Add the ``segments-export`` and ``frequencies`` commands."""
    p = add("segments-export", cmd_segments_export, _("Export coded segments as CSV or XLSX for other tools: document, "
            "code path, coder, start/end in code points and UTF-16 units, paragraph, quote, memo, created."))
    p.add_argument("--out", type=Path, required=True, help=_("the .csv or .xlsx file to write"))
    p.add_argument("--codes", nargs="+", metavar="CODE", help=_("only these codes (names or paths), with sub-codes"))
    p.add_argument("--no-subcodes", action="store_true", help=_("leave out the sub-codes of --codes"))
    p.add_argument("--documents", nargs="+", metavar="NAME", help=_("only these documents (names)"))
    p.add_argument("--coder", nargs="+", metavar="NAME", help=_("only these coders"))
    p.add_argument("--separator", default=" > ", help=_("between the levels of a code path (default ' > ')"))
    p.add_argument("--force", action="store_true", help=_("replace an existing file"))
    q = add("frequencies", cmd_frequencies, _("Word frequencies (jieba words for Chinese, whole words for English; "
            "stop words and numbers left out) per document, per code or per group of documents."))
    q.add_argument("--by", choices=BY, default="document", help=_("one table per document (default), code, group of "
                   "documents (--attribute) or the whole corpus"))
    q.add_argument("--attribute", help=_("with --by group: the document attribute that forms the groups (e.g. kind)"))
    q.add_argument("--top", type=int, default=20, help=_("words per document, code or group (default 20; 0 = all)"))
    q.add_argument("--min-length", type=int, default=2, help=_("shortest word kept, in characters (default 2: Chinese "
                   "single characters are left out)"))
    q.add_argument("--no-subcodes", action="store_true", help=_("with --by code: a code's own text only"))
    q.add_argument("--out", type=Path, help=_("write the table to a .csv or .xlsx file instead of printing it"))
    q.add_argument("--force", action="store_true", help=_("replace an existing --out file"))
    q.add_argument("--json", action="store_true", help=_("print JSON"))


def _code_ids(s, names: list[str] | None, separator: str) -> list[int] | None:
    if not names:
        return None
    from coding.tree import code_id_by_name

    ids = []
    for name in names:
        path = "/".join(p.strip() for p in name.split(separator)) if separator != "/" and separator in name else name
        ids.append(code_id_by_name(s, path))
    return ids


def _document_ids(s, names: list[str] | None) -> list[int] | None:
    if not names:
        return None
    from sqlalchemy import select

    import store

    ids = []
    for name in names:
        found = s.scalar(select(store.Document.id).where(store.Document.name == name))
        if found is None:
            raise CliError(_("No document is named {name}.").format(name=repr(name)))
        ids.append(found)
    return ids


def cmd_segments_export(args) -> str:
    """Write the coded segments atomically; returns one line saying how many rows went where."""
    from coding.exchange.segments_export import write_segments

    out = args.out
    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise CliError(_("{out} should end in .csv or .xlsx.").format(out=out))
    check_out(out, args.force)
    from coding.exchange.segments_export import segments_table

    with session(args.project) as s:
        table = segments_table(s, code_ids=_code_ids(s, args.codes, args.separator),
                               include_subcodes=not args.no_subcodes, document_ids=_document_ids(s, args.documents),
                               coder=args.coder, separator=args.separator)
    with atomic_out(out, args.force) as tmp:
        write_segments(table, tmp)
    docs = table["document"].nunique()
    return _("{out}: {n} coded segment(s) from {docs} document(s); offsets in code points and UTF-16 units.").format(
        out=out, n=len(table), docs=docs)


def cmd_frequencies(args) -> str:
    """Print or write the frequency table."""
    from coding.retrieval.wordfreq import frequency_file_frame, word_frequencies

    if args.top < 0:
        raise CliError(_("--top {n} must be 0 (all words) or more.").format(n=args.top))
    if args.by == "group" and not args.attribute:
        raise CliError(_("--by group needs --attribute NAME (a document attribute such as kind)."))
    if args.out is not None:
        if args.out.suffix.lower() not in (".csv", ".xlsx"):
            raise CliError(_("{out} should end in .csv or .xlsx.").format(out=args.out))
        check_out(args.out, args.force)
    with session(args.project) as s:
        table = word_frequencies(s, by=args.by, attribute=args.attribute, min_length=args.min_length,
                                 include_subcodes=not args.no_subcodes, top=args.top or None)
    if args.out is not None:
        from coding.spreadsheet import to_csv_bytes, to_xlsx_bytes

        frame = frequency_file_frame(table, args.by)
        csv_out = args.out.suffix.lower() == ".csv"
        data = to_csv_bytes(frame) if csv_out else to_xlsx_bytes(frame, sheet="Word frequencies")
        with atomic_out(args.out, args.force) as tmp:
            tmp.write_bytes(data)
        return _("{out}: {n} row(s), {groups} {by} group(s).").format(out=args.out, n=len(table),
                                                                      groups=table["group"].nunique(), by=args.by)
    if args.json:
        groups = []
        for name, part in table.groupby("group", sort=False):
            groups.append({"group": name, "tokens": int(part["tokens"].iloc[0]),
                           "documents": int(part["group_documents"].iloc[0]),
                           "words": [{"word": w, "count": int(c), "per_1000": round(float(p), 3), "n_documents": int(n)}
                                     for w, c, p, n in zip(part["word"], part["count"], part["per_1000"],
                                                           part["n_documents"])]})
        return json.dumps({"by": args.by, "attribute": args.attribute, "groups": groups}, ensure_ascii=False, indent=1)
    if table.empty:
        return _("No words to count: no documents (or coded text) match, or every word is a stop word.")
    lines = []
    for name, part in table.groupby("group", sort=False):
        lines.append(_("{group} ({tokens:,} tokens, {documents} document(s))").format(
            group=name, tokens=int(part["tokens"].iloc[0]), documents=int(part["group_documents"].iloc[0])))
        for w, c, p, n in zip(part["word"], part["count"], part["per_1000"], part["n_documents"]):
            lines.append(f"  {w}\t{int(c)}\t{p:.1f}‰\t" + _("{n} doc(s)").format(n=int(n)))
    return "\n".join(lines)
