"""Commands for the codebook as a table: ``codebook-import`` and ``codebook-export``.

``python cli.py codebook-import --project P FILE.{csv,txt,tsv,xlsx,qdc} [--path-column COLUMN]
[--separator "/"|" > "|">>"|"\\"] [--update] [--json]`` merges a codebook from any tool into the
project's (codes matched by GUID, then by path) and prints which column and separator were used
(detected or chosen), the codes created and matched, and every warning (names still holding another
tool's separator, repaired names). ``--json`` keys: ``file, path_column, separator,
separator_detected, header, comments, created, matched_guid, matched_name, updated, renamed, warnings,
summary``.

``python cli.py codebook-export --project P --out FILE.{csv,xlsx,qdc} [--force]`` writes the codebook
(CSV and XLSX through ``coding.spreadsheet``: safe in Excel, Chinese intact).
"""
from __future__ import annotations

import json
from pathlib import Path

from commands.common import CliError, atomic_out, check_out, session
from i18n import _

__all__ = ["register", "cmd_codebook_export", "cmd_codebook_import"]

#: ``coding.exchange.codebook_csv.SEPARATORS`` (repeated so that building the parser imports no library).
SEPARATORS = ("/", " > ", ">>", "\\")


def register(add) -> None:
    """Add ``codebook-import`` and ``codebook-export``."""
    p = add("codebook-import", cmd_codebook_import, _("Import a codebook (CSV/TSV/TXT from any tool, XLSX, or "
            "REFI-QDA .qdc) into the project's codebook; reports the path column and separator used."))
    p.add_argument("file", type=Path)
    p.add_argument("--path-column", default=None, metavar="COLUMN",
                   help=_("the column holding code paths (default: path, else the one column such as code_path, "
                        "Code or Pfad; asked for when several fit)"))
    p.add_argument("--separator", default=None, choices=SEPARATORS,
                   help=_("what separates levels in a path (default: detected from the rows)"))
    p.add_argument("--update", action="store_true", help=_("copy texts, colours and codability onto matched codes"))
    p.add_argument("--coder", default="researcher", help=_("who imports (event log, undo)"))
    p.add_argument("--json", action="store_true", help=_("print the report as JSON"))
    q = add("codebook-export", cmd_codebook_export, _("Write the codebook as CSV, XLSX or REFI-QDA .qdc."))
    q.add_argument("--out", type=Path, required=True, help=_("the file to write (.csv, .xlsx or .qdc)"))
    q.add_argument("--force", action="store_true", help=_("replace an existing file"))


def cmd_codebook_import(args) -> str:
    """Import in one transaction; nothing is written when the file is refused."""
    import coding
    from coding.exchange.codebook_xlsx import import_codebook_xlsx

    if not args.file.is_file():
        raise CliError(_("{file} does not exist or is not a file.").format(file=args.file))
    suffix = args.file.suffix.lower()
    options = {"path_column": args.path_column, "separator": args.separator}
    with session(args.project) as s:
        if suffix in (".qdc", ".qde", ".qdpx"):
            if args.path_column or args.separator:
                raise CliError(_("--path-column and --separator apply to tables (CSV, XLSX), not to REFI-QDA files."))
            report = coding.import_codebook_qdc(s, args.file.read_bytes(), update_existing=args.update,
                                                coder=args.coder)
        elif suffix in (".xlsx", ".xlsm"):
            report = import_codebook_xlsx(s, args.file, args.file.name, update_existing=args.update,
                                          coder=args.coder, **options)
        else:
            report = coding.import_codebook_csv(s, args.file, update_existing=args.update, coder=args.coder,
                                                **options)
    numbers = dict(created=len(report["created"]), matched=len(report["matched_guid"]) + len(report["matched_name"]),
                   updated=len(report.get("updated") or []))
    counts = (_("{created} code(s) created, {matched} matched existing codes, {updated} updated.") if numbers["updated"]
              else _("{created} code(s) created, {matched} matched existing codes.")).format(**numbers)
    if args.json:
        keep = ("path_column", "separator", "separator_detected", "header", "comments", "created", "matched_guid",
                "matched_name", "updated", "renamed", "warnings")
        return json.dumps({"file": str(args.file), **{k: report.get(k) for k in keep},
                           "summary": (report.get("summary", "") + " " + counts).strip()}, ensure_ascii=False, indent=1)
    lines = [f"{args.file.name}: {report['summary']}" if report.get("summary") else args.file.name, counts]
    lines += ["  " + _("warning: {warning}").format(warning=w) for w in report.get("warnings", [])]
    return "\n".join(lines)


def cmd_codebook_export(args) -> str:
    """Write the file atomically, never over an existing one without --force."""
    import coding
    from coding.exchange.codebook_xlsx import export_codebook_xlsx

    out = args.out
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".qdc"):
        raise CliError(_("{out} should end in .csv, .xlsx or .qdc.").format(out=out))
    check_out(out, args.force)
    with session(args.project) as s, atomic_out(out, args.force) as tmp:
        if suffix == ".csv":
            n = coding.export_codebook_csv(s, tmp)
        elif suffix == ".xlsx":
            n = export_codebook_xlsx(s, tmp)
        else:
            n = coding.export_codebook_qdc(s, tmp)["codes"]
    return _("Wrote {n} code(s) to {out}.").format(n=n, out=out)
