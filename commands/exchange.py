"""Commands of the exchange group: whole REFI-QDA projects in and out (``coding.exchange``).

``python cli.py qdpx-import --project P FILE.qdpx [--convention auto|codepoints|utf16|utf16_crlf|codepoints_crlf]
[--coder NAME] [--json]`` imports all or nothing and prints the report: the offset convention and why,
codings placed / moved / not placed, every coding not placed exactly (source, code, text, reason), and
every element not brought in. ``--json`` prints the report with stable keys (``file, project, origin,
convention, sources, codes, codings, memos, cases, variables, users, sets, skipped, items, warnings``).

``python cli.py qdpx-export --project P --out FILE.qdpx [--force]`` writes a .qdpx validated against the
REFI-QDA Project schema (offsets in code points), never half a file, never over a file without --force.
"""
from __future__ import annotations

import json
from pathlib import Path

from commands.common import CliError, atomic_out, check_out, session

__all__ = ["register", "cmd_qdpx_import", "cmd_qdpx_export", "report_text"]


def register(add) -> None:
    """Add the ``qdpx-import`` and ``qdpx-export`` commands."""
    from coding.exchange.qdpx_place import CONVENTIONS

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


def report_text(r: dict) -> str:
    """The import report as lines a person reads."""
    c, conv = r["codings"], r["convention"]
    lines = [f"{r['file']}: {r['sources']['imported']} source(s) imported, {r['sources']['merged']} merged; "
             f"{r['codes']['created']} code(s) created, {r['codes']['matched']} matched"
             + (f" ({r['codes']['guids_adopted']} took the file's GUIDs)" if r["codes"].get("guids_adopted") else "")
             + ".",
             f"Offsets: {conv.get('reason', '')}.",
             f"Codings of text: {c['in_file']} in the file; {c['placed']} placed exactly, {c['moved']} moved to "
             f"their text, {c['not_placed']} not placed, {c['duplicates']} already in the project (same GUID, "
             "or same code, span and coder).",
             f"Memos: {r['memos']} (and {r['memos_already_present']} already present); descriptions kept as "
             f"memos: {r['descriptions']}; annotations kept as memos: {r['annotations']}; cases: {r['cases']}; "
             f"variables: {r['variables']}; users: {r['users']}; sets: {r['sets']}."]
    for item in (i for i in r["items"] if i["status"] in ("moved", "not placed")):
        lines.append(f"  {item['status']}: {item['source']} / {item['code']}: {item['text'][:60]!r} — "
                     f"{item['reason']}")
    for m in r["sources"]["missing"]:
        lines.append(f"  source not imported: {m['source']} — {m['reason']}")
    if r["skipped"]:
        lines.append("Not brought in: " + "; ".join(f"{n} {what}" for what, n in r["skipped"].items()) + ".")
    lines += [f"  note: {w}" for w in r["warnings"]]
    return "\n".join(lines)


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
            f"{report['variables']} variable(s); valid against {Path(report['schema']).name}; offsets are "
            f"{report['offsets']}."
            + (f" {report['codings_not_exported']} unanchored coding(s) have no place in the text and were left out."
               if report["codings_not_exported"] else ""))
