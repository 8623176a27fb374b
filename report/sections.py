"""Pieces of the report context: the joint display and the selected cases of one dimension.

Each function turns library output (``mixed.joint_display``, ``mixed.case_attributes``) into plain
dicts of display strings, plus a pre-rendered Markdown table, so templates only lay them out.
"""
from __future__ import annotations

import pandas as pd

from mixed.evidence import EvidenceIndex, dyad_label, quote_records
from report.tables import fmt_num, to_markdown

__all__ = ["META_COLOURS", "case_section", "evidence_appendix", "joint_section", "meta_view", "quote_view"]

#: Row colours by meta-inference (light green, blue, red), shared by the HTML and DOCX drafts.
META_COLOURS = {"confirmation": "#E3F2E1", "expansion": "#E3ECFA", "discordance": "#FBE3E1"}


def meta_view(label, note="", author="", updated=None) -> dict:
    """The meta-inference fields a report shows: ``meta_inference``, ``note``, ``judged``
    (``"author, YYYY-MM-DD"`` or ``""``), ``meta_class`` (``"mi-<label>"`` or ``""``) and
    ``meta_colour`` (from :data:`META_COLOURS`, ``""`` when not judged)."""
    label = "" if label is None or (isinstance(label, float) and pd.isna(label)) else str(label)
    note = "" if note is None or (isinstance(note, float) and pd.isna(note)) else str(note)
    when = "" if updated is None or pd.isna(updated) else f"{pd.Timestamp(updated):%Y-%m-%d}"
    judged = ", ".join(x for x in (str(author or ""), when) if x)
    return {
        "meta_inference": label,
        "note": note,
        "judged": judged,
        "meta_class": f"mi-{label}" if label in META_COLOURS else "",
        "meta_colour": META_COLOURS.get(label, ""),
    }


def quote_view(record: dict) -> dict:
    """The fields of a quote record a report shows: ``quote``, ``cite``, ``code``, ``links``.

    ``cite`` is ``"document, ¶ n"`` (see ``mixed.evidence.cite``); ``links`` joins the names of
    the linked units with ``"; "``.
    """
    return {
        "quote": record["quote"],
        "cite": record["cite"],
        "code": record["code"],
        "document": record["document"],
        "paragraph": record["paragraph"],
        "coding_id": record["coding_id"],
        "links": "; ".join(record.get("link_labels", [])),
    }


def joint_section(display: pd.DataFrame, *, digits: int = 3, alpha: float = 0.05) -> dict:
    """Rows and a Markdown table for one side-by-side joint display.

    Parameters
    ----------
    display : pandas.DataFrame
        Output of ``mixed.joint.joint_display``.
    digits : int
        Decimals of estimates and interval limits.
    alpha : float
        1 − confidence level, for the column heading.

    Returns
    -------
    dict
        ``level`` (e.g. ``"95%"``), ``rows`` (list of dicts: ``term``, ``estimate_ci``
        ``"0.123 [0.010, 0.236]"``, ``p`` (3 significant digits), ``codes`` (names joined by
        ``"; "``, ``"—"`` when none), ``n_passages``, ``quotes`` (list of :func:`quote_view`),
        and the fields of :func:`meta_view`) and ``markdown`` (the same as a pipe table, quotes
        as ``“quote” (document, ¶ n)`` joined by ``" / "``), ``n_judged`` (rows with a label).
    """
    level = f"{100 * (1 - alpha):g}%"
    rows = []
    for r in display.itertuples(index=False):
        rows.append(
            {
                "term": r.term,
                "estimate_ci": f"{fmt_num(r.estimate, digits)} [{fmt_num(r.ci_low, digits)}, "
                f"{fmt_num(r.ci_high, digits)}]",
                "p": "" if pd.isna(r.p) else ("<0.001" if r.p < 0.001 else f"{r.p:.3f}"),
                "codes": "; ".join(r.codes) if len(r.codes) else "—",
                "n_passages": int(r.n_passages),
                "quotes": [quote_view(q) for q in r.quotes],
                **meta_view(r.meta_inference, getattr(r, "note", ""), getattr(r, "meta_author", ""),
                            getattr(r, "meta_updated", None)),
            }
        )
    table = pd.DataFrame(
        [
            [row["term"], row["estimate_ci"], row["p"], row["codes"], row["n_passages"],
             " / ".join(f"“{q['quote']}” ({q['cite']})" for q in row["quotes"]),
             row["meta_inference"], row["note"]]
            for row in rows
        ],
        columns=["Term", f"Estimate [{level} CI]", "p", "Codes", "Passages", "Quotes", "Meta-inference", "Note"],
    )
    n_judged = sum(1 for row in rows if row["meta_inference"])
    return {"level": level, "rows": rows, "markdown": to_markdown(table), "n_judged": n_judged}


def _is_typical(case_type) -> bool:
    return "typical" in str(case_type).lower()


def case_section(
    cases: pd.DataFrame,
    index: EvidenceIndex,
    *,
    max_deviant: int = 5,
    max_evidence: int = 10,
    max_quotes: int = 2,
    digits: int = 3,
) -> dict:
    """Rows, a Markdown table and quotes for the selected cases of one dimension.

    All typical cases are kept. Of the deviant (all other) cases, per ``cell`` when the table has
    one (binary models: deviant ties and deviant non-ties are capped separately), the
    ``max_deviant`` with the largest |Pearson residual| are shown, plus up to ``max_evidence``
    further deviant cases that already have coded passages (largest |r| first), so evidence is
    not hidden by the cap alone. Typical cases come first (smallest |r|), then deviant ones
    (largest |r| first); ties by unit id.

    Parameters
    ----------
    cases : pandas.DataFrame
        Output of ``mixed.cases.case_table`` (or ``select_cases`` passed through
        ``mixed.cases.add_evidence``).
    index : EvidenceIndex
        The project's codings, for the quotes.
    max_deviant, max_evidence, max_quotes : int
        Caps on deviant cases shown by |r| (per cell), on further deviant cases shown because
        they have evidence, and on quotes per case.
    digits : int
        Decimals of fitted values.

    Returns
    -------
    dict
        ``rule`` (the selection rule stated by quant, or ``""``), ``n_deviant`` (all deviant
        cases), ``n_deviant_shown``, ``n_extra_evidence`` (deviant cases shown beyond the cap
        because they have evidence), ``rows`` (dicts: ``unit``, ``label``, ``case_type``,
        ``cell``, ``y``, ``fitted``, ``pearson``, ``n_passages``, ``no_evidence``, ``quotes``)
        and ``markdown``.
    """
    df = cases.reset_index(drop=True).copy()
    is_city = "city" in df.columns
    df["_abs"] = df["pearson"].abs()
    df["_id"] = df["city"].astype(str) if is_city else df["city_a"].astype(str) + "-" + df["city_b"].astype(str)
    typical_mask = df["case_type"].map(_is_typical).to_numpy(dtype=bool)
    typical = df[typical_mask].sort_values(["_abs", "_id"], kind="mergesort")
    deviant = df[~typical_mask].sort_values(["_abs", "_id"], ascending=[False, True], kind="mergesort")
    cap = max(int(max_deviant), 0)
    if "cell" in deviant.columns and deviant["cell"].notna().any():
        top = deviant.groupby(deviant["cell"].fillna(""), sort=False, group_keys=False).head(cap)
    else:
        top = deviant.head(cap)
    rest = deviant.drop(index=top.index)
    extra = rest[rest["n_passages"].to_numpy() > 0].head(max(int(max_evidence), 0))
    chosen = deviant.loc[deviant.index.isin(top.index.union(extra.index))]
    shown = pd.concat([typical, chosen])
    rows = []
    for r in shown.to_dict("records"):
        if is_city:
            unit = str(r["city"])
            label = index.names.get(unit, unit)
            direct, via = index.city(unit)
            ids = direct + via
        else:
            a, b = str(r["city_a"]), str(r["city_b"])
            unit = f"{a}-{b}"
            label = dyad_label(a, b, index.names)
            ids = index.dyad(a, b)
        quotes = [quote_view(q) for q in index.records(ids, max_quotes)] if ids else []
        rows.append(
            {
                "unit": unit,
                "label": label,
                "case_type": str(r["case_type"]),
                "cell": "" if pd.isna(r.get("cell")) else str(r.get("cell", "")),
                "y": f"{float(r['y']):g}",
                "fitted": fmt_num(r["fitted"], digits),
                "pearson": fmt_num(r["pearson"], 2),
                "n_passages": int(r["n_passages"]),
                "no_evidence": bool(r["no_evidence"]),
                "quotes": quotes,
            }
        )
    table = pd.DataFrame(
        [
            [row["label"], row["unit"], row["case_type"], row["cell"], row["y"], row["fitted"],
             row["pearson"], row["n_passages"], "no evidence yet" if row["no_evidence"] else ""]
            for row in rows
        ],
        columns=["Case", "Id", "Type", "Cell", "y", "Fitted", "Pearson r", "Passages", "Evidence"],
    )
    rule = ""
    if "rule" in df.columns and len(df):
        rule = str(df["rule"].iloc[0]).rstrip(". ")
    return {
        "rule": rule,
        "n_deviant": int(len(deviant)),
        "n_extra_evidence": int(len(extra)),
        "n_deviant_shown": int(len(chosen)),
        "rows": rows,
        "markdown": to_markdown(table),
    }


def evidence_appendix(session, *, max_rows: int = 400, index: EvidenceIndex | None = None) -> dict:
    """Every coded passage linked to a city or a dyad, grouped by code, with its citation.

    The appendix lets a reader find any linked passage in the draft, not only the few quoted
    in the joint displays and case narratives.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
    max_rows : int
        At most this many passages are listed (most recent codings last); ``n_total`` and
        ``truncated`` say when the list was cut.
    index : EvidenceIndex, optional
        A prebuilt index of the project's codings (read from ``session`` otherwise).

    Returns
    -------
    dict
        ``groups`` (list of ``{"code", "passages": [{"quote", "cite", "links"}]}`` in codebook
        order), ``n_total`` and ``truncated``.
    """
    idx = index if index is not None else EvidenceIndex.from_session(session)
    frame = idx.frame.reset_index(drop=True)
    if frame.empty:
        return {"groups": [], "n_total": 0, "truncated": False}
    linked = frame[[bool(len(c)) or bool(len(d)) for c, d in zip(frame["cities"], frame["dyads"])]]
    n_total = len(linked)
    linked = linked.sort_values(["code", "document", "start"]).head(max_rows)
    groups: dict[str, list[dict]] = {}
    for record in quote_records(linked, idx.names, idx.dyad_keys):
        view = quote_view(record)
        groups.setdefault(record["code"], []).append({k: view[k] for k in ("quote", "cite", "links")})
    return {
        "groups": [{"code": code, "passages": items} for code, items in groups.items()],
        "n_total": n_total,
        "truncated": n_total > len(linked),
    }
