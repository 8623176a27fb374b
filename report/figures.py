"""Figures of a report draft: which figures it carries, their numbered captions and alt text,
and their PNG bytes (rendered offline by ``report.charts.export``, vl-convert with the CJK font).

A draft of runs R1…Rk (in report order) carries

1. one coefficient plot across the runs' dimensions (``report.charts.plots.coefficient_plot``:
   estimate and confidence interval per term, one panel per dimension);
2. per run, the Pearson residual plot (``plots.residual_plot``: residual against predicted
   value, deviant cases — |r| > c, Lieberman 2005 — in red, the cut-off lines ±c);
3. per dyad run (connection, degree), the map of its deviant pairs (``report.charts.map``:
   city polygons, a line per pair with |r| > c, coloured by the Pearson residual).

Figures are numbered in the order they appear in the draft (the coefficient plot after the
decoupling table, then each run's figures after its results table). A figure that cannot be
drawn (no stored city boundaries, no deviant pair) is left out and one sentence in ``notes``
says why, so a draft never fails for a figure. Nothing here touches the network: the charts
carry their data inline and ``export`` disallows external data.
"""
from __future__ import annotations

import base64

import pandas as pd
from sqlalchemy.orm import Session

from report.errors import ReportError

__all__ = ["PNG_SCALE", "build_figures", "figure_src", "FILE_PATTERN"]

#: PNG pixels per chart pixel (2 = sharp on screens and at 16 cm in Word).
PNG_SCALE = 2
#: File name of figure n when a Markdown draft writes its figures beside it.
FILE_PATTERN = "figure-{n}.png"

_DIM_WORDS = {"breadth": "breadth", "connection": "connection", "degree": "degree"}
_UNIT_WORDS = {"breadth": "cities", "connection": "dyads", "degree": "collaborating dyads"}


def _run_name(item, key: str) -> str:
    info = getattr(item, "info", None)
    return str(info.name) if info is not None else f"unsaved {key} fit"


def _result(item):
    return getattr(item, "result", item)


def _md_text(text: str) -> str:
    """Alt text safe inside ``![…]`` (brackets escaped)."""
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _figure(kind: str, key: str | None, run: str | None, caption: str, alt: str, chart) -> dict:
    from report.charts.export import chart_spec, to_png

    spec = chart_spec(chart)
    png = to_png(spec, scale=PNG_SCALE)
    return {"kind": kind, "key": key, "run": run, "caption_text": caption, "alt": alt, "md_alt": _md_text(alt),
            "spec": spec, "png": png, "data_uri": "data:image/png;base64," + base64.b64encode(png).decode("ascii")}


def _coefficients(runs: dict) -> dict:
    from report.charts.plots import coefficient_plot

    chart = coefficient_plot({str(k): item for k, item in runs.items()})
    named = "; ".join(f"{_DIM_WORDS.get(str(k), str(k))}: run {_run_name(item, str(k))}" for k, item in runs.items())
    caption = (f"Coefficients of the runs by dimension ({named}). Points are estimates, bars confidence "
               "intervals (each run's own SE type); the dashed line marks zero.")
    alt = (f"Coefficient plot with one panel per dimension ({named}): for every term of each run, a dot at "
           "the estimate and a horizontal bar over its confidence interval, with a dashed vertical line at zero, "
           "so terms whose interval crosses zero in one dimension but not in another stand out.")
    return _figure("coefficients", None, None, caption, alt, chart)


def _residuals(key: str, item, names: dict, c: float) -> dict:
    from report.charts.plots import MAX_POINTS, residual_plot

    res = _result(item)
    u = res.units
    n_dev = int((pd.to_numeric(u["pearson"], errors="coerce").abs() > c).sum())
    unit = _UNIT_WORDS.get(res.dimension, "units")
    name = _run_name(item, key)
    chart = residual_plot(res, names, c=c)
    caption = (f"Pearson residuals of run {name} ({_DIM_WORDS.get(res.dimension, res.dimension)}, {res.model}): "
               f"{n_dev:,} deviant {unit} (|r| > {c:g}) in red among {len(u):,}.")
    binned = (" Typical units are drawn as grey cells counting them, deviant ones as points."
              if len(u) > MAX_POINTS else " Typical units are blue points.")
    alt = (f"Scatter plot of the Pearson residual (vertical) against the predicted value (horizontal) for the "
           f"{len(u):,} {unit} of run {name}, dimension {res.dimension}; dashed red lines at −{c:g} and +{c:g} "
           f"mark the cut-off, and the {n_dev:,} deviant {unit} beyond them are red points.{binned}")
    return _figure("residuals", key, name, caption, alt, chart)


def _deviant_map(session: Session, key: str, item, c: float, index) -> dict | str:
    """The map figure, or the sentence saying why there is none."""
    from report.charts.map import city_map, map_data

    name = _run_name(item, key)
    try:
        tables = map_data(session, run=item, colour="pearson", pairs="deviant", c=c, index=index)
    except ReportError as exc:
        return f"No map of the deviant pairs of run {name}: {exc}"
    n = len(tables.pairs)
    if n == 0:
        return f"No map of the deviant pairs of run {name}: no pair has |r| > {c:g}."
    chart = city_map(tables, title=f"偏离城市对 Deviant pairs — {name}", select=False)
    caption = (f"Deviant pairs of run {name} ({item.info.dimension}) on the map: {n:,} pairs with |r| > {c:g}, "
               "each a line between the two cities coloured by its Pearson residual (red above, blue below the "
               "prediction).")
    alt = (f"Map of the {len(tables.polygons):,} cities of the project as grey polygons, with {n:,} straight lines "
           f"joining the two cities of each deviant pair of run {name} (dimension {item.info.dimension}, "
           f"|Pearson residual| > {c:g}); red lines are pairs above the prediction, blue lines pairs below it.")
    return _figure("map", key, name, caption, alt, chart)


def build_figures(session: Session, runs: dict, *, c: float = 2.0, names: dict | None = None,
                  index=None) -> dict:
    """The figures of a draft of ``runs``, numbered in draft order.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
    runs : dict of str to quant.runs.saved.Run (or quant.models.results.FitResult)
        Keyed by dimension, in report order. A FitResult gets no map (it has no saved pairs).
    c : float
        Deviant iff |Pearson residual| > c.
    names : dict of code to city name, optional (read from the project when None).
    index : mixed.evidence.EvidenceIndex, optional

    Returns
    -------
    dict
        ``coefficients`` (a figure or None), ``by_key`` (key → list of figures), ``all`` (every
        figure in number order) and ``notes`` (sentences for figures left out). A figure is a
        dict: ``number``, ``kind`` ("coefficients", "residuals", "map"), ``key``, ``run``,
        ``caption`` ("Figure n. …"), ``caption_text``, ``alt``, ``md_alt``, ``spec`` (Vega-Lite
        dict), ``png`` (bytes), ``data_uri`` (``data:image/png;base64,…``), ``file``
        (``figure-n.png``).

    Raises
    ------
    ReportError
        From the chart export when vl-convert cannot draw a chart.
    """
    from mixed.evidence import city_names

    out = {"coefficients": None, "by_key": {str(k): [] for k in runs}, "all": [], "notes": []}
    if not runs:
        return out
    names = city_names(session) if names is None else names
    out["coefficients"] = _coefficients(runs)
    out["all"].append(out["coefficients"])
    for key, item in runs.items():
        key = str(key)
        figs = [_residuals(key, item, names, c)]
        if getattr(item, "info", None) is not None and item.info.dimension in ("connection", "degree"):
            made = _deviant_map(session, key, item, c, index)
            if isinstance(made, str):
                out["notes"].append(made)
            else:
                figs.append(made)
        out["by_key"][key] = figs
        out["all"].extend(figs)
    for n, fig in enumerate(out["all"], start=1):
        fig["number"] = n
        fig["caption"] = f"Figure {n}. {fig['caption_text']}"
        fig["file"] = FILE_PATTERN.format(n=n)
        fig["src"] = fig["data_uri"]
    return out


def figure_src(context: dict, assets: str | None) -> dict:
    """``context`` with each figure's ``src`` set: ``assets/figure-n.png`` (a relative link, for a
    Markdown file whose figures are written into the folder ``assets``) or, when ``assets`` is
    None, the PNG data URI (a self-contained single file)."""
    figures = context.get("figures") or {}
    shown = list(figures.get("all", [])) + [figures.get("coefficients")]
    shown += [f for d in context.get("dimensions", []) for f in d.get("figures", [])]
    for fig in shown:
        if fig:
            fig["src"] = fig["data_uri"] if assets is None else f"{assets}/{fig['file']}"
    return context
