"""The labelled set of issue 13 (tests/data/assist_labelled.tsv) as a project: one document per
name, one passage per paragraph, and (optionally) a human coding on every labelled passage."""
from __future__ import annotations

from pathlib import Path

import coding
from corpus.importer import import_text

DATA = Path(__file__).resolve().parent / "data" / "assist_labelled.tsv"
CODES = {"Mark": "留痕", "Hole": "漏洞", "Cooperate": "合作"}


def passages() -> list[tuple[str, str, str]]:
    """``(document, code or "", passage)`` rows of the TSV, in file order."""
    rows = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        doc, code, text = line.split("\t")
        rows.append((doc, code, text))
    return rows


def build(session, *, code_documents=None, coder: str = "甲") -> dict:
    """Import every document and code its labelled passages (only in ``code_documents`` when given).

    Returns ``{"docs": {name: id}, "codes": {English name: id}, "gold": {(doc name, code): [(start, end)]}}``.
    """
    by_doc: dict[str, list[tuple[str, str]]] = {}
    for doc, code, text in passages():
        by_doc.setdefault(doc, []).append((code, text))
    codes = {name: coding.add_code(session, f"{name} {zh}") for name, zh in CODES.items()}
    docs, gold = {}, {}
    for name, items in by_doc.items():
        text = "\n\n".join(t for _c, t in items)
        docs[name] = import_text(session, text, name=name).document_id
        pos = 0
        for code, t in items:
            start = text.index(t, pos)
            pos = start + len(t)
            if code:
                gold.setdefault((name, code), []).append((start, pos))
                if code_documents is None or name in code_documents:
                    coding.add_coding(session, docs[name], start, pos, codes[code], coder=coder)
    session.flush()
    return {"docs": docs, "codes": codes, "gold": gold}
