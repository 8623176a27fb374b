"""Commands for attributes: case/variable tables in, document attributes shown and edited
(``mixed.case_attributes``, ``coding.documents``).

``python cli.py attributes-import --project P --per document|city [--id COLUMN] FILE [--json]`` imports a
CSV/XLSX table with one row per document (matched by name, or file name without extension) or per city
(adcode, name, short name, pinyin) as attributes, in one undoable change, and prints the report: rows
matched, rows not matched (by their name), columns imported, values overwritten. ``--json`` keys:
``file, per, id_column, id_column_guessed, columns, skipped_columns, matched, matched_names, unmatched,
values_written, overwritten, event_id, summary``.

``python cli.py attributes --project P [--set DOC NAME VALUE] [--delete DOC NAME] [--json]`` lists the
documents with their attributes, or sets/deletes one (DOC: a document's name or id; VALUE: a number
when it reads as one, else text; undoable by the coder).
"""
from __future__ import annotations

import json
from pathlib import Path

from commands.common import CliError, frame_text, session
from i18n import N_, _

__all__ = ["register", "cmd_attributes", "cmd_attributes_import"]

#: What a row of an attribute table names (``--per``), as shown.
PER = {"document": N_("document"), "city": N_("city")}


def register(add) -> None:
    """Add the ``attributes-import`` and ``attributes`` commands."""
    p = add("attributes-import", cmd_attributes_import, _("Import a case/variable table (CSV or XLSX; one row per "
            "document or per city) as attributes, with a report of rows matched and not matched, columns imported "
            "and values overwritten; one undoable change."))
    p.add_argument("--per", required=True, choices=("document", "city"), help=_("what each row names"))
    p.add_argument("--id", default=None, metavar="COLUMN",
                   help=_("the column naming each row's document or city (default: the one header such as case, "
                        "document, name, city or adcode; the first column when none is)"))
    p.add_argument("--coder", default="researcher", help=_("who imports (event log, undo)"))
    p.add_argument("--json", action="store_true", help=_("print the report as JSON"))
    p.add_argument("file", type=Path)
    q = add("attributes", cmd_attributes, _("List the documents' attributes, or set or delete one (undoable)."))
    q.add_argument("--set", nargs=3, metavar=("DOC", "NAME", "VALUE"), help=_("set attribute NAME of document DOC "
                   "(name or id) to VALUE (a number when it reads as one)"))
    q.add_argument("--delete", nargs=2, metavar=("DOC", "NAME"), help=_("delete attribute NAME of document DOC"))
    q.add_argument("--coder", default="researcher", help=_("who changes it (event log, undo)"))
    q.add_argument("--json", action="store_true", help=_("print as JSON"))


def cmd_attributes_import(args) -> str:
    """Import the table in one transaction; print the report."""
    from mixed.case_attributes import import_case_table

    if not args.file.is_file():
        raise CliError(_("{file} does not exist or is not a file.").format(file=args.file))
    with session(args.project) as s:
        report = import_case_table(s, args.file, per=args.per, id_column=args.id, coder=args.coder,
                                   filename=args.file.name)
    report = {"file": str(args.file), **report}
    if args.json:
        return json.dumps(report, ensure_ascii=False, indent=1, default=str)
    lines = [f"{args.file.name}: {report['summary']}",
             (_("Rows name the {per} in column {column} (no header named them: the first column was used).")
              if report["id_column_guessed"] else _("Rows name the {per} in column {column}.")).format(
                 per=_(PER[args.per]), column=repr(report["id_column"]))]
    for u in report["unmatched"]:
        lines.append("  " + _("not matched: row {row} {value} {reason}").format(row=u["row"], value=repr(u["value"]),
                                                                              reason=u["reason"]))
    for col, why in report["skipped_columns"].items():
        lines.append("  " + _("column {column} not imported: {why}").format(column=repr(col), why=why))
    for o in report["overwritten"]:
        lines.append("  " + _("overwritten: {case} {name}: {before} -> {after}").format(
            case=o["matched"], name=o["name"], before=repr(o["before"]), after=repr(o["after"])))
    return "\n".join(lines)


def _document(s, ref: str) -> int:
    from coding.documents import document_attributes

    docs = document_attributes(s)
    hit = docs[docs["name"] == ref]
    if hit.empty and ref.isdigit():
        hit = docs[docs["id"] == int(ref)]
    if hit.empty:
        raise CliError(_("No document is named {name}.").format(name=repr(ref)))
    return int(hit["id"].iloc[0])


def _value(text: str):
    try:
        number = float(text)
    except ValueError:
        return text
    if number != number or number in (float("inf"), float("-inf")):
        return text
    return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number


def cmd_attributes(args) -> str:
    """List, set or delete document attributes."""
    from coding.documents import (
        attribute_values, delete_document_attribute, document_attributes, set_document_attribute,
    )

    with session(args.project) as s:
        if args.set:
            doc, name, value = args.set
            cell = set_document_attribute(s, _document(s, doc), name, _value(value), coder=args.coder)
            if cell is None:
                return _("{document}: {name} already is {value}; nothing changed.").format(
                    document=doc, name=name, value=repr(value))
            if cell["before"] is None:
                return f"{cell['document']}: {cell['name']} = {cell['after']!r}."
            return _("{document}: {name} = {value} (was {before}).").format(
                document=cell["document"], name=cell["name"], value=repr(cell["after"]), before=repr(cell["before"]))
        if args.delete:
            doc, name = args.delete
            before = delete_document_attribute(s, _document(s, doc), name, coder=args.coder)
            return _("{document}: {name} deleted (was {before}).").format(document=doc, name=name, before=repr(before))
        frame = document_attributes(s)
        typed = attribute_values(s)
    names = [c for c in frame.columns if c not in ("id", "kind", "language", "superseded_by")]
    if args.json:
        return json.dumps({"documents": typed, "attributes": names[1:]}, ensure_ascii=False, indent=1)
    if frame.empty:
        return _("The project has no documents.")
    shown = frame[names].fillna("").map(lambda v: v if len(str(v)) <= 30 else str(v)[:29] + "…")
    return frame_text(shown, index=False)
