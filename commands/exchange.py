"""Commands of the exchange group: whole REFI-QDA projects in and out (``coding.exchange``).

``python cli.py qdpx-import --project P FILE.qdpx [--convention auto|codepoints|utf16|utf16_crlf|codepoints_crlf]
[--coder NAME] [--json]`` imports all or nothing and prints the report: the offset convention and why,
codings placed / moved / not placed, every coding not placed exactly (source, code, text, reason), and
every element not brought in. ``--json`` prints the report with stable keys (``file, project, origin,
convention, sources, codes, codings, memos, cases, variables, users, sets, skipped, items, warnings``).

``python cli.py qdpx-export --project P --out FILE.qdpx [--force]`` writes a .qdpx validated against the
REFI-QDA Project schema (offsets in code points), never half a file, never over a file without --force; when
the schema file is not found it is checked structurally only, and says so.
"""
from __future__ import annotations

import json
from pathlib import Path

from commands.common import CliError, atomic_out, check_out, session
from i18n import _

__all__ = ["register", "cmd_qdpx_import", "cmd_qdpx_export"]

#: ``coding.exchange.qdpx_place.CONVENTIONS``, repeated so that building the parser for any command
#: does not import the coding package (tests/test_exchange_cli.py checks they agree).
CONVENTIONS = ("codepoints", "utf16", "utf16_crlf", "codepoints_crlf")


def register(add) -> None:
    """Add the ``qdpx-import`` and ``qdpx-export`` commands."""

    p = add("qdpx-import", cmd_qdpx_import, _("Import a whole REFI-QDA project (.qdpx): sources, codebook, codings, "
            "notes, cases and variables, with a report of what was placed, moved, not placed or skipped."))
    p.add_argument("file", type=Path, help=_("the .qdpx file"))
    p.add_argument("--convention", choices=("auto",) + CONVENTIONS, default="auto",
                   help=_("how the file counts offsets (default: detected from the selections)"))
    p.add_argument("--coder", default="researcher", help=_("who imports (event log)"))
    p.add_argument("--json", action="store_true", help=_("print the report as JSON"))
    q = add("qdpx-export", cmd_qdpx_export, _("Export the whole project as a REFI-QDA .qdpx (validated against the "
            "Project schema; offsets in Unicode code points)."))
    q.add_argument("--out", type=Path, required=True, help=_("the .qdpx file to write"))
    q.add_argument("--force", action="store_true", help=_("replace an existing file"))


def cmd_qdpx_import(args) -> str:
    """Import the file in one transaction (nothing is kept if anything fails)."""
    from coding.exchange.qdpx_import import import_qdpx

    if not args.file.is_file():
        raise CliError(_("{file} does not exist or is not a file.").format(file=args.file))
    with session(args.project) as s:
        from quant.data.project import city_resolver
        from quant.errors import QuantError

        try:
            resolve = city_resolver(s).resolve
        except QuantError:  # no cities yet: cases stay document cases
            resolve = None
        report = import_qdpx(s, args.file, convention=args.convention, coder=args.coder, resolve_city=resolve)
    if args.json:
        return json.dumps(report, ensure_ascii=False, indent=1, default=str)
    from coding.exchange.qdpx_report import report_text

    return report_text(report)


def cmd_qdpx_export(args) -> str:
    """Write the validated .qdpx atomically."""
    from coding.exchange.qdpx_export import export_qdpx

    out = args.out
    if out.suffix.lower() != ".qdpx":
        raise CliError(_("{out} should end in .qdpx.").format(out=out))
    check_out(out, args.force)
    with session(args.project) as s, atomic_out(out, args.force) as tmp:
        report = export_qdpx(s, tmp)
    counts = _("{out}: {sources} source(s), {codes} code(s), {codings} coding(s) in {selections} selection(s), "
               "{notes} note(s), {cases} case(s), {variables} variable(s)").format(
        out=out, **{k: report[k] for k in ("sources", "codes", "codings", "selections", "notes", "cases", "variables")})
    valid = (_("valid against {schema}").format(schema=Path(report["schema"]).name) if report.get("schema") else
             _("checked structurally only (the schema was not found)"))
    return (_("{counts}; {validity}; offsets are {offsets}.").format(counts=counts, validity=valid,
                                                                    offsets=report["offsets"])
            + (f" {report['note']}" if report.get("note") else "")
            + (" " + _("{n} unanchored coding(s) have no place in the text and were left out.").format(
                n=report["codings_not_exported"]) if report["codings_not_exported"] else ""))
