"""Report drafts: a plain context dict from the project and its fits, laid out as MD, HTML or DOCX.

``build_context`` gathers everything a draft shows (project facts, per-dimension methods,
journal-style regression tables, the three joint displays of quant.md §6 — side-by-side,
statistics-by-themes, case comparison — with the researcher's meta-inferences, selected cases
with their quotes, the evidence appendix), formatted as strings, so the templates in
``templates/`` (``report.md.j2``, ``report.html.j2``) and ``report.docx`` only lay it out.
``render`` / ``render_context`` produce one format; ``write`` saves a file by its extension.
The HTML environment autoescapes every value, so quotes, document names, memos and code names
cannot inject markup; in Markdown output a ``<`` that could open a tag becomes ``&lt;`` (it still
reads literally once rendered) and ``|`` is escaped inside table cells; in DOCX user text is only
ever the text of a run.
"""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import store
from mixed.cases import add_evidence, case_table
from mixed.comparison import case_comparison
from mixed.evidence import EvidenceIndex
from mixed.joint import joint_display
from mixed.themes import themes_display
from report.displays import comparison_section, themes_section
from report.errors import ReportError
from report.sections import META_COLOURS, case_section, evidence_appendix, joint_section
from report.tables import DEFAULT_STARS, regression_table, stars_note, to_markdown
from store.summary import project_overview

__all__ = ["TEMPLATES", "FORMATS", "MIME_TYPES", "build_context", "render", "render_context", "write"]

#: Folder of the jinja2 templates.
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
#: Output format → template file (``docx`` is written by ``report.docx``).
FORMATS = {"md": "report.md.j2", "html": "report.html.j2", "docx": None}
#: Output format → MIME type, for downloads.
MIME_TYPES = {
    "md": "text/markdown", "html": "text/html",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".docx": "docx"}

_MODEL_NAMES = {
    "logit": "logit",
    "probit": "probit",
    "poisson": "Poisson regression",
    "nb": "negative binomial regression (NB2)",
    "binomial": "binomial GLM (partners out of the possible)",
    "ztnb": "zero-truncated negative binomial regression (NB2)",
    "nb_pos": "negative binomial regression (NB2) on collaborating dyads",
    "hurdle": "two-part hurdle model (logit for any collaboration, zero-truncated NB2 for the count)",
}
_UNITS = {"breadth": "cities", "connection": "dyads", "degree": "collaborating dyads"}
_OUTCOMES = {
    "breadth": "number of partner cities",
    "connection": "whether the pair has an agreement (0/1)",
    "degree": "number of service items the pair delivers jointly",
}


def _is_flag_set(value) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no")
    if isinstance(value, (int, float)):
        return value != 0
    return True  # a dict or list describing the simulation


def _project(session: Session) -> dict:
    facts = project_overview(session)
    info = facts["info"]
    simulated = "simulated_outcomes" in info and _is_flag_set(info["simulated_outcomes"])
    note = info.get("simulated_outcomes")
    if isinstance(note, dict):
        note = note.get("description") or note.get("note") or ""
    note = note if isinstance(note, str) else ""
    illustrative = session.scalar(
        select(func.count()).select_from(store.Document).where(store.Document.illustrative == 1)
    ) or 0
    return {
        "name": str(facts["name"]),
        "n_documents": int(facts["documents"]),
        "n_illustrative": int(illustrative),
        "n_codings": int(facts["codings"]),
        "n_codes": int(facts["codes"]),
        "n_cities": int(facts["cities"]),
        "n_dyads": int(facts["dyads"]),
        "simulated": simulated,
        "simulated_note": note,
    }


def _table_view(df: pd.DataFrame) -> dict:
    return {
        "columns": [str(c) for c in df.columns],
        "rows": [[str(v) for v in row] for row in df.itertuples(index=False)],
        "n_coef_rows": int(df.attrs["n_coef_rows"]),
        "note": df.attrs["note"],
        "markdown": to_markdown(df),
    }


def build_context(
    session: Session,
    results: dict,
    *,
    cases: dict[str, pd.DataFrame] | None = None,
    se_type: str | None = None,
    stars=DEFAULT_STARS,
    alpha: float = 0.05,
    digits: int = 3,
    max_quotes: int = 2,
    max_case_quotes: int = 2,
    max_deviant: int = 5,
    max_evidence: int = 10,
    c: float = 2.0,
    n_typical: int = 5,
    title: str | None = None,
    generated: str | None = None,
    max_appendix: int = 400,
    themes_grouping: str = "case_type",
    themes_base: str = "evidence",
    max_comparison: int = 20,
    colour_rows: bool = True,
) -> dict:
    """Everything a report draft shows, as plain data (strings, numbers, lists, dicts).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
    results : dict of str to quant.results.FitResult
        Fits to report, keyed by a label (usually the dimension), in report order. May be empty.
    cases : dict of str to pandas.DataFrame, optional
        Selected cases per key of ``results`` (``mixed.cases.case_table`` output, or
        ``quant.cases.select_cases`` output, which gets names and evidence added). Keys absent
        here are selected with ``case_table(session, result, c=c, n_typical=n_typical)``.
    se_type : str, optional
        SE type to report where a fit has it; otherwise (and by default) each fit's own
        ``se_type``. Every table and display names the type it shows.
    stars : sequence of float
        Significance levels for *, **, *** (strictly decreasing; default .05/.01/.001).
    alpha : float
        1 − confidence level of the joint displays' intervals.
    digits : int
        Decimals of estimates.
    max_quotes, max_case_quotes : int
        Quotes per term of a joint display, and per case.
    max_deviant : int
        Deviant cases shown per dimension (largest |Pearson residual|; per cell for binary
        models), plus up to ``max_evidence`` further deviant cases that have coded passages
        (see ``report.sections.case_section``); typical cases are all shown.
    max_evidence : int
        See ``max_deviant``.
    c, n_typical : float, int
        Case-selection settings when cases are selected here.
    title : str, optional
        Default ``"<project name>: mixed-methods report (draft)"``.
    generated : str, optional
        Date shown; default today (ISO).
    max_appendix : int
        Passages listed at most in the evidence appendix (every coding linked to a city or
        dyad; see ``report.sections.evidence_appendix``).
    themes_grouping : {"case_type", "outcome", "tercile"}
        Groups of the statistics-by-themes display (``mixed.themes.themes_display``; the
        case-type grouping uses ``c``).
    themes_base : {"evidence", "all"}
        Units over which that display's median and tercile cut points are taken.
    max_comparison : int
        Cases at most in the case comparison: the selected cases that have coded passages or a
        stored meta-inference, in the order of the case table.
    colour_rows : bool
        Colour joint-display and case-comparison rows by their meta-inference (HTML, DOCX).

    Returns
    -------
    dict
        ``title``, ``generated``, ``project`` (``name``, ``n_documents``, ``n_illustrative``,
        ``n_codings``, ``n_codes``, ``n_cities``, ``n_dyads``, ``simulated`` (True when
        ``ProjectInfo`` has a set ``simulated_outcomes`` key), ``simulated_note``),
        ``stars_note`` and ``dimensions``: one dict per fit with ``key``, ``dimension``,
        ``model``, ``model_name``, ``formula``, ``outcome``, ``unit``, ``n``, ``n_nodes``,
        ``se_type``, ``se_label``, ``converged``, ``warnings``, ``table`` (``columns``, ``rows``,
        ``n_coef_rows``, ``note``, ``markdown``; see ``report.tables.regression_table``),
        ``joint`` (see ``report.sections.joint_section``), ``themes`` (see
        ``report.displays.themes_section``), ``comparison`` (see
        ``report.displays.comparison_section``, plus ``n_candidates``: selected cases before the
        filter) and ``cases`` (see ``report.sections.case_section``); ``evidence``: the appendix
        of linked passages; ``meta_colours``: row colour per meta-inference label (empty, and
        no row colour set, when ``colour_rows`` is false).

    Raises
    ------
    ReportError
        If ``results`` is not a dict, ``cases`` has a key not in ``results``, or ``stars`` is
        malformed.
    """
    if not isinstance(results, dict):
        raise ReportError("results must be a dict of label → FitResult (e.g. {'connection': fit}).")
    cases = dict(cases or {})
    unknown = sorted(set(cases) - set(results))
    if unknown:
        raise ReportError(f"cases given for {', '.join(map(str, unknown))}, which has no fit in results.")
    project = _project(session)
    index = EvidenceIndex.from_session(session)
    dims = []
    for key, result in results.items():
        se_key = se_type if se_type is not None and se_type in result.se else result.se_type
        label = f"{str(key).capitalize()}: {_MODEL_NAMES.get(result.model, result.model)}"
        table = regression_table([result], se_key, stars, digits=digits, labels=[label])
        display = joint_display(session, result, se_type=se_key, max_quotes=max_quotes, alpha=alpha, index=index)
        if key in cases:
            chosen = cases[key]
            if "n_passages" not in chosen.columns or "no_evidence" not in chosen.columns:
                chosen = add_evidence(session, chosen, index=index)
        else:
            chosen = case_table(session, result, c=c, n_typical=n_typical, index=index)
        themes = themes_display(session, result, grouping=themes_grouping, c=c, base=themes_base, index=index)
        compared = case_comparison(
            session, result, chosen, index=index,
            c=None if key in cases else c, n_typical=None if key in cases else n_typical,
        )
        studied = (compared["n_passages"] > 0) | (compared["meta_inference"] != "") | (compared["note"] != "")
        comparison = comparison_section(compared[studied.to_numpy()].head(max(int(max_comparison), 0)),
                                        digits=digits)
        comparison["n_candidates"] = int(len(compared))
        dims.append(
            {
                "key": str(key),
                "dimension": result.dimension,
                "model": result.model,
                "model_name": _MODEL_NAMES.get(result.model, result.model),
                "formula": result.formula,
                "outcome": _OUTCOMES.get(result.dimension, result.dimension),
                "unit": _UNITS.get(result.dimension, "units"),
                "n": int(result.n),
                "n_nodes": None if result.n_nodes is None else int(result.n_nodes),
                "se_type": se_key,
                "se_label": result.se_labels.get(se_key, se_key),
                "converged": bool(result.converged),
                "warnings": [str(w) for w in result.warnings],
                "table": _table_view(table),
                "joint": joint_section(display, digits=digits, alpha=alpha),
                "themes": themes_section(themes),
                "comparison": comparison,
                "cases": case_section(
                    chosen, index, max_deviant=max_deviant, max_evidence=max_evidence,
                    max_quotes=max_case_quotes, digits=digits,
                ),
            }
        )
    if not colour_rows:
        for d in dims:
            for row in d["joint"]["rows"] + d["comparison"]["rows"]:
                row["meta_class"] = row["meta_colour"] = ""
    return {
        "title": title or f"{project['name']}: mixed-methods report (draft)",
        "generated": generated or date.today().isoformat(),
        "project": project,
        "stars_note": stars_note(stars),
        "dimensions": dims,
        "evidence": evidence_appendix(session, max_rows=max_appendix, index=index),
        "meta_colours": dict(META_COLOURS) if colour_rows else {},
    }


_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def _markdown_safe(value):
    """Neutralise HTML in Markdown output: a ``<`` that could open a tag becomes ``&lt;``.

    Markdown renderers pass raw HTML (``<`` followed by a letter, ``/``, ``!`` or ``?``)
    through, so a quote such as ``<script>`` would become markup once the draft is rendered;
    as an entity it still reads literally in any renderer. Other text (``p < 0.05``) is kept.
    """
    if isinstance(value, str):
        return _TAG_START.sub("&lt;", value)
    return value


@lru_cache(maxsize=None)
def _environment(fmt: str) -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=(fmt == "html"),
        finalize=None if fmt == "html" else _markdown_safe,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_context(context: dict, fmt: str = "md") -> str | bytes:
    """Lay out a context of :func:`build_context` as Markdown, HTML (``str``) or DOCX (``bytes``).

    Raises
    ------
    ReportError
        If ``fmt`` is not one of :data:`FORMATS`.
    """
    if fmt not in FORMATS:
        raise ReportError(f"fmt {fmt!r} is not one of {', '.join(FORMATS)}.")
    if fmt == "docx":
        from report.docx import render_docx

        return render_docx(context)
    return _environment(fmt).get_template(FORMATS[fmt]).render(**context)


def render(session: Session, results: dict, fmt: str = "md", **kw) -> str | bytes:
    """A report draft as Markdown, HTML or DOCX.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
    results : dict of str to quant.results.FitResult
        As for :func:`build_context`.
    fmt : {"md", "html", "docx"}
        Output format. HTML is a standalone page; its template environment autoescapes every
        value. DOCX is a Word document (python-docx) with the same sections, user text set
        as runs, CJK text with an East Asian font (``report.docx``).
    **kw
        Passed to :func:`build_context` (``cases``, ``se_type``, ``stars``, ``max_quotes``,
        ``themes_grouping``, ...).

    Returns
    -------
    str or bytes
        Text for ``md`` and ``html``; the ``.docx`` file's bytes for ``docx``.

    Raises
    ------
    ReportError
        If ``fmt`` is not one of :data:`FORMATS`, or from :func:`build_context`.
    """
    if fmt not in FORMATS:
        raise ReportError(f"fmt {fmt!r} is not one of {', '.join(FORMATS)}.")
    return render_context(build_context(session, results, **kw), fmt)


def write(session: Session, results: dict, path, **kw) -> Path:
    """Write a report draft to ``path``, the format chosen by its extension.

    ``.md``/``.markdown`` → Markdown, ``.html``/``.htm`` → HTML (UTF-8 text), ``.docx`` →
    Word. This is what ``cli.py report --out FILE`` calls.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
    results : dict of str to quant.results.FitResult
    path : str or Path
    **kw
        Passed to :func:`build_context`.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ReportError
        If the extension is not one of the above, or from :func:`build_context`.
    """
    target = Path(path)
    fmt = _SUFFIXES.get(target.suffix.lower())
    if fmt is None:
        raise ReportError(
            f"{target.name}: the report format is chosen by the extension; use .md, .html or .docx."
        )
    out = render(session, results, fmt=fmt, **kw)
    if isinstance(out, bytes):
        target.write_bytes(out)
    else:
        target.write_text(out, encoding="utf-8")
    return target
