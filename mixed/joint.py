"""Joint displays: each model coefficient beside the coded passages that speak to it.

The side-by-side joint display (Guetterman, Fetters & Creswell 2015) puts, for one collaboration
dimension, each model term's estimate and confidence interval next to the codes mapped to that
term and a few of their passages, with the researcher's ``meta_inference`` (confirmation /
expansion / discordance; Fetters, Curry & Creswell 2013) and note as stored by ``mixed.meta``.
The statistics-by-themes and case-comparison displays live in ``mixed.themes`` and
``mixed.comparison``. Every display can be flattened into the tidy long table ``display_type, row_key, column, value, provenance`` from
which all renderings are made (docs: quant.md §6).
"""
from __future__ import annotations

import math

import pandas as pd
from sqlalchemy.orm import Session

from coding.codes.book import codebook as read_codebook
from coding.codes.book import variable_map
from coding.retrieval.queries import retrieve
from i18n import _
from mixed.errors import MixedError
from mixed.evidence import (
    EvidenceIndex,
    dyad_keys,
    city_names,
    dyad_label,
    order_passages,
    quote_records,
)
from mixed.meta import meta_lookup
from mixed.terms import NON_TERMS, codes_for_term
from mixed.units import normalize_unit, unit_level, unit_row

__all__ = ["JOINT_COLUMNS", "LONG_COLUMNS", "META_INFERENCES", "joint_display", "joint_long", "unit_evidence"]

#: Columns of :func:`joint_display`, in order.
JOINT_COLUMNS = [
    "term", "estimate", "se", "ci_low", "ci_high", "p", "se_label", "model", "codes",
    "n_passages", "quotes", "meta_inference", "dimension", "code_ids", "note", "meta_author",
    "meta_updated",
]
#: Columns of :func:`joint_long`.
LONG_COLUMNS = ["display_type", "row_key", "column", "value", "provenance"]
#: Allowed meta-inference labels (Fetters, Curry & Creswell 2013), plus "" for not yet judged.
META_INFERENCES = ("", "confirmation", "expansion", "discordance")


def _float(x) -> float:
    return float(x) if x is not None else math.nan


def joint_display(
    session: Session,
    result,
    *,
    se_type: str | None = None,
    max_quotes: int = 3,
    alpha: float = 0.05,
    index: EvidenceIndex | None = None,
) -> pd.DataFrame:
    """The side-by-side joint display for one fitted dimension.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session on the project.
    result : quant.models.results.FitResult
        One fit (any dimension).
    se_type : str, optional
        Key of ``result.se`` for SE, p and CI; default ``result.se_type``.
    max_quotes : int
        At most this many quotes per term (>= 0), chosen by ``mixed.evidence.order_passages``:
        passages linked to a city or dyad first, spread across documents.
    alpha : float
        1 − confidence level of ``ci_low``/``ci_high``.
    index : EvidenceIndex, optional
        A prebuilt index; its city names and dyad keys are used instead of re-reading them.

    Returns
    -------
    pandas.DataFrame, (terms, 17)
        One row per term of ``result.params`` except ``Intercept``/``const``/``alpha``, in model
        order, with columns ``JOINT_COLUMNS``: ``term``; ``estimate``, ``se``, ``ci_low``,
        ``ci_high``, ``p`` (floats, from ``result.table``: z against the standard normal, or t with
        N − 1 df for fits with ``p_dist="t"``); ``se_label`` (the
        sentence naming the SE type); ``model``; ``codes`` (list of the names of codes mapped to
        the term, by the rule of ``mixed.terms``); ``n_passages`` (codings of those codes and
        their subcodes); ``quotes`` (list of quote records, see ``mixed.evidence``);
        ``meta_inference`` (the stored label, see ``mixed.meta``; ``""`` until the researcher
        judges the row); ``dimension``; ``code_ids``; ``note`` (the researcher's note, ``""``
        if none); ``meta_author`` and ``meta_updated`` (who judged and when, UTC; ``""`` and
        None/NaT if not judged).
        ``df.attrs`` holds ``dimension``, ``model``, ``formula``, ``se_type``, ``se_label``,
        ``alpha``, ``n``.

    Raises
    ------
    MixedError
        If ``max_quotes`` is negative.
    quant.QuantError
        If ``se_type`` was not computed for the fit, or ``alpha`` is outside (0, 1).

    References
    ----------
    Guetterman, Fetters & Creswell (2015), Annals of Family Medicine 13(6): 554–561.
    Fetters, Curry & Creswell (2013), Health Services Research 48(6 Pt 2): 2134–2156.
    """
    if max_quotes < 0:
        raise MixedError(_("max_quotes must be 0 or more, not {max_quotes}.").format(max_quotes=max_quotes))
    key = result.se_type if se_type is None else se_type
    tab = result.table(key, alpha)
    label = result.se_labels.get(key, key)
    vmap = variable_map(session)
    book = read_codebook(session)
    code_names = {int(i): str(n) for i, n in zip(book["id"], book["name"])}
    if index is not None:
        names, keys = index.names, index.dyad_keys
    else:
        names, keys = city_names(session), dyad_keys(session)
    judged = meta_lookup(session, "side-by-side", result.dimension)
    rows = []
    for term, t in tab.iterrows():
        if str(term) in NON_TERMS:
            continue
        ids = codes_for_term(str(term), vmap)
        if ids:
            frame = retrieve(session, code_ids=ids, include_subcodes=True)
            frame = order_passages(frame.drop_duplicates("coding_id"))
        else:
            frame = None
        meta = judged.get(str(term).strip(), {})
        rows.append(
            {
                "term": str(term),
                "estimate": _float(t["estimate"]),
                "se": _float(t["se"]),
                "ci_low": _float(t["ci_low"]),
                "ci_high": _float(t["ci_high"]),
                "p": _float(t["p"]),
                "se_label": label,
                "model": result.model,
                "codes": [code_names.get(i, str(i)) for i in ids],
                "n_passages": 0 if frame is None else int(len(frame)),
                "quotes": [] if frame is None else quote_records(frame, names, keys, max_quotes),
                "meta_inference": meta.get("label", ""),
                "dimension": result.dimension,
                "code_ids": ids,
                "note": meta.get("note", ""),
                "meta_author": meta.get("author", ""),
                "meta_updated": meta.get("updated"),
            }
        )
    df = pd.DataFrame(rows, columns=JOINT_COLUMNS)
    df.attrs.update(
        dimension=result.dimension, model=result.model, formula=result.formula,
        se_type=key, se_label=label, alpha=alpha, n=int(result.n),
    )
    return df


def joint_long(df: pd.DataFrame) -> pd.DataFrame:
    """The tidy long form of a side-by-side joint display (quant.md §6).

    Parameters
    ----------
    df : pandas.DataFrame
        Output of :func:`joint_display` (``meta_inference`` possibly filled in).

    Returns
    -------
    pandas.DataFrame
        Columns ``display_type`` (``"side-by-side"``), ``row_key`` (``"dimension:term"``),
        ``column``, ``value`` (object) and ``provenance``. Per term: one row each for
        ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``p`` (provenance: dimension, model,
        formula and the SE sentence), ``codes`` (names joined by ``"; "``), ``n_passages``, one
        ``quote`` row per quote (provenance: its citation, span ``[start, end)`` in code points,
        coding id and code), ``meta_inference`` and ``note`` (provenance: ``"researcher"``, or
        ``"researcher <author>, <UTC time>"`` once judged).

    Raises
    ------
    MixedError
        If a column of :data:`JOINT_COLUMNS` is missing or a ``meta_inference`` label is not one
        of :data:`META_INFERENCES`.
    """
    missing = [c for c in JOINT_COLUMNS if c not in df.columns]
    if missing:
        raise MixedError(_("Not a joint display: column(s) {names} missing.").format(names=', '.join(missing)))
    formula = df.attrs.get("formula", "")
    out = []
    for r in df.itertuples(index=False):
        meta = "" if r.meta_inference is None or pd.isna(r.meta_inference) else str(r.meta_inference)
        if meta not in META_INFERENCES:
            raise MixedError(
                _("meta_inference {meta!r} for term {term!r} is not one of confirmation, expansion, discordance (or "
                  "empty).")
                .format(meta=meta, term=r.term)
            )
        key = f"{r.dimension}:{r.term}"
        quant_prov = f"{r.dimension} · {r.model}" + (f" · {formula}" if formula else "")
        quant_prov += f" · SE: {r.se_label}"
        for col in ("estimate", "se", "ci_low", "ci_high", "p"):
            out.append(("side-by-side", key, col, getattr(r, col), quant_prov))
        out.append(("side-by-side", key, "codes", "; ".join(r.codes), "code↔variable map"))
        out.append(
            ("side-by-side", key, "n_passages", int(r.n_passages),
             "codings of the mapped codes and their subcodes")
        )
        for q in r.quotes:
            prov = f"{q['cite']} · [{q['start']}, {q['end']}) · coding {q['coding_id']} · code {q['code']}"
            out.append(("side-by-side", key, "quote", q["quote"], prov))
        note = getattr(r, "note", "")
        note = "" if note is None or (isinstance(note, float) and pd.isna(note)) else str(note)
        who = getattr(r, "meta_author", "") or ""
        when = getattr(r, "meta_updated", None)
        prov = "researcher" + (f" {who}" if who else "")
        if when is not None and not pd.isna(when):
            prov += f", {pd.Timestamp(when):%Y-%m-%d %H:%M} UTC"
        out.append(("side-by-side", key, "meta_inference", meta, prov))
        out.append(("side-by-side", key, "note", note, prov))
    return pd.DataFrame(out, columns=LONG_COLUMNS)


def unit_evidence(
    session: Session,
    result,
    unit,
    *,
    max_quotes: int | None = None,
    index: EvidenceIndex | None = None,
) -> dict:
    """Observed, predicted and residual values of one city or dyad, with its coded passages.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
    result : quant.models.results.FitResult
        A fit whose ``units`` contain the unit (cities for breadth, dyads otherwise).
    unit : str or tuple
        A city code; or a dyad as ``(a, b)`` in either order or ``"a-b"``.
    max_quotes : int, optional
        Keep at most this many quote records per list (all by default).
    index : EvidenceIndex, optional
        A prebuilt index (saves re-reading codings when called for many units).

    Returns
    -------
    dict
        ``level`` ("city" | "dyad"), ``unit`` (code or ``(a, b)``), ``label`` (name(s)),
        ``dimension``, ``model``, ``y``, ``fitted`` (mean or probability), ``pearson`` (Pearson
        residual (y − μ̂)/√V(μ̂) as computed by quant), ``n_passages`` and ``passages`` (quote
        records). For a city also ``direct`` (codings linked to the city), ``via_dyads``
        (codings linked to one of its dyads and not to the city itself; disjoint from
        ``direct``), ``n_direct`` and ``n_via_dyads``; ``passages`` is ``direct + via_dyads``.

    Raises
    ------
    MixedError
        If the unit is malformed or was not used in the fit.
    """
    level = unit_level(result)
    unit = normalize_unit(unit, level)
    row = unit_row(result, unit, level)
    idx = index if index is not None else EvidenceIndex.from_session(session)
    out = {
        "level": level,
        "unit": unit,
        "dimension": result.dimension,
        "model": result.model,
        "y": float(row["y"]),
        "fitted": float(row["fitted"]),
        "pearson": float(row["pearson"]),
    }
    if level == "city":
        direct, via = idx.city(unit)
        out["label"] = idx.names.get(unit, unit)
        out["direct"] = idx.records(direct, max_quotes)
        out["via_dyads"] = idx.records(via, max_quotes)
        out["n_direct"], out["n_via_dyads"] = len(direct), len(via)
        out["n_passages"] = len(direct) + len(via)
        out["passages"] = out["direct"] + out["via_dyads"]
    else:
        ids = idx.dyad(*unit)
        out["label"] = dyad_label(unit[0], unit[1], idx.names)
        out["n_passages"] = len(ids)
        out["passages"] = idx.records(ids, max_quotes)
    return out
