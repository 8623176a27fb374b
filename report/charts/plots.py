"""Plots for each analysis, as Altair charts (titles and axes in Chinese and English).

- :func:`coefficient_plot` — estimate ± confidence interval per term, one panel and colour per
  dimension: the decoupling display (Needs–Supply terms that drive breadth and connection but not
  degree) as a figure. :func:`coefficient_table` is its data.
- :func:`observed_predicted_plot`, :func:`residual_plot` — per unit of a fit, with case types
  from ``quant.cases.typical_deviant.select_cases`` (deviant iff |Pearson residual| > c; quant.md §4.3).
- :func:`breadth_degree_plot` — "advertised partners vs services delivered": breadth (number of
  ties) against mean degree per city, Mark-coded cities highlighted, with the quartile lines of
  ``mixed.cases.advertised_not_implemented`` (top-quartile breadth, bottom-quartile mean degree).
- :func:`code_frequency_plot` — codings per code by document, or by case group of a run.

Inputs are ``FitResult`` s / ``Run`` s and DataFrames; ``*_for_session`` helpers gather them.
"""
from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import numpy as np
import pandas as pd

from i18n import _
from report.charts.style import CASE_COLOURS, DIMENSION_COLOURS, DIMENSION_LABELS, inline, styled
from report.errors import ReportError

__all__ = [
    "coefficient_table", "coefficient_plot", "latest_coefficient_plot", "case_points",
    "observed_predicted_plot", "residual_plot", "breadth_degree_table", "breadth_degree_plot",
    "marked_cities", "code_counts_by_document", "code_counts_by_case", "code_frequency_plot",
]

_NON_TERMS = {"Intercept", "const", "alpha"}


def _result(obj):
    return getattr(obj, "result", obj)


def coefficient_table(results: Mapping[str, object], drop_intercept: bool = True) -> pd.DataFrame:
    """Estimates and CIs of several fits, long: dimension, dimension_label, term, estimate,
    ci_low, ci_high, p (from ``FitResult.table()``; the CI level and SE type are the fit's).

    ``results`` maps a dimension (or any panel name) to a ``FitResult`` or ``Run``.

    Raises
    ------
    ReportError
        ``results`` is empty.
    """
    if not results:
        raise ReportError(_("No saved run to plot; fit and save a run for at least one dimension."))
    parts = []
    for dim, obj in results.items():
        t = _result(obj).table().reset_index().rename(columns={"index": "term"})
        if drop_intercept:
            t = t[~t["term"].isin(_NON_TERMS)]
        t = t[["term", "estimate", "ci_low", "ci_high", "p"]].copy()
        t.insert(0, "dimension_label", DIMENSION_LABELS.get(dim, dim))
        t.insert(0, "dimension", dim)
        parts.append(t)
    return pd.concat(parts, ignore_index=True)


def coefficient_plot(results: Mapping[str, object], *, title: str = "各维度系数 Coefficients by dimension",
                     drop_intercept: bool = True, width: int = 220) -> alt.FacetChart:
    """Point (estimate) and bar (CI) per term, one panel and colour per dimension, a zero line."""
    table = coefficient_table(results, drop_intercept)
    order = list(dict.fromkeys(table["term"]))
    dims = list(dict.fromkeys(table["dimension_label"]))
    colour = alt.Color("dimension_label:N", title="维度 dimension", legend=None, scale=alt.Scale(
        domain=dims, range=[DIMENSION_COLOURS.get(d, "#444444") for d in dict.fromkeys(table["dimension"])]))
    y = alt.Y("term:N", sort=order, title="变量 term")
    base = alt.Chart().encode(y=y)
    bars = base.mark_rule(strokeWidth=2).encode(x=alt.X("ci_low:Q", title="估计值与置信区间 estimate (CI)"),
                                                 x2="ci_high:Q", color=colour)
    points = base.mark_point(filled=True, size=60).encode(
        x="estimate:Q", color=colour,
        tooltip=[alt.Tooltip("term:N", title="变量 term"), alt.Tooltip("estimate:Q", format=".3f", title="估计 estimate"),
                 alt.Tooltip("ci_low:Q", format=".3f", title="下限 CI low"),
                 alt.Tooltip("ci_high:Q", format=".3f", title="上限 CI high"), alt.Tooltip("p:Q", format=".3g")])
    zero = alt.Chart().mark_rule(color="#999999", strokeDash=[4, 3]).encode(x=alt.datum(0))
    chart = alt.layer(zero, bars, points, data=inline(table)).properties(width=width).facet(
        column=alt.Column("dimension_label:N", title=None, sort=dims)
    ).resolve_scale(x="independent").properties(title=title)
    return styled(chart)


def latest_coefficient_plot(session, **kwargs) -> alt.FacetChart:
    """:func:`coefficient_plot` of the latest saved run of each dimension (``runs.latest_runs``).

    Raises
    ------
    ReportError
        No run is saved.
    """
    from quant.runs import saved as runs

    latest = runs.latest_runs(session)
    order = [d for d in ("breadth", "connection", "degree") if d in latest]
    return coefficient_plot({d: runs.load_run(session, latest[d]) for d in order}, **kwargs)


def _unit_labels(frame: pd.DataFrame, names: Mapping[str, str]) -> list[str]:
    if "city" in frame.columns:
        return [names.get(str(c), str(c)) for c in frame["city"]]
    return [f"{names.get(str(a), a)} – {names.get(str(b), b)}" for a, b in zip(frame["city_a"], frame["city_b"])]


def case_points(result, names: Mapping[str, str], c: float = 2.0) -> pd.DataFrame:
    """Every unit of a fit with its case type: ids, label (names), y, fitted, pearson, case_type
    ("deviant" iff |pearson| > c, else "typical"; binary models also ``cell``).

    Raises
    ------
    QuantError
        From ``quant.cases.typical_deviant.select_cases`` (bad c, missing residuals).
    """
    from quant.cases.typical_deviant import select_cases

    res = _result(result)
    pts = select_cases(res, c=c, n_typical=0, n_deviant=None, include_other=True)
    pts["case_type"] = np.where(pts["abs_r"] > c, "deviant", "typical")
    pts.insert(0, "label", _unit_labels(pts, names))
    return pts


MAX_POINTS = 2000
"""Above this many units, typical units are drawn as a binned count (grey cells), deviant ones as points."""


def _layers(pts: pd.DataFrame, x: str, y: str, xt: str, yt: str, tips: list) -> list:
    """Point layer (all units, or only deviant ones when there are more than MAX_POINTS) plus,
    in the latter case, a 40 × 40 cell count of the typical units underneath."""
    layers = []
    shown = pts
    if len(pts) > MAX_POINTS:
        typ = pts[pts["case_type"] == "typical"]
        shown = pts[pts["case_type"] == "deviant"]
        if len(typ):
            xe = np.linspace(pts[x].min(), pts[x].max() + 1e-12, 41)
            ye = np.linspace(pts[y].min(), pts[y].max() + 1e-12, 41)
            h, _xe, _ye = np.histogram2d(typ[x], typ[y], bins=[xe, ye])
            i, j = np.nonzero(h)
            cells = pd.DataFrame({"x0": xe[i], "x1": xe[i + 1], "y0": ye[j], "y1": ye[j + 1], "n": h[i, j]})
            layers.append(alt.Chart(inline(cells)).mark_rect(opacity=0.8).encode(
                x=alt.X("x0:Q", title=xt), x2="x1:Q", y=alt.Y("y0:Q", title=yt), y2="y1:Q",
                color=alt.Color("n:Q", title="典型个案数 typical units", scale=alt.Scale(scheme="greys", type="log")),
                tooltip=[alt.Tooltip("n:Q", title="典型个案数 typical units")]))
    layers.append(alt.Chart(inline(shown)).mark_circle(opacity=0.6).encode(
        x=alt.X(f"{x}:Q", title=xt), y=alt.Y(f"{y}:Q", title=yt), color=_case_colour(), tooltip=tips))
    return layers


def _case_colour():
    return alt.Color("case_type:N", title="个案类型 case type",
                     scale=alt.Scale(domain=["deviant", "typical"], range=[CASE_COLOURS["deviant"], CASE_COLOURS["typical"]]))


def observed_predicted_plot(result, names: Mapping[str, str], c: float = 2.0, *, title: str | None = None,
                            width: int = 420, height: int = 360) -> alt.LayerChart:
    """Observed y against predicted (fitted mean) per unit, deviant cases in red, the line y = x."""
    res = _result(result)
    pts = case_points(res, names, c)
    tips = [alt.Tooltip("label:N", title="单位 unit"), alt.Tooltip("y:Q", title="观测 observed"),
            alt.Tooltip("fitted:Q", format=".3f", title="预测 predicted"), alt.Tooltip("pearson:Q", format=".2f", title="Pearson")]
    dots = _layers(pts, "fitted", "y", "预测值 predicted", "观测值 observed", tips)
    hi = float(max(pts["fitted"].max(), pts["y"].max())) if len(pts) else 1.0
    diag = alt.Chart(inline(pd.DataFrame({"a": [0.0, hi]}))).mark_line(color="#888888", strokeDash=[4, 3]).encode(x="a:Q", y="a:Q")
    t = title or f"观测与预测 Observed vs predicted — {DIMENSION_LABELS.get(res.dimension, res.dimension)} ({res.model})"
    chart = alt.layer(diag, *dots).properties(width=width, height=height, title=t)
    return styled(chart.resolve_scale(color="independent") if len(dots) > 1 else chart)


def residual_plot(result, names: Mapping[str, str], c: float = 2.0, *, title: str | None = None,
                  width: int = 420, height: int = 360) -> alt.LayerChart:
    """Pearson residual against predicted value per unit, with the cut-off lines ±c."""
    res = _result(result)
    pts = case_points(res, names, c)
    tips = [alt.Tooltip("label:N", title="单位 unit"), alt.Tooltip("pearson:Q", format=".2f", title="Pearson"),
            alt.Tooltip("y:Q", title="观测 observed"), alt.Tooltip("fitted:Q", format=".3f", title="预测 predicted")]
    dots = _layers(pts, "fitted", "pearson", "预测值 predicted", "Pearson 残差 residual", tips)
    cuts = alt.Chart(inline(pd.DataFrame({"r": [-c, c]}))).mark_rule(color=CASE_COLOURS["deviant"], strokeDash=[4, 3]).encode(y="r:Q")
    t = title or f"残差 Residuals — {DIMENSION_LABELS.get(res.dimension, res.dimension)} (|r| > {c:g}: 偏离 deviant)"
    chart = alt.layer(cuts, *dots).properties(width=width, height=height, title=t)
    return styled(chart.resolve_scale(color="independent") if len(dots) > 1 else chart)


def breadth_degree_table(dyads: pd.DataFrame, cities: pd.DataFrame, outcome: str = "connection",
                         degree: str = "degree") -> pd.DataFrame:
    """Per city: code, name, breadth (ties: dyads with outcome == 1), mean_degree (mean of
    ``degree`` over its ties with a known degree; NaN without one).

    Raises
    ------
    ReportError
        A column is missing.
    """
    missing = [col for col in ("city_a", "city_b", outcome, degree) if col not in dyads.columns]
    if missing:
        raise ReportError(_("The dyad table lacks {names}.").format(names=', '.join(missing)))
    ties = dyads[dyads[outcome] == 1]
    long = pd.concat([ties[["city_a", degree]].rename(columns={"city_a": "code"}),
                      ties[["city_b", degree]].rename(columns={"city_b": "code"})])
    long["code"] = long["code"].astype(str)
    g = long.groupby("code")[degree]
    out = cities[["code", "name"]].assign(code=cities["code"].astype(str)).copy()
    out["breadth"] = out["code"].map(g.size()).fillna(0).astype(int)
    out["mean_degree"] = out["code"].map(g.mean())
    return out.reset_index(drop=True)


def marked_cities(index, code: str = "Mark") -> set[str]:
    """Cities with a passage coded ``code`` linked to them or to a pair containing them
    (``index`` is a ``mixed.evidence.EvidenceIndex``)."""
    frame = index.frame
    ids = set(frame.loc[frame["code"] == code, "coding_id"].astype(int))
    out = {c for c, cids in index.city_direct.items() if cids & ids}
    out |= {x for (a, b), cids in index.dyad_codings.items() if cids & ids for x in (a, b)}
    return out


def breadth_degree_plot(table: pd.DataFrame, marked: set[str] | None = None, *, breadth_q: float = 0.75,
                        degree_q: float = 0.25, code: str = "Mark", title: str | None = None,
                        width: int = 460, height: int = 380) -> alt.LayerChart:
    """Breadth (x) against mean degree (y) per city; cities in ``marked`` are drawn as red
    diamonds; dashed lines at the ``breadth_q`` quantile of breadth and the ``degree_q`` quantile
    of mean degree (pandas linear quantiles, as ``mixed.cases.advertised_not_implemented``):
    the lower-right corner holds cities that advertised partners but delivered few services."""
    t = table.dropna(subset=["mean_degree"]).copy()
    marked = marked or set()
    t["marked"] = np.where(t["code"].isin(marked), f"{code} 编码 coded", "其他 other")
    b_thr, d_thr = float(table["breadth"].quantile(breadth_q)), float(t["mean_degree"].quantile(degree_q))
    dots = alt.Chart(inline(t)).mark_point(filled=True, opacity=0.75).encode(
        x=alt.X("breadth:Q", title="广度：合作城市数 breadth (partners)"),
        y=alt.Y("mean_degree:Q", title="平均深度：服务事项 mean degree (services)"),
        color=alt.Color("marked:N", title=None, scale=alt.Scale(domain=[f"{code} 编码 coded", "其他 other"],
                                                                 range=["#d62728", "#9e9e9e"])),
        shape=alt.Shape("marked:N", title=None, scale=alt.Scale(domain=[f"{code} 编码 coded", "其他 other"],
                                                                 range=["diamond", "circle"])),
        size=alt.condition(alt.datum.marked == "其他 other", alt.value(40), alt.value(120)),
        tooltip=[alt.Tooltip("name:N", title="城市 city"), alt.Tooltip("breadth:Q", title="广度 breadth"),
                 alt.Tooltip("mean_degree:Q", format=".1f", title="平均深度 mean degree")])
    vline = alt.Chart(inline(pd.DataFrame({"v": [b_thr]}))).mark_rule(strokeDash=[4, 3], color="#666666").encode(x="v:Q")
    hline = alt.Chart(inline(pd.DataFrame({"v": [d_thr]}))).mark_rule(strokeDash=[4, 3], color="#666666").encode(y="v:Q")
    ttl = title or "宣传的伙伴与实际的服务 Advertised partners vs services delivered"
    return styled(alt.layer(vline, hline, dots).properties(width=width, height=height, title=ttl))


def code_counts_by_document(frame: pd.DataFrame) -> pd.DataFrame:
    """Codings per (document, code): columns document, code, n (``coding.retrieval.queries.retrieve`` rows)."""
    if frame.empty:
        return pd.DataFrame(columns=["document", "code", "n"])
    return frame.groupby(["document", "code"]).size().rename("n").reset_index()


def code_counts_by_case(result, index, c: float = 2.0) -> pd.DataFrame:
    """Codings per (case group, code) for the units of a fit: columns group, code, n, units
    (the number of units in the group). Groups: "deviant" / "typical" (|Pearson| > c or not;
    binary models split by tie / non-tie). A passage counts once per group even when linked to
    several units of it. City units take passages linked to the city or to a pair containing it.
    """
    res = _result(result)
    pts = case_points(res, index.names, c)
    group = pts["cell"] if res.model in ("logit", "probit") and pts["cell"].notna().all() else pts["case_type"]
    rows = []
    for g, part in pts.groupby(group):
        ids: set[int] = set()
        if "city" in part.columns:
            for code in part["city"].astype(str):
                direct, via = index.city(code)
                ids.update(direct)
                ids.update(via)
        else:
            for a, b in zip(part["city_a"], part["city_b"]):
                ids.update(index.dyad(a, b))
        if ids:
            counts = index.frame.loc[sorted(ids), "code"].value_counts()
            rows += [{"group": g, "code": k, "n": int(v), "units": len(part)} for k, v in counts.items()]
        else:
            rows.append({"group": g, "code": None, "n": 0, "units": len(part)})
    out = pd.DataFrame(rows, columns=["group", "code", "n", "units"])
    return out[out["code"].notna()].reset_index(drop=True)


def code_frequency_plot(counts: pd.DataFrame, by: str = "document", *, title: str | None = None,
                        width: int = 420) -> alt.LayerChart:
    """Heat map of ``counts`` (from :func:`code_counts_by_document` with ``by="document"`` or
    :func:`code_counts_by_case` with ``by="group"``): code (rows) × column, the count written in.

    Raises
    ------
    ReportError
        ``by`` is not a column of ``counts``.
    """
    if by not in counts.columns:
        raise ReportError(_("The counts have no column {by!r}.").format(by=by))
    col_title = "文档 document" if by == "document" else "个案组 case group"
    base = alt.Chart(inline(counts)).encode(
        x=alt.X(f"{by}:N", title=col_title, axis=alt.Axis(labelAngle=-30, labelLimit=200)),
        y=alt.Y("code:N", title="编码 code"))
    heat = base.mark_rect().encode(color=alt.Color("n:Q", title="编码数 codings", scale=alt.Scale(scheme="blues")),
                                   tooltip=[alt.Tooltip(f"{by}:N", title=col_title), alt.Tooltip("code:N", title="编码 code"),
                                            alt.Tooltip("n:Q", title="编码数 codings")])
    text = base.mark_text(fontSize=10).encode(text="n:Q")
    ttl = title or f"编码频次 Code frequencies by {'document' if by == 'document' else 'case group'}"
    return styled(alt.layer(heat, text).properties(width=width, title=ttl))
