"""The REFI-QDA import report for people: the text the CLI prints and the table a page shows."""
from __future__ import annotations

import pandas as pd

__all__ = ["report_text", "report_table", "COLUMNS"]

#: Report item keys -> the column names a person reads.
COLUMNS = {"status": "Status", "source": "Source", "code": "Code", "coder": "Coder", "text": "Text",
           "start": "Start in the file", "end": "End in the file", "stored_start": "Start (characters)",
           "stored_end": "End (characters)", "reason": "Why"}


def report_text(r: dict) -> str:
    """The import report of :func:`coding.exchange.import_qdpx` as lines a person reads: totals,
    the offset convention and why, every coding moved or not placed, sources not imported,
    elements not brought in, and notes."""
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


def report_table(r: dict, *, only_problems: bool = False) -> pd.DataFrame:
    """One row per coding of text in the file (``items``), with readable column names; with
    ``only_problems`` only those moved or not placed."""
    items = [i for i in r["items"] if not only_problems or i["status"] in ("moved", "not placed")]
    frame = pd.DataFrame(items, columns=list(COLUMNS))
    return frame.rename(columns=COLUMNS)
