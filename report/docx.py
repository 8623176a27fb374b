"""The report draft as a Word document (python-docx), with the sections of the MD/HTML drafts.

``render_docx`` lays out a context of ``report.draft.build_context``: title, the simulated-
outcomes banner, data and methods (each saved run named with its fingerprint and date, stale runs
flagged), the runs side by side (the decoupling table of Needs–Supply factors, and every estimate), per
dimension a regression table in the journal layout
(rules above and below the header and the table, a rule above N / Nodes / log-likelihood, no
vertical rules), the side-by-side joint display, the statistics-by-themes display and the case
comparison (Guetterman, Fetters & Creswell 2015) with rows coloured by meta-inference
(confirmation / expansion / discordance; Fetters, Curry & Creswell 2013), the selected cases
with their quotes cited "document, ¶ n", the codes mapped to the dimension, the fieldwork
worklist with memos and quotes, and the evidence appendix. Figures (``report.figures``) are inline
pictures with their alt text and a "Figure n." caption below. Results are set in a
landscape section so that the wide displays stay readable.

Every piece of user text (quotes, document and code names, notes, formulas) is the text of a run
(``report.docx_parts.add_run``), never markup; runs name an East Asian font so Word shows
Chinese with a CJK face.
"""
from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm

from report.docx_parts import EAST_ASIA_FONT, add_figure, add_run, add_table, cell_rules, paragraph_box, set_defaults
from report.docx_parts import set_widths
from report.docx_parts import shade, table_rules

__all__ = ["BANNER", "render_docx"]

#: First sentence of the simulated-outcomes banner (the same in every format).
BANNER = ("OUTCOMES ARE SIMULATED. The collaboration outcomes in this project come from a simulation, not "
          "from observed agreements; no estimate below is an empirical finding.")
_GREY = "#555555"


def _heading(doc, text: str, level: int, font: str):
    par = doc.add_heading("", level=level)
    add_run(par, text, east_asia=font)
    return par


def _para(doc, *parts, style: str | None = None, font: str = EAST_ASIA_FONT, size: float | None = None):
    """A paragraph of runs; each part is text or ``(text, {"bold": True, ...})``."""
    par = doc.add_paragraph(style=style)
    for part in parts:
        text, opts = (part, {}) if isinstance(part, str) else part
        add_run(par, text, east_asia=font, size=size, **opts)
    return par


def _figure(doc, fig: dict, font: str) -> None:
    """A figure of ``report.figures``: inline picture, alt text, ``Figure n. …`` caption below."""
    add_figure(doc, fig["png"], fig["caption"], fig["alt"], east_asia=font)


def _methods(doc, d: dict, font: str) -> None:
    """One bullet per run: which run, its model, sample, formula, SE type; stale runs flagged."""
    run = d.get("run") or {"saved": False, "stale": False, "zero_formula": ""}
    nodes = f" ({d['n_nodes']} cities)" if d["n_nodes"] and d["unit"] != "cities" else ""
    par = _para(doc, (d["key"].capitalize(), {"bold": True}), f" ({d['outcome']})", style="List Bullet", font=font)
    if run["saved"]:
        add_run(par, f", run “{run['name']}” (saved {run['created']} by {run['created_by']}; data fingerprint ",
                east_asia=font)
        add_run(par, run["fingerprint"], mono=True, east_asia=font)
        add_run(par, ")", east_asia=font)
    else:
        add_run(par, ", a fit not saved as a run", east_asia=font)
    add_run(par, f": {d['model_name']} on {d['n']} {d['unit']}{nodes}; formula ", east_asia=font)
    add_run(par, d["formula"], mono=True, east_asia=font)
    if run.get("zero_formula"):
        add_run(par, ", zero part ", east_asia=font)
        add_run(par, run["zero_formula"], mono=True, east_asia=font)
    add_run(par, f". Standard errors: {d['se_label']} ({d['se_type']}).", east_asia=font)
    if not d["converged"]:
        add_run(par, " The optimizer did not report convergence.", bold=True, east_asia=font)
    if run["stale"]:
        stale = _para(doc, ("Stale run. ", {"bold": True, "colour": "#8E0000"}), run["status"],
                      style="List Bullet 2", font=font)
        paragraph_box(stale, "#FFF4E5", "#E65100")
    for w in d["warnings"]:
        _para(doc, f"Warning: {w}", style="List Bullet 2", font=font)


def _provenance(doc, prov: dict, font: str) -> None:
    """Where the codings came from and the assistant's agreement with the coders (``report.provenance``)."""
    if not prov.get("shown"):
        return
    agree = prov.get("agreement") or {}
    _para(doc, ("Where the codings came from. ", {"bold": True}),
          " ".join(prov["sentences"]) + " " + (agree.get("sentence") or agree.get("note") or ""), font=font)
    t = agree.get("table")
    if t:
        add_table(doc, t["columns"], t["rows"], size=8)
        _para(doc, f"Note. Agreement of the assistant with the human coders, leave-one-document-out; unit: "
              f"{t['unit']}; score threshold {t['threshold']:.2f}.", font=font, size=9)


def _quotes(doc, quotes: list[dict], font: str) -> None:
    for q in quotes:
        _para(doc, q["quote"], style="Quote", font=font)
        cite = _para(doc, f"— {q['cite']}" + (f" [{q['code']}]" if q.get("code") else "")
                     + (f"; {q['group']}" if q.get("group") else ""), font=font, size=9)
        cite.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _mapped(doc, d: dict, font: str) -> None:
    m = d.get("mapped") or {"codes": [], "message": "", "unmapped": []}
    if not m["codes"]:
        _para(doc, m["message"] or f"No code is mapped to {d['key']} yet.", font=font)
    else:
        add_table(doc, ["Code", *m["groups"], "Quotes"],
                  [[e["code"], *e["counts"], str(len(e["quotes"]))] for e in m["codes"]], size=8)
        for e in m["codes"]:
            if e["quotes"]:
                _para(doc, (e["code"], {"bold": True}), font=font)
                _quotes(doc, e["quotes"], font)
    if m.get("unmapped"):
        _para(doc, f"Codes with passages mapped neither to a term of this run nor to {d['key']} (map them on the "
              "Codebook page): " + "; ".join(m["unmapped"]) + ".", font=font, size=9)


def _worklist(doc, w: dict, font: str) -> None:
    if not w["rows"]:
        _para(doc, w["message"], font=font)
        return
    add_table(doc, ["Case", "Type", "Run", "Observed", "Predicted", "Residual", "Memo"],
              [[r["name"], r["case_type"], r["run"], r["observed"], r["predicted"], r["residual"], r["memo"]]
               for r in w["rows"]], size=8)
    for r in w["rows"]:
        if r["quotes"]:
            _para(doc, (r["name"], {"bold": True}), font=font)
            _quotes(doc, r["quotes"], font)


def _regression(doc, table: dict, font: str, header_first: bool = False) -> None:
    cols, rows, n_coef = table["columns"], table["rows"], table["n_coef_rows"]
    t = doc.add_table(rows=1, cols=len(cols))
    table_rules(t, top=12, bottom=12)
    for j, name in enumerate(cols):
        cell = t.rows[0].cells[j]
        add_run(cell.paragraphs[0], name if j == 0 and header_first else "" if j == 0 else name, bold=True, size=9,
                east_asia=font)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.LEFT if j == 0 else WD_ALIGN_PARAGRAPH.CENTER
        cell_rules(cell, bottom=6)
    for i, values in enumerate(rows):
        cells = t.add_row().cells
        for j, value in enumerate(values):
            add_run(cells[j].paragraphs[0], value, size=9, east_asia=font)
            if j:
                cells[j].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            if i == n_coef:
                cell_rules(cells[j], top=6)
    set_widths(t, [5.0] + [4.5] * (len(cols) - 1))
    _para(doc, ("Note. ", {"italic": True}), table["note"], font=font, size=9)


def _shade_rows(table, rows: list[dict]) -> None:
    for k, row in enumerate(rows, start=1):
        if row.get("meta_colour"):
            for cell in table.rows[k].cells:
                shade(cell, row["meta_colour"])


def _note_cell(row: dict) -> list[str]:
    return [row["note"]] + ([f"({row['judged']})"] if row.get("judged") else [])


def _joint(doc, d: dict, font: str) -> None:
    j = d["joint"]
    cols = ["Term", f"Estimate [{j['level']} CI]", "p", "Codes", "Passages", "Quotes", "Meta-inference", "Note"]
    t = add_table(doc, cols, [
        [r["term"], r["estimate_ci"], r["p"], r["codes"], str(r["n_passages"]), "", r["meta_inference"],
         _note_cell(r)]
        for r in j["rows"]
    ], widths=[2.8, 2.8, 2.0, 2.6, 2.0, 7.5, 2.6, 3.4])
    for k, r in enumerate(j["rows"], start=1):
        cell = t.rows[k].cells[5]
        for n, q in enumerate(r["quotes"]):
            par = cell.paragraphs[0] if n == 0 else cell.add_paragraph()
            add_run(par, q["quote"], size=9, east_asia=font)
            add_run(par, f"\n— {q['cite']} [{q['code']}]", size=8, italic=True, colour=_GREY, east_asia=font)
    _shade_rows(t, j["rows"])
    _para(doc, f"{j['n_judged']} of {len(j['rows'])} term(s) carry a meta-inference.", font=font, size=9)


def _themes(doc, d: dict, font: str) -> None:
    th = d["themes"]
    if not th["rows"]:
        _para(doc, f"None of the {th['n_fit_units']} {th['unit']} of this model has coded evidence yet.", font=font)
        return
    _para(doc, f"Units with coded evidence: {th['n_units']} of {th['n_fit_units']} {th['unit']}; groups: "
          f"{th['rule']}. Cells: n (%) of the group's units with the theme (or one of its subcodes).", font=font)
    n = len(th["columns"]) - 1
    add_table(doc, th["columns"], th["rows"], align_right_from=1, widths=[6.0] + [min(4.0, 19.0 / n)] * n)


def _comparison(doc, d: dict, font: str) -> None:
    cp = d["comparison"]
    if not cp["rows"]:
        _para(doc, f"None of the {cp['n_candidates']} selected cases has coded passages or a meta-inference yet.",
              font=font)
        return
    text = (f"Selected cases with coded passages or a meta-inference ({len(cp['rows'])} of {cp['n_candidates']} "
            f"selected). Residual: {cp['residual_type']}.")
    _para(doc, text + (f" {cp['x_note']}" if cp["x_note"] else ""), font=font)
    cols = ["Case", "Id", "Selection", "Rule parameters", "y", "Fitted", "Residual", "Key X", "Themes",
            "Meta-inference", "Note"]
    t = add_table(doc, cols, [
        [r["label"], r["case_id"], r["selection_rule"], r["rule_parameters"], r["y"], r["fitted"], r["residual"],
         r["key_x"], r["themes"], r["meta_inference"], _note_cell(r)]
        for r in cp["rows"]
    ], size=8, widths=[2.8, 2.4, 2.0, 3.4, 1.0, 1.4, 1.6, 3.6, 2.8, 2.5, 2.2])
    _shade_rows(t, cp["rows"])


def _cases(doc, d: dict, font: str) -> None:
    cs = d["cases"]
    if cs["rule"]:
        text = f"Rule: {cs['rule']}."
        if cs["n_deviant"] > cs["n_deviant_shown"]:
            text += (f" Showing {cs['n_deviant_shown']} of {cs['n_deviant']} deviant cases: those with the largest "
                     f"|r|{' in each cell' if cs['rows'] and cs['rows'][0]['cell'] else ''}"
                     f"{', and %d more with coded passages' % cs['n_extra_evidence'] if cs['n_extra_evidence'] else ''}.")
        _para(doc, text, font=font)
    if not cs["rows"]:
        _para(doc, "No case was selected.", font=font)
        return
    add_table(doc, ["Case", "Id", "Type", "Cell", "y", "Fitted", "Pearson r", "Passages", "Evidence"], [
        [r["label"], r["unit"], r["case_type"], r["cell"], r["y"], r["fitted"], r["pearson"], str(r["n_passages"]),
         "no evidence yet" if r["no_evidence"] else ""]
        for r in cs["rows"]
    ], align_right_from=4, widths=[4.0, 3.0, 2.2, 2.6, 1.2, 1.6, 2.0, 2.0, 2.8])
    for r in cs["rows"]:
        if not r["quotes"]:
            continue
        cell = f", {r['cell']}" if r["cell"] else ""
        _para(doc, (r["label"], {"bold": True}),
              f" ({r['case_type']}{cell}; y = {r['y']}, fitted {r['fitted']}, r = {r['pearson']}; "
              f"{r['n_passages']} passage(s))", font=font)
        for q in r["quotes"]:
            _para(doc, q["quote"], style="Quote", font=font)
            cite = _para(doc, f"— {q['cite']} [{q['code']}]", font=font, size=9)
            cite.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _landscape(doc, on: bool) -> None:
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    width, height = section.page_width, section.page_height
    if on == (width < height):
        section.page_width, section.page_height = height, width
    section.orientation = WD_ORIENT.LANDSCAPE if on else WD_ORIENT.PORTRAIT


def render_docx(context: dict, *, east_asia_font: str = EAST_ASIA_FONT) -> bytes:
    """A ``.docx`` report draft from a ``report.draft.build_context`` context.

    Parameters
    ----------
    context : dict
        Output of ``report.draft.build_context``.
    east_asia_font : str
        Font named in every run's ``w:rFonts/@w:eastAsia`` and the Normal style (default
        SimSun).

    Returns
    -------
    bytes
        The Word document.
    """
    font = east_asia_font
    doc = Document()
    set_defaults(doc, font)
    first = doc.sections[0]
    first.page_width, first.page_height = Cm(21.0), Cm(29.7)
    for section in [first]:
        section.left_margin = section.right_margin = Cm(2.0)
        section.top_margin = section.bottom_margin = Cm(2.0)
    project = context["project"]
    _heading(doc, context["title"], 0, font)
    if project["simulated"]:
        text = BANNER + (f" {project['simulated_note']}" if project["simulated_note"] else "")
        banner = _para(doc, (text, {"bold": True, "colour": "#8E0000"}), font=font)
        paragraph_box(banner, "#FDECEA", "#C62828")
    illustrative = f" ({project['n_illustrative']} illustrative, written by the team)" if project["n_illustrative"] else ""
    _para(doc, "Project ", (project["name"], {"bold": True}),
          f": {project['n_documents']} documents{illustrative}, {project['n_codings']} codings with "
          f"{project['n_codes']} codes, {project['n_cities']} cities, {project['n_dyads']} dyads. "
          f"Drafted {context['generated']}.", font=font)

    _heading(doc, "Data and methods", 1, font)
    if not context["dimensions"]:
        _para(doc, "No saved run is reported; the draft reads saved runs and never fits a model itself.", font=font)
    for line in context.get("skipped", []):
        _para(doc, f"Skipped {line}", style="List Bullet", font=font)
    for d in context["dimensions"]:
        _methods(doc, d, font)
    _provenance(doc, context.get("provenance") or {}, font)
    par = _para(doc, "Three joint displays integrate the strands (Guetterman, Fetters & Creswell 2015): the "
                "side-by-side display sets each coefficient beside the passages coded with codes mapped to its "
                "variable; the statistics-by-themes display counts, for each code, the cities or dyads with coded "
                "evidence in groups formed from the model; the case comparison lists the selected cases with their "
                "numbers and the codes of their passages. The meta-inference (confirmation / expansion / "
                "discordance; Fetters, Curry & Creswell 2013) and its note are the researcher's stored judgement, "
                "empty where none was recorded" + ("; rows are coloured by it: " if context["meta_colours"] else ""),
                font=font)
    for k, (label, colour) in enumerate(context["meta_colours"].items()):
        add_run(par, (", " if k else "") , east_asia=font)
        add_run(par, f" {label} ", highlight=colour, east_asia=font)
    add_run(par, ". Cases are selected from Pearson residuals (nested analysis; Lieberman 2005): typical cases "
            "lie closest to the model, deviant cases beyond the cut-off.", east_asia=font)

    if context["dimensions"]:
        _landscape(doc, True)
    decoupling = context.get("decoupling") or {}
    if decoupling.get("table"):
        _heading(doc, "The dimensions side by side (decoupling)", 1, font)
        if decoupling.get("factors"):
            _regression(doc, decoupling["factors"], font, header_first=True)
        else:
            _para(doc, decoupling["factors_note"], font=font)
        _para(doc, "Every estimate of the runs:", font=font)
        _regression(doc, decoupling["table"], font)
    figures = context.get("figures") or {}
    if figures.get("coefficients"):
        _figure(doc, figures["coefficients"], font)
    for note in figures.get("notes", []):
        _para(doc, (note, {"italic": True, "colour": _GREY}), font=font)
    if context["dimensions"]:
        _heading(doc, "Results", 1, font)
    for d in context["dimensions"]:
        _heading(doc, d["key"].capitalize(), 2, font)
        _regression(doc, d["table"], font)
        for fig in d.get("figures", []):
            _figure(doc, fig, font)
        _heading(doc, f"Joint display: {d['key']}", 3, font)
        _joint(doc, d, font)
        _heading(doc, f"Codes mapped to {d['key']}", 3, font)
        _mapped(doc, d, font)
        _heading(doc, f"Statistics by themes: {d['key']}", 3, font)
        _themes(doc, d, font)
        _heading(doc, f"Case comparison: {d['key']}", 3, font)
        _comparison(doc, d, font)
        _heading(doc, f"Selected cases: {d['key']}", 3, font)
        _cases(doc, d, font)
    if context["dimensions"]:
        _landscape(doc, False)

    _heading(doc, "Fieldwork worklist", 1, font)
    _worklist(doc, context.get("worklist") or {"rows": [], "message": "No worklist yet."}, font)
    _heading(doc, "Appendix: coded evidence linked to cities and dyads", 1, font)
    ev = context["evidence"]
    if ev["n_total"] == 0:
        _para(doc, "No coded passage is linked to a city or a dyad yet.", font=font)
    else:
        shown = sum(len(g["passages"]) for g in ev["groups"])
        _para(doc, f"{ev['n_total']} passage(s)" + (f"; the first {shown} are listed." if ev["truncated"] else "."),
              font=font)
        for g in ev["groups"]:
            _heading(doc, g["code"], 2, font)
            for p in g["passages"]:
                par = _para(doc, p["quote"], style="List Bullet", font=font)
                add_run(par, f" — {p['cite']} ({p['links']})", italic=True, colour=_GREY, east_asia=font)
    _para(doc, f"{context['stars_note']}. Drafted with Tandem; every quote is cited as document, ¶ paragraph.",
          font=font, size=9)
    for section in doc.sections:
        section.left_margin = section.right_margin = Cm(2.0)
        section.top_margin = section.bottom_margin = Cm(2.0)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
