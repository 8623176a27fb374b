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

__all__ = ["register", "cmd_qdpx_import", "cmd_qdpx_export"]

#: ``coding.exchange.qdpx_place.CONVENTIONS``, repeated so that building the parser for any command
#: does not import the coding package (tests/test_exchange_cli.py checks they agree).
CONVENTIONS = ("codepoints", "utf16", "utf16_crlf", "codepoints_crlf")


def register(add) -> None:
    """Add the ``qdpx-import`` and ``qdpx-export`` commands."""

    p = add("qdpx-import", cmd_qdpx_import, "Import a whole REFI-QDA project (.qdpx): sources, codebook, codings, "
            "notes, cases and variables, with a report of what was placed, moved, not placed or skipped.")
    p.add_argument("file", type=Path, help="the .qdpx file")
    p.add_argument("--convention", choices=("auto",) + CONVENTIONS, default="auto",
                   help="how the file counts offsets (default: detected from the selections)")
    p.add_argument("--coder", default="researcher", help="who imports (event log)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    q = add("qdpx-export", cmd_qdpx_export, "Export the whole project as a REFI-QDA .qdpx (validated against the "
            "Project schema; offsets in Unicode code points).")
    q.add_argument("--out", type=Path, required=True, help="the .qdpx file to write")
    q.add_argument("--force", action="store_true", help="replace an existing file")


def cmd_qdpx_import(args) -> str:
    """Import the file in one transaction (nothing is kept if anything fails)."""
    from coding.exchange.qdpx_import import import_qdpx

    if not args.file.is_file():
        raise CliError(f"{args.file} does not exist or is not a file.")
    with session(args.project) as s:
        try:
            from quant.data import city_resolver

            resolver = city_resolver(s)
            resolve = resolver.resolve
        except ValueError:
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
        raise CliError(f"{out} should end in .qdpx.")
    check_out(out, args.force)
    with session(args.project) as s, atomic_out(out, args.force) as tmp:
        report = export_qdpx(s, tmp)
    return (f"{out}: {report['sources']} source(s), {report['codes']} code(s), {report['codings']} coding(s) in "
            f"{report['selections']} selection(s), {report['notes']} note(s), {report['cases']} case(s), "
            f"{report['variables']} variable(s); "
            + (f"valid against {Path(report['schema']).name}" if report.get("schema") else
               "checked structurally only (the schema was not found)")
            + f"; offsets are {report['offsets']}."
            + (f" {report['note']}" if report.get("note") else "")
            + (f" {report['codings_not_exported']} unanchored coding(s) have no place in the text and were left out."
               if report["codings_not_exported"] else ""))
