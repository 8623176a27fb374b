"""Command of the segments group: a MAXQDA coded-segments table placed onto imported documents.

``python cli.py segments-import --project P FILE.{csv,xlsx} [--coder NAME] [--json]`` places every row by
exact text matching (``coding.exchange.segments_import``), all in one transaction, and prints the report:
placed, already present, ambiguous, not found and refused, each row not placed listed with the document,
the code and the first 30 characters. ``--json`` prints the report with stable keys (``file, rows, placed,
already_present, ambiguous, not_found, refused, codes_created, items, warnings``).
"""
from __future__ import annotations

import json
from pathlib import Path

from commands.common import CliError, session
from i18n import _

__all__ = ["register", "cmd_segments_import"]


def register(add) -> None:
    """Add the ``segments-import`` command."""
    p = add("segments-import", cmd_segments_import, _("Import a MAXQDA coded-segments table (.csv or .xlsx: Document "
            "name, Code with '\\' between levels, Segment, optional Begin/End paragraphs, Author, Comment): each "
            "segment is placed on the imported document of that name by its text, codes are created along their "
            "paths, and every row is reported as placed, ambiguous, not found or refused."))
    p.add_argument("file", type=Path, help=_("the coded-segments table (.csv or .xlsx)"))
    p.add_argument("--coder", default="researcher", help=_("who imports; the coder of rows without an Author"))
    p.add_argument("--json", action="store_true", help=_("print the report as JSON"))


def cmd_segments_import(args) -> str:
    """Place the table's rows in one transaction and return the report."""
    from coding.exchange.segments_import import import_coded_segments, segments_report_text

    if not args.file.is_file():
        raise CliError(_("{file} does not exist or is not a file.").format(file=args.file))
    with session(args.project) as s:
        report = import_coded_segments(s, args.file, args.file.name, coder=args.coder)
    if args.json:
        return json.dumps(report, ensure_ascii=False, indent=1)
    return segments_report_text(report)
