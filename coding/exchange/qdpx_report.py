"""The REFI-QDA import report for people: the text the CLI prints and the table a page shows."""
from __future__ import annotations

import pandas as pd

from i18n import N_, _

__all__ = ["report_text", "report_table", "COLUMNS"]

#: Report item keys -> the column names a person reads.
#: English; :func:`report_table` shows them in the interface language.
COLUMNS = {"status": N_("Status"), "source": N_("Source"), "code": N_("Code"), "coder": N_("Coder"),
           "text": N_("Text"), "start": N_("Start in the file"), "end": N_("End in the file"),
           "stored_start": N_("Start (characters)"), "stored_end": N_("End (characters)"), "reason": N_("Why")}


def report_text(r: dict) -> str:
    """The import report of :func:`coding.exchange.import_qdpx` as lines a person reads: totals,
    the offset convention and why, every coding moved or not placed, sources not imported,
    elements not brought in, and notes."""
    c, conv, codes = r["codings"], r["convention"], r["codes"]
    head = (_("{file}: {imported} source(s) imported, {merged} merged; {created} code(s) created, {matched} matched "
              "({adopted} took the file's GUIDs).") if codes.get("guids_adopted") else
            _("{file}: {imported} source(s) imported, {merged} merged; {created} code(s) created, {matched} matched."))
    lines = [head.format(file=r["file"], imported=r["sources"]["imported"], merged=r["sources"]["merged"],
                         created=codes["created"], matched=codes["matched"], adopted=codes.get("guids_adopted")),
             _("Offsets: {reason}.").format(reason=conv.get("reason", "")),
             _("Codings of text: {in_file} in the file; {placed} placed exactly, {moved} moved to their text, "
               "{not_placed} not placed, {duplicates} already in the project (same GUID, or same code, span and "
               "coder).").format(in_file=c["in_file"], placed=c["placed"], moved=c["moved"],
                                 not_placed=c["not_placed"], duplicates=c["duplicates"]),
             _("Memos: {memos} (and {present} already present); descriptions kept as memos: {descriptions}; "
               "annotations kept as memos: {annotations}; cases: {cases}; variables: {variables}; users: {users}; "
               "sets: {sets}.").format(memos=r["memos"], present=r["memos_already_present"],
                                       descriptions=r["descriptions"], annotations=r["annotations"],
                                       cases=r["cases"], variables=r["variables"], users=r["users"], sets=r["sets"])]
    status = {"moved": _("moved"), "not placed": _("not placed")}
    for item in (i for i in r["items"] if i["status"] in ("moved", "not placed")):
        lines.append("  " + _("{status}: {source} / {code}: {text} — {reason}").format(
            status=status[item["status"]], source=item["source"], code=item["code"], text=repr(item["text"][:60]),
            reason=item["reason"]))
    for m in r["sources"]["missing"]:
        lines.append("  " + _("source not imported: {source} — {reason}").format(source=m["source"],
                                                                                 reason=m["reason"]))
    if r["skipped"]:
        lines.append(_("Not brought in: {items}.").format(
            items="; ".join(f"{n} {what}" for what, n in r["skipped"].items())))
    lines += ["  " + _("note: {note}").format(note=w) for w in r["warnings"]]
    return "\n".join(lines)


def report_table(r: dict, *, only_problems: bool = False) -> pd.DataFrame:
    """One row per coding of text in the file (``items``), with readable column names; with
    ``only_problems`` only those moved or not placed."""
    items = [i for i in r["items"] if not only_problems or i["status"] in ("moved", "not placed")]
    frame = pd.DataFrame(items, columns=list(COLUMNS))
    return frame.rename(columns={k: _(v) for k, v in COLUMNS.items()})
