"""The decoupling display: which Needs–Supply factors matter for breadth, connection and degree.

The study's central finding is that the three dimensions of collaboration *decouple*: different
factors of the Needs–Supply framework drive breadth (how many partners), connection (whether a
pair collaborates) and degree (how much a collaborating pair delivers) (domain.md). This display
puts one saved run per dimension side by side: one row per factor, one block of columns per run,
each cell the factor's estimate, confidence interval, p and significance mark under *that run's
own* SE type (model SE for breadth, dyadic-robust SE for dyad runs, as saved), and the number of
coded passages of the factor. It never refits: the numbers are those of the saved runs.

Rows: the codable codes under the top-level categories "Needs" and "Supply" (the six factors of
the default codebook), each placed on the term(s) of each run it is mapped to by the code ↔
variable map and the term rule of ``mixed.terms``; then every other term that two or more runs
share (e.g. ``log_distance``), labelled as a control. A factor mapped to two terms of one run (a
hurdle's zero and count parts) gets one row per term, numbered.

Significance: p < alpha under the run's reference distribution (normal, or t for p_dist="t"),
marked * (p < 0.05), ** (p < 0.01), *** (p < 0.001).
"""
from __future__ import annotations

import math

import pandas as pd
from sqlalchemy.orm import Session

from coding.codes.book import codebook as read_codebook
from coding.codes.book import variable_map
from coding.codes.dimensions import DIMENSIONS
from coding.retrieval.queries import retrieve
from i18n import _
from mixed.errors import MixedError
from mixed.terms import NON_TERMS, codes_for_term

__all__ = ["LONG_COLUMNS", "FACTOR_CATEGORIES", "decoupling_long", "decoupling_table", "decoupling_text",
           "significance_mark", "load_decoupling_runs"]

#: Top-level categories whose codable sub-codes are the Needs–Supply factors.
FACTOR_CATEGORIES = ("Needs", "Supply")
#: Columns of :func:`decoupling_long`.
LONG_COLUMNS = ["row", "factor", "kind", "n_passages", "dimension", "run", "term", "estimate", "se", "ci_low",
                "ci_high", "p", "mark", "significant", "se_type", "se_label"]


def significance_mark(p: float) -> str:
    """``"***"`` for p < 0.001, ``"**"`` for p < 0.01, ``"*"`` for p < 0.05, else ``""``."""
    if p is None or not math.isfinite(float(p)):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def load_decoupling_runs(session: Session, names=None) -> dict:
    """``{dimension: Run}``: the named runs, or by default the latest run of each dimension.

    Raises
    ------
    MixedError
        No run saved yet, or two named runs of the same dimension.
    quant.QuantError
        A named run does not exist.
    """
    from quant.runs import saved as qruns

    if names is None:
        latest = qruns.latest_runs(session)
        if not latest:
            raise MixedError(_("No run is saved yet; save a run of breadth, connection or degree first."))
        return {d: qruns.load_run(session, n) for d, n in latest.items()}
    out: dict = {}
    for name in names:
        run = qruns.load_run(session, name)
        dim = run.info.dimension
        if dim in out and out[dim].info.id == run.info.id:
            raise MixedError(_("Run “{name}” is named twice; give each run once.").format(name=run.info.name))
        if dim in out:
            raise MixedError(_("Runs “{name}” and “{name2}” are both {dim} runs; give at most one run per dimension.")
                             .format(name=out[dim].info.name, name2=run.info.name, dim=dim))
        out[dim] = run
    return {d: out[d] for d in DIMENSIONS if d in out}


def _factors(book: pd.DataFrame) -> list[tuple[int, str]]:
    top = {int(i): str(n) for i, n, p in zip(book["id"], book["name"], book["parent_id"]) if p is None or pd.isna(p)}
    cats = {i for i, n in top.items() if n in FACTOR_CATEGORIES}
    children: dict[int, list[int]] = {}
    for i, p in zip(book["id"], book["parent_id"]):
        if p is not None and not pd.isna(p):
            children.setdefault(int(p), []).append(int(i))
    names = dict(zip(book["id"].astype(int), book["name"].astype(str)))
    codable = dict(zip(book["id"].astype(int), book["codable"].astype(bool))) if "codable" in book else {}
    out, stack = [], sorted(cats, key=lambda i: list(FACTOR_CATEGORIES).index(top[i]))
    for cat in stack:
        todo = list(children.get(cat, []))
        while todo:
            cid = todo.pop(0)
            if codable.get(cid, True):
                out.append((cid, names[cid]))
            todo[:0] = children.get(cid, [])
    return out


def decoupling_long(session: Session, runs: dict | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """The decoupling display in tidy form: one row per (display row, run).

    Parameters
    ----------
    session : Session
    runs : dict of str to quant.runs.saved.Run, optional
        ``{dimension: run}``; default the latest run of each dimension (:func:`load_decoupling_runs`).
    alpha : float
        1 − confidence level, and the significance level, in (0, 1).

    Returns
    -------
    DataFrame, columns :data:`LONG_COLUMNS`
        ``row`` (display label: the factor name, numbered when a factor has several terms in a
        run, or "<term> (control)"), ``factor`` (code name; "" for controls), ``kind``
        ("factor" | "control"), ``n_passages`` (codings of the factor and its sub-codes; 0 for
        controls), ``dimension``, ``run`` (name), ``term`` (None when the factor is not in that
        run's model), ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``p`` (from the run's
        ``result.table(run's se_type, alpha)``; NaN when absent), ``mark`` (see
        :func:`significance_mark`), ``significant`` ("significant at 5%", "not significant at 5%"
        or "not in the model"), ``se_type``, ``se_label``. ``attrs``: ``alpha``, ``runs``
        ({dimension: run name}), ``se_labels`` ({dimension: SE sentence}).

    Raises
    ------
    MixedError
        No runs, a key that is not a dimension or does not match its run's dimension.
    quant.QuantError
        ``alpha`` outside (0, 1).
    """
    runs = load_decoupling_runs(session) if runs is None else dict(runs)
    if not runs:
        raise MixedError(_("No run to compare; save a run of breadth, connection or degree first."))
    for dim, run in runs.items():
        if dim not in DIMENSIONS or run.info.dimension != dim:
            raise MixedError(_("Run “{name}” is a {dimension} run and cannot stand in the {dim!s} column.")
                             .format(name=run.info.name, dimension=run.info.dimension, dim=dim))
    dims = [d for d in DIMENSIONS if d in runs]
    tables = {d: runs[d].result.table(runs[d].result.se_type, alpha) for d in dims}
    terms = {d: [str(t) for t in tables[d].index if str(t) not in NON_TERMS] for d in dims}
    vmap = variable_map(session)
    book = read_codebook(session)
    factors = _factors(book)
    level = f"{alpha * 100:g}%"
    rows: list[tuple[str, str, str, int, dict]] = []  # (label, factor, kind, n, {dim: term})
    used = set()
    coded = retrieve(session, code_ids=[cid for cid, _ in factors], include_subcodes=True) if factors else None
    children: dict[int, list[int]] = {}
    for i, parent in zip(book["id"], book["parent_id"]):
        if parent is not None and not pd.isna(parent):
            children.setdefault(int(parent), []).append(int(i))
    for cid, name in factors:
        per = {d: [t for t in terms[d] if cid in codes_for_term(t, vmap)] for d in dims}
        below, todo = {cid}, [cid]
        while todo:
            for child in children.get(todo.pop(), []):
                below.add(child)
                todo.append(child)
        n = int(coded.loc[coded["code_id"].isin(below), "coding_id"].nunique())
        k = max([len(v) for v in per.values()] + [1])
        for j in range(k):
            label = name if k == 1 else f"{name} ({j + 1})"
            rows.append((label, name, "factor", n, {d: per[d][j] if j < len(per[d]) else None for d in dims}))
        used |= {(d, t) for d in dims for t in per[d]}
    shared = sorted({t for d in dims for t in terms[d] if (d, t) not in used
                     and sum(t in terms[e] for e in dims) >= 2}, key=lambda t: min(
                         terms[d].index(t) for d in dims if t in terms[d]))
    for t in shared:
        rows.append((f"{t} (control)", "", "control", 0, {d: t if t in terms[d] and (d, t) not in used else None
                                                         for d in dims}))
    out = []
    for label, factor, kind, n, chosen in rows:
        for d in dims:
            run, term = runs[d], chosen[d]
            res = run.result
            rec = {"row": label, "factor": factor, "kind": kind, "n_passages": n, "dimension": d,
                   "run": run.info.name, "term": term, "se_type": res.se_type,
                   "se_label": res.se_labels.get(res.se_type, res.se_type)}
            if term is None:
                rec.update(estimate=math.nan, se=math.nan, ci_low=math.nan, ci_high=math.nan, p=math.nan,
                           mark="", significant="not in the model")
            else:
                t = tables[d].loc[term]
                p = float(t["p"])
                rec.update(estimate=float(t["estimate"]), se=float(t["se"]), ci_low=float(t["ci_low"]),
                           ci_high=float(t["ci_high"]), p=p, mark=significance_mark(p),
                           significant=f"significant at {level}" if p < alpha else f"not significant at {level}")
            out.append(rec)
    df = pd.DataFrame(out, columns=LONG_COLUMNS)
    df.attrs.update(alpha=alpha, runs={d: runs[d].info.name for d in dims},
                    se_labels={d: runs[d].result.se_labels.get(runs[d].result.se_type, runs[d].result.se_type)
                               for d in dims})
    return df


_CELL = ("term", "estimate", "ci_low", "ci_high", "p", "mark", "significant")


def decoupling_table(session: Session, runs: dict | None = None, alpha: float = 0.05,
                     long: pd.DataFrame | None = None) -> pd.DataFrame:
    """The decoupling display, wide: one row per factor (then shared controls), a block per run.

    Parameters
    ----------
    session, runs, alpha
        As :func:`decoupling_long`.
    long : DataFrame, optional
        A prebuilt :func:`decoupling_long` (saves recomputing it).

    Returns
    -------
    DataFrame
        Index: the display row labels, in order. Columns ``factor``, ``kind``, ``n_passages``, then
        for each dimension with a run (breadth, connection, degree order) ``"<dim> term"``,
        ``"<dim> estimate"``, ``"<dim> ci_low"``, ``"<dim> ci_high"``, ``"<dim> p"``, ``"<dim>
        mark"`` and ``"<dim> significant"`` (e.g. "significant at 5%"). ``attrs``: ``alpha``,
        ``runs`` ({dimension: name}), ``se_labels`` ({dimension: SE sentence}).

    Raises
    ------
    As :func:`decoupling_long`.
    """
    long = decoupling_long(session, runs, alpha) if long is None else long
    present = set(long.attrs.get("runs", {})) | set(long["dimension"])
    dims = [d for d in DIMENSIONS if d in present]
    order = list(dict.fromkeys(long["row"]))
    base = long.drop_duplicates("row").set_index("row")[["factor", "kind", "n_passages"]].reindex(order)
    blocks = [base]
    for d in dims:
        part = long[long["dimension"] == d].set_index("row")[list(_CELL)].reindex(order)
        blocks.append(part.rename(columns={c: f"{d} {c}" for c in _CELL}))
    wide = pd.concat(blocks, axis=1)
    for d in dims:  # "not in the model" keeps None as its term, not NaN
        col = wide[f"{d} term"].astype(object)
        wide[f"{d} term"] = col.where(col.notna(), None)
    wide.index.name = "row"
    labels = long.attrs.get("se_labels") or dict(zip(long["dimension"], long["se_label"]))
    wide.attrs.update(alpha=long.attrs.get("alpha", alpha), runs=dict(long.attrs.get("runs", {})),
                      se_labels={d: str(labels.get(d, "")) for d in dims})
    return wide


def _fmt(x: float) -> str:
    return "" if x is None or not math.isfinite(x) else f"{x:.3f}"


def decoupling_text(wide: pd.DataFrame) -> str:
    """A plain-text rendering of :func:`decoupling_table` for the command line.

    One line per row with, per run, ``estimate<mark> [ci_low, ci_high]`` (``—`` when the factor
    is not in that model), then one line per run naming its SE and the factors significant in
    it: the decoupling in words.
    """
    dims = [d for d in DIMENSIONS if f"{d} estimate" in wide.columns]
    runs = wide.attrs.get("runs", {})
    alpha = wide.attrs.get("alpha", 0.05)
    head = ["factor", "passages"] + [f"{d} ({runs.get(d, '')})" for d in dims]
    body = []
    for label, r in wide.iterrows():
        cells = [str(label), str(int(r["n_passages"]))]
        for d in dims:
            if r[f"{d} term"] is None:
                cells.append("—")
            else:
                cells.append(f"{_fmt(r[f'{d} estimate'])}{r[f'{d} mark']} "
                             f"[{_fmt(r[f'{d} ci_low'])}, {_fmt(r[f'{d} ci_high'])}]")
        body.append(cells)
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in [head] + body]
    lines.append("")
    lines.append(f"* p < 0.05, ** p < 0.01, *** p < 0.001; CI at {100 * (1 - alpha):g}%.")
    for d in dims:
        sig = [str(i) for i, r in wide.iterrows() if r["kind"] == "factor"
               and str(r[f"{d} significant"]).startswith("significant")]
        se = wide.attrs.get("se_labels", {}).get(d, "")
        lines.append(f"{d}: significant at {alpha * 100:g}%: {', '.join(sig) if sig else 'no factor'} (SE: {se})")
    return "\n".join(lines)
