"""Report drafts: a plain context dict from the project and its saved runs, laid out as MD, HTML or DOCX.

Drafts read saved runs (``quant.runs.saved``) and never refit: ``report.run_sections.load_runset`` picks
the runs (named, or the latest of each dimension). ``build_context`` gathers everything a draft
shows (project facts, the runs named with fingerprint and date and flagged when stale, the
decoupling table of the runs side by side, per-dimension methods,
journal-style regression tables, the three joint displays of quant.md §6 — side-by-side,
statistics-by-themes, case comparison — with the researcher's meta-inferences, selected cases
with their quotes, the codes mapped to each dimension, the fieldwork worklist with memos and
quotes, the evidence appendix), formatted as strings, so the templates in
``templates/`` (``report.md.j2``, ``report.html.j2``) and ``report.docx`` only lay it out.
``render`` produces one format and ``write`` saves a file by its extension, both through
``report.layout`` (which also escapes: HTML autoescaped, no live tag in Markdown, user text only
ever the text of a DOCX run).
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import store
from i18n import N_, _, using
from mixed.cases import add_evidence, case_table
from mixed.comparison import case_comparison
from mixed.evidence import EvidenceIndex
from mixed.joint import joint_display
from mixed.themes import themes_display
from report.displays import comparison_section, themes_section
from report.errors import ReportError
from report.figures import build_figures
from report.options import ReportOptions, options_from
from report.layout import FORMATS, format_of, render_context, write_context
from report.provenance import provenance_section
from report.decoupling import decoupling_section
from report.run_sections import RunSet, mapped_section, result_of, run_facts, run_joint_of
from report.run_sections import worklist_section
from report.sections import META_COLOURS, case_section, evidence_appendix, joint_section
from report.tables import regression_table, stars_note, to_markdown
from store.summary import project_overview

__all__ = ["ReportOptions", "RunSet", "build_context", "render", "write"]

_MODEL_NAMES = {
    "logit": N_("logit"),
    "probit": N_("probit"),
    "poisson": N_("Poisson regression"),
    "nb": N_("negative binomial regression (NB2)"),
    "binomial": N_("binomial GLM (partners out of the possible)"),
    "ztnb": N_("zero-truncated negative binomial regression (NB2)"),
    "nb_pos": N_("negative binomial regression (NB2) on collaborating dyads"),
    "hurdle": N_("two-part hurdle model (logit for any collaboration, zero-truncated NB2 for the count)"),
}
_UNITS = {"breadth": N_("cities"), "connection": N_("dyads"), "degree": N_("collaborating dyads")}
_OUTCOMES = {
    "breadth": N_("number of partner cities"),
    "connection": N_("whether the pair has an agreement (0/1)"),
    "degree": N_("number of service items the pair delivers jointly"),
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


def _chosen_covariates(run, chosen: pd.DataFrame) -> pd.DataFrame:
    """The run's saved covariates of the chosen cases only (the case comparison's key X)."""
    cov = run.covariates()
    ids = ["city"] if "city" in cov.columns else ["city_a", "city_b"]
    if any(c not in chosen.columns for c in ids):
        return cov
    keys = set(map(tuple, chosen[ids].astype(str).to_numpy().tolist()))
    mask = [k in keys for k in map(tuple, cov[ids].astype(str).to_numpy().tolist())]
    return cov[mask]


#: Columns of a joint-display row (``mixed.joint.joint_display`` / ``mixed.run_joint`` terms).
_TERM_COLUMNS = ["term", "estimate", "se", "ci_low", "ci_high", "p", "codes", "n_passages", "quotes",
                 "meta_inference", "note"]


def _dimension(session: Session, key: str, item, chosen, opts: ReportOptions, index: EvidenceIndex) -> dict:
    """The sections of one dimension: its run, table, joint displays and cases."""
    result = result_of(item)
    run = item if item is not result else None
    se_key = opts.se_type if opts.se_type is not None and opts.se_type in result.se else result.se_type
    facts = run_facts(session, key, item, se_type=se_key)
    label = f"{str(key).capitalize()}: {facts['name']}" if facts["saved"] else \
        f"{str(key).capitalize()}: {_MODEL_NAMES.get(result.model, result.model)}"
    table = regression_table([result], se_key, opts.stars, digits=opts.digits, labels=[label])
    joint = run_joint_of(session, item, c=opts.c, max_quotes=opts.max_quotes, alpha=opts.alpha, index=index)
    if joint is not None and se_key == result.se_type and joint.get("terms") is not None:
        display = pd.DataFrame(joint["terms"])  # the run's own SE type: estimates as saved
        display = display.reindex(columns=list(dict.fromkeys(_TERM_COLUMNS + list(display.columns))))
    else:
        display = joint_display(session, result, se_type=se_key, max_quotes=opts.max_quotes, alpha=opts.alpha,
                                index=index)
    given = chosen is not None
    if given:
        if "n_passages" not in chosen.columns or "no_evidence" not in chosen.columns:
            chosen = add_evidence(session, chosen, index=index)
    else:
        chosen = case_table(session, result, c=opts.c, n_typical=opts.n_typical, index=index)
    themes = themes_display(session, result, grouping=opts.themes_grouping, c=opts.c, base=opts.themes_base,
                            index=index)
    compared = case_comparison(  # key X from the run's own covariates: the saved data, not today's
        session, result, chosen, index=index, data=_chosen_covariates(run, chosen) if run is not None else None,
        c=None if given else opts.c, n_typical=None if given else opts.n_typical,
    )
    studied = (compared["n_passages"] > 0) | (compared["meta_inference"] != "") | (compared["note"] != "")
    comparison = comparison_section(compared[studied.to_numpy()].head(max(int(opts.max_comparison), 0)),
                                    digits=opts.digits)
    comparison["n_candidates"] = int(len(compared))
    return {
        "key": str(key),
        "run": facts,
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
        "joint": joint_section(display, digits=opts.digits, alpha=opts.alpha),
        "mapped": mapped_section(joint, item, max_quotes=opts.max_quotes),
        "themes": themes_section(themes),
        "comparison": comparison,
        "cases": case_section(chosen, index, max_deviant=opts.max_deviant, max_evidence=opts.max_evidence,
                              max_quotes=opts.max_case_quotes, digits=opts.digits),
    }


def build_context(
    session: Session,
    runs,
    *,
    cases: dict[str, pd.DataFrame] | None = None,
    options: ReportOptions | None = None,
    **overrides,
) -> dict:
    """Everything a report draft shows, as plain data (strings, numbers, lists, dicts).

    Nothing is refitted: estimates, SEs, fitted values and residuals come from the saved runs
    (``quant.runs.saved``), and a run whose data changed since it was fitted is flagged.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
    runs : report.run_sections.RunSet or dict of str to quant.runs.saved.Run
        Runs to report keyed by dimension, in report order (``load_runset`` picks the latest run
        of each dimension). A ``quant.models.results.FitResult`` value is accepted too (a fit never
        saved: the draft says so). May be empty.
    cases : dict of str to pandas.DataFrame, optional
        Selected cases per key of ``runs`` (``mixed.cases.case_table`` or
        ``quant.cases.typical_deviant.select_cases`` output); other keys are selected with ``options.c`` and
        ``options.n_typical``.
    options : report.options.ReportOptions, optional
        Layout settings (SE type, stars, digits, quotes, case caps, themes grouping, row
        colours, title, date); ``**overrides`` replace single fields of it.

    Returns
    -------
    dict
        ``title``, ``generated``, ``project`` (``name``, ``n_documents``, ``n_illustrative``,
        ``n_codings``, ``n_codes``, ``n_cities``, ``n_dyads``, ``simulated``,
        ``simulated_note``), ``stars_note``, ``runs`` (one ``report.run_sections.run_facts``
        dict per dimension), ``skipped`` (sentences for dimensions without a run),
        ``decoupling`` (``report.decoupling.decoupling_section``), ``worklist``
        (``report.run_sections.worklist_section``) and ``dimensions``: one dict per run with
        ``key``, ``run`` (its facts), ``dimension``, ``model``, ``model_name``, ``formula``,
        ``outcome``, ``unit``, ``n``, ``n_nodes``, ``se_type``, ``se_label``, ``converged``,
        ``warnings``, ``table`` (``report.tables.regression_table`` as ``columns``, ``rows``,
        ``n_coef_rows``, ``note``, ``markdown``), ``joint`` (``report.sections.joint_section``),
        ``mapped`` (``report.run_sections.mapped_section``), ``themes``, ``comparison`` (plus
        ``n_candidates``) and ``cases``; ``evidence`` (the appendix of linked passages) and
        ``meta_colours`` (empty when ``colour_rows`` is false); ``figures``
        (``report.figures.build_figures``: ``coefficients``, ``by_key``, ``all``, ``notes``; empty
        when ``figures`` is false), each dimension also listing its own as ``figures``; ``language``
        (``options.language``). A Chinese draft (``language="zh"``) is built inside
        ``i18n.using("zh")``: ``generated`` is a Chinese date (2026年12月3日) and ``blocks`` holds
        the draft laid out as a Chinese paper (``report.zh_draft.zh_blocks``), which the renderers use.
        ``provenance`` (``report.provenance.provenance_section``): where the codings came from and,
        when the assistant's codings were accepted, its agreement with the human coders.

    Raises
    ------
    ReportError
        If ``runs`` is not a dict or RunSet, ``cases`` has a key not in ``runs``, an override is
        not a report setting, or ``stars`` is malformed.
    """
    skipped: tuple = ()
    if isinstance(runs, RunSet):
        runs, skipped = runs.runs, runs.skipped
    if not isinstance(runs, dict):
        raise ReportError(_("runs must be a dict of dimension → saved run (e.g. {'connection': run})."))
    opts = options_from(options, **overrides)
    with using(opts.language):  # the draft's language, whatever the interface language
        context = _build(session, runs, skipped, cases, opts)
        if opts.language == "zh":
            from report.zh_draft import zh_blocks
            from report.zh_terms import zh_date

            context["generated"] = zh_date(opts.generated)
            context["blocks"] = zh_blocks(context, {str(k): result_of(v) for k, v in runs.items()},
                                          stars=opts.stars, c=opts.c)
    return context


def _build(session: Session, runs: dict, skipped, cases, opts: ReportOptions) -> dict:
    """The context of :func:`build_context` in the current language (``blocks`` added for zh)."""
    cases = dict(cases or {})
    unknown = sorted(set(cases) - set(runs))
    if unknown:
        raise ReportError(_("cases given for {names}, which has no run in runs.")
                          .format(names=', '.join(map(str, unknown))))
    project = _project(session)
    index = EvidenceIndex.from_session(session)
    dims = [_dimension(session, str(key), item, cases.get(key), opts, index) for key, item in runs.items()]
    figures = (build_figures(session, runs, c=opts.c, index=index) if opts.figures
               else {"coefficients": None, "by_key": {}, "all": [], "notes": []})
    for d in dims:
        d["figures"] = figures["by_key"].get(d["key"], [])
    if not opts.colour_rows:
        for d in dims:
            for row in d["joint"]["rows"] + d["comparison"]["rows"]:
                row["meta_class"] = row["meta_colour"] = ""
    return {
        "language": opts.language,
        "title": opts.title or _("{project}: mixed-methods report (draft)").format(project=project["name"]),
        "generated": opts.generated or date.today().isoformat(),
        "project": project,
        "stars_note": stars_note(opts.stars),
        "runs": [d["run"] for d in dims],
        "skipped": list(skipped),
        "decoupling": decoupling_section(session, runs, se_type=opts.se_type, stars=opts.stars, digits=opts.digits,
                                         alpha=opts.alpha),
        "worklist": worklist_section(session, max_quotes=opts.max_case_quotes, index=index),
        "dimensions": dims,
        "evidence": evidence_appendix(session, max_rows=opts.max_appendix, index=index),
        "meta_colours": dict(META_COLOURS) if opts.colour_rows else {},
        "figures": figures,
        "provenance": provenance_section(session),
    }


def render(session: Session, runs, fmt: str = "md", **kw) -> str | bytes:
    """A report draft as Markdown, HTML or DOCX.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
    runs : RunSet or dict of str to quant.runs.saved.Run
        As for :func:`build_context`.
    fmt : {"md", "html", "docx"}
        Output format. HTML is a standalone page; its template environment autoescapes every
        value. DOCX is a Word document (python-docx) with the same sections, user text set
        as runs, CJK text with an East Asian font (``report.docx``).
    **kw
        Passed to :func:`build_context` (``cases``, ``options`` or single settings such as
        ``se_type``, ``stars``, ``max_quotes``, ``themes_grouping``).

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
        raise ReportError(_("fmt {fmt!r} is not one of {names}.").format(fmt=fmt, names=', '.join(FORMATS)))
    return render_context(build_context(session, runs, **kw), fmt)


def write(session: Session, runs, path, *, assets: str | None = None, **kw) -> Path:
    """Write a report draft to ``path``, the format chosen by its extension.

    ``.md``/``.markdown`` → Markdown, ``.html``/``.htm`` → HTML (UTF-8 text), ``.docx`` →
    Word. This is what ``cli.py report --out FILE`` calls. A Markdown draft's figures are
    written as PNG files into the folder ``assets`` beside it (default ``<stem>_files``, e.g.
    ``F_files/figure-1.png``) and linked relatively; HTML and DOCX carry theirs inside.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
    runs : RunSet or dict of str to quant.runs.saved.Run
    path : str or Path
    assets : str, optional
        Folder name (beside ``path``) of a Markdown draft's figure files.
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
    format_of(path)  # refuse a wrong extension before the work
    return write_context(build_context(session, runs, **kw), path, assets=assets)
