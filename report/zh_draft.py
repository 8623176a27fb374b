"""A Chinese report draft: the context of ``report.draft.build_context`` laid out as the sections of
a Chinese social-science paper, as a list of blocks that the Markdown, HTML and DOCX writers lay out.

Sections: 一、研究设计 (project, simulated-outcomes banner, the mixed-methods design),
二、数据与方法 (each saved run: outcome, model, sample, formula, SE type), 三、实证结果 (decoupling
table, every estimate, figures, one regression table per dimension), 四、质性证据 (joint display,
codes mapped, statistics by themes), 五、案例选择 (rule, case comparison, selected cases, worklist),
六、结论与讨论 (significant terms, meta-inference counts, deviant cases), then 参考文献 (GB/T
7714-2015, numbered in order of first citation) and the evidence appendix. A section with no
content is left out. Tables carry a 表n caption above and a 注： line below (SE type, significance
marks from the draft's own ``stars``, n); passages are cited 文档名，第n段.

Must run inside ``i18n.using("zh")`` (``report.draft`` does): every sentence is an English msgid
translated by ``_`` from ``i18n/locale/zh_CN/parts/i7.tsv``.

A block is a dict with ``type``: ``heading`` (``level`` 1–3, ``text``), ``para`` (``text``),
``banner``, ``bullets`` (``entries``), ``table`` (``caption``, ``columns``, ``rows``, ``note``,
``n_coef_rows`` or None), ``quote`` (``text``, ``cite``), ``figure`` (``fig``, ``caption``),
``refs`` (``entries``).
"""
from __future__ import annotations

import re

from i18n import N_, _
from mixed.labels import stored_note_label
from report.tables import to_markdown
from report.zh_terms import REFERENCES, cited_keys, se_name, term, zh_date, zh_int

__all__ = ["SECTIONS", "zh_blocks", "zh_cite", "stars_zh"]

#: The six section headings, in order (一、研究设计 … 六、结论与讨论 in Chinese).
SECTIONS = (N_("1. Research design"), N_("2. Data and methods"), N_("3. Empirical results"),
            N_("4. Qualitative evidence"), N_("5. Case selection"), N_("6. Conclusion and discussion"))
_CITE = re.compile(r"^(?P<doc>.*), ¶ (?P<n>\d+)$")
_DIMS = {"breadth": N_("Breadth"), "connection": N_("Connection"), "degree": N_("Degree")}


def zh_cite(cite: str) -> str:
    """``"文档, ¶ 3"`` → ``"文档，第3段"`` (other citations unchanged)."""
    m = _CITE.match(str(cite or ""))
    return _("{document}, paragraph {n}").format(document=m["doc"], n=m["n"]) if m else str(cite or "")


def stars_zh(stars) -> str:
    """``*** p<0.001，** p<0.01，* p<0.05`` from the draft's levels (most stars first)."""
    levels = list(stars)
    return "，".join(f"{'*' * (i + 1)} p<{s:g}" for i, s in reversed(list(enumerate(levels))))


class _Doc:
    def __init__(self, stars):
        self.blocks: list[dict] = []
        self.stars = stars
        self.tables = 0
        self.refs: list[str] = []

    def cite(self, *keys) -> str:
        """The citation mark of ``keys`` in the numeric system, e.g. ``[1]``, ``[1,3]``, ``[4-6]``
        (three or more consecutive numbers joined by a hyphen, as GB/T 7714-2015 §9.1.2 shows)."""
        nums = []
        for k in keys:
            if k not in self.refs:
                self.refs.append(k)
            nums.append(self.refs.index(k) + 1)
        nums = sorted(set(nums))
        runs, start = [], 0
        for i in range(1, len(nums) + 1):
            if i == len(nums) or nums[i] != nums[i - 1] + 1:
                chunk = nums[start:i]
                runs.append(f"{chunk[0]}-{chunk[-1]}" if len(chunk) >= 3 else ",".join(map(str, chunk)))
                start = i
        return "[" + ",".join(runs) + "]" if nums else ""

    def add(self, type_, **kw):
        self.blocks.append({"type": type_, **kw})

    def table(self, caption, columns, rows, note="", n_coef_rows=None, kind="grid"):
        self.tables += 1
        rows = [[str(v) for v in r] for r in rows]
        import pandas as pd

        frame = pd.DataFrame(rows, columns=[str(c) for c in columns])
        self.add("table", caption=_("Table {n}  {caption}").format(n=self.tables, caption=caption),
                 columns=[str(c) for c in columns], rows=rows, note=note, n_coef_rows=n_coef_rows, kind=kind,
                 markdown=to_markdown(frame))


def _dim(key) -> str:
    return _(_DIMS[str(key)]) if str(key) in _DIMS else str(key)


def _quotes(doc: _Doc, quotes) -> None:
    for q in quotes:
        cite = zh_cite(q.get("cite", ""))
        extra = [c for c in (q.get("code"), term(q.get("group")) if q.get("group") else "") if c]
        doc.add("quote", text=q["quote"], cite=cite + ("（" + "；".join(extra) + "）" if extra else ""))


def _design(doc: _Doc, ctx: dict) -> None:
    p = ctx["project"]
    doc.add("heading", level=1, text=_(SECTIONS[0]))
    if p["simulated"]:
        text = _("OUTCOMES ARE SIMULATED. The collaboration outcomes in this project come from a simulation, not "
                 "from observed agreements; no estimate below is an empirical finding.")
        note = stored_note_label(p["simulated_note"])  # the demo's stored English note, in Chinese
        doc.add("banner", text=text + (note if note else ""))
    doc.add("para", text=_("Project {name}: {documents} documents ({illustrative} illustrative, written by the "
                           "team), {codings} codings with {codes} codes, {cities} cities, {dyads} dyads. Drafted "
                           "{date}.").format(name=p["name"], documents=zh_int(p["n_documents"]),
                                             illustrative=zh_int(p["n_illustrative"]), codings=zh_int(p["n_codings"]),
                                             codes=zh_int(p["n_codes"]), cities=zh_int(p["n_cities"]),
                                             dyads=zh_int(p["n_dyads"]), date=ctx["generated"]))
    doc.add("para", text=_("This study integrates a quantitative and a qualitative strand. Three joint displays "
                           "integrate them {ref1}: the side-by-side display sets each coefficient beside the "
                           "passages coded with codes mapped to its variable; the statistics-by-themes display "
                           "counts, for each code, the units with coded evidence in groups formed from the model; "
                           "the case comparison lists the selected cases with their numbers and the codes of their "
                           "passages. The meta-inference (confirmation / expansion / discordance) {ref2} is the "
                           "researcher's stored judgement. Cases are selected from Pearson residuals (nested "
                           "analysis) {ref3}.").format(ref1=doc.cite("guetterman2015"),
                                                       ref2=doc.cite("fetters2013"),
                                                       ref3=doc.cite("lieberman2005")))


def _methods(doc: _Doc, ctx: dict) -> None:
    dims = ctx["dimensions"]
    doc.add("heading", level=1, text=_(SECTIONS[1]))
    if not dims:
        doc.add("para", text=_("No saved run is reported; the draft reads saved runs and never fits a model "
                               "itself."))
    items = [_("{dimension}: no run is saved; save one on the Models page, then draft again.")
             .format(dimension=_dim(line.split(":")[0])) for line in ctx.get("skipped", [])]
    refs = {k: doc.cite(k) for k in cited_keys(dims)}  # numbered in order of first citation
    for d in dims:
        run = d["run"]
        se_refs = doc.cite(*[k for k in cited_keys([d]) if k not in ("firth1993", "heinze2002")])
        if run.get("saved"):
            text = _("{dimension} ({outcome}): run “{run}” (saved {created} by {author}; data fingerprint "
                     "{fingerprint}), {model} on {n} {unit}; formula {formula}. Standard errors: {se}{refs}.")
        else:
            text = _("{dimension} ({outcome}): a fit not saved as a run, {model} on {n} {unit}; formula {formula}. "
                     "Standard errors: {se}{refs}.")
        text = text.format(
            dimension=_dim(d["key"]), outcome=term(d["outcome"]), run=run.get("name", ""),
            created=_created(run.get("created", "")),
            author=run.get("created_by", ""), fingerprint=run.get("fingerprint", ""), model=term(d["model_name"]),
            n=zh_int(d["n"]), unit=term(d["unit"]), formula=d["formula"], se=se_name(d["se_type"], d["se_label"]),
            refs=se_refs)
        if d["model"] == "firth" and "firth1993" in refs:
            text += _("Firth's penalised likelihood {ref}.").format(ref=doc.cite("firth1993", "heinze2002"))
        if not d["converged"]:
            text += _("The optimizer did not report convergence.")
        if run.get("stale"):
            text += _("Stale run: the data changed since this run was fitted.")
        items.append(text)
    if items:
        doc.add("bullets", entries=items)
    _provenance(doc, ctx.get("provenance") or {})


def _provenance(doc: _Doc, prov: dict) -> None:
    """Where the codings came from and the assistant's agreement with the coders
    (``report.provenance``; its sentences are already in the draft's language)."""
    if not prov.get("shown"):
        return
    agree = prov.get("agreement") or {}
    doc.add("para", text="".join(prov["sentences"]) + (agree.get("sentence") or agree.get("note") or ""))
    t = agree.get("table")
    if t:
        doc.table(_("Agreement of the assistant with the human coders"), t["columns"], t["rows"],
                  note=_("Note: leave-one-document-out evaluation; unit: {unit}; score threshold {threshold}.")
                  .format(unit=_(t["unit"]), threshold=f"{t['threshold']:.2f}"))


def _created(text: str) -> str:
    """``"2026-12-03 09:19 UTC"`` → ``"2026年12月3日 09:19 UTC"``."""
    day, sep, rest = str(text).partition(" ")
    return zh_date(day) + sep + rest if day else ""


def _regression(doc: _Doc, caption, table: dict, n: int | None, se: str) -> None:
    label = {"N": _("Observations"), "Nodes": _("Cities"), "Log-likelihood": _("Log-likelihood")}
    cols = [_("Variable")] + [c for c in table["columns"][1:]]
    rows = [[label.get(r[0], r[0]) if i >= table["n_coef_rows"] else r[0], *r[1:]]
            for i, r in enumerate(table["rows"])]
    if n is None:
        note = _("Note: {se} in parentheses; {stars}.").format(se=se, stars=stars_zh(doc.stars))
    else:
        note = _("Note: {se} in parentheses; {stars}; N = {n}.").format(se=se, stars=stars_zh(doc.stars),
                                                                         n=zh_int(n))
    doc.table(caption, cols, rows, note=note, n_coef_rows=table["n_coef_rows"], kind="regression")


def _run_name(d: dict) -> str:
    return d["run"]["name"] if d["run"].get("saved") else _("unsaved fit")


def _dim_col(col: str) -> str:
    head, sep, rest = str(col).partition(": ")
    rest = _("unsaved fit") if rest == "unsaved fit" else rest
    return f"{_dim(head.lower())}：{rest}" if sep else str(col)


def _results(doc: _Doc, ctx: dict) -> None:
    dims, dec, figs = ctx["dimensions"], ctx.get("decoupling") or {}, ctx.get("figures") or {}
    if not dims:
        return
    doc.add("heading", level=1, text=_(SECTIONS[2]))
    if dec.get("table"):
        f = dec.get("factors")
        if f:
            cols = [_("Factor"), _("Passages")] + [_dim_col(c) for c in f["columns"][2:]]
            rows = [[_("Observations") if r[0] == "N" and i >= f["n_coef_rows"] else r[0], *r[1:]]
                    for i, r in enumerate(f["rows"])]
            note = _("Note: each column is one saved run with its own standard errors; below each estimate its "
                     "confidence interval and the model term the factor is mapped to; —: the factor is not in that "
                     "run's model; {stars}.").format(stars=stars_zh(doc.stars))
            doc.table(_("Needs–Supply factors across the dimensions (decoupling)"), cols, rows, note=note,
                      n_coef_rows=f["n_coef_rows"], kind="regression")
        elif dec.get("factors_note"):
            doc.add("para", text=_("The decoupling table is not shown: no Needs–Supply factor is in these runs' "
                                   "models."))
        head = dec["table"]["columns"]
        t = dict(dec["table"], columns=[head[0]] + [_dim_col(c) for c in head[1:]])
        names = list(dict.fromkeys(se_name(d["se_type"], d["se_label"]) for d in dims))
        se = names[0] if len(names) == 1 else _("standard errors ({list})").format(
            list="；".join(f"{_dim(d['key'])}：{se_name(d['se_type'], d['se_label'])}" for d in dims))
        _regression(doc, _("Estimates of every run"), t, None, se)
    if figs.get("coefficients"):
        doc.add("figure", fig=figs["coefficients"], caption=_("Figure {n}  Coefficients of the runs by dimension "
                "(points: estimates; bars: confidence intervals; dashed line: zero)").format(
                    n=figs["coefficients"]["number"]))
    for d in dims:
        doc.add("heading", level=2, text=_("{dimension}: {run}").format(dimension=_dim(d["key"]),
                                                                      run=_run_name(d)))
        t = dict(d["table"], columns=[d["table"]["columns"][0], _dim_col(d["table"]["columns"][1])])
        _regression(doc, _("{dimension}: regression estimates").format(dimension=_dim(d["key"])), t, d["n"],
                    se_name(d["se_type"], d["se_label"]))
        for fig in d.get("figures", []):
            text = (_("Pearson residuals against predicted values: {dimension}") if fig["kind"] == "residuals"
                    else _("Deviant pairs on the map: {dimension}")).format(dimension=_dim(d["key"]))
            doc.add("figure", fig=fig, caption=_("Figure {n}  {caption}").format(n=fig["number"], caption=text))


def _qualitative(doc: _Doc, ctx: dict) -> None:
    dims = ctx["dimensions"]
    if not dims:
        return
    doc.add("heading", level=1, text=_(SECTIONS[3]))
    for d in dims:
        doc.add("heading", level=2, text=_dim(d["key"]))
        j = d["joint"]
        doc.table(_("Joint display: {dimension}").format(dimension=_dim(d["key"])),
                  [_("Term"), _("Estimate [{level} CI]").format(level=j["level"]), "p", _("Codes"), _("Passages"),
                   _("Meta-inference"), _("Note")],
                  [[r["term"], r["estimate_ci"], r["p"], r["codes"], r["n_passages"], term(r["meta_inference"]),
                    r["note"]] for r in j["rows"]],
                  note=_("Note: {judged} of {n} terms carry a meta-inference.").format(judged=j["n_judged"],
                                                                                       n=len(j["rows"])))
        for r in j["rows"]:
            _quotes(doc, r["quotes"])
        m = d.get("mapped") or {}
        if m.get("codes"):
            doc.table(_("Codes mapped to {dimension}").format(dimension=_dim(d["key"])),
                      [_("Codes")] + [_("Passages") if g == "Passages" else term(g.split(" (n")[0]) +
                                     (" (n" + g.split(" (n", 1)[1] if " (n" in g else "") for g in m["groups"]],
                      [[e["code"], *e["counts"]] for e in m["codes"]])
            for e in m["codes"]:
                _quotes(doc, e["quotes"])
        th = d["themes"]
        if th["rows"]:
            cols = [_("Theme")] + [term(c.split(" (N")[0]) + (" (N" + c.split(" (N", 1)[1] if " (N" in c else "")
                                   for c in th["columns"][1:]]
            cols = [c.replace("All (N", _("All") + " (N") for c in cols]
            doc.table(_("Statistics by themes: {dimension}").format(dimension=_dim(d["key"])), cols, th["rows"],
                      note=_("Note: units with coded evidence: {n} of {total}. Cells: n (%) of the group's units "
                             "with the theme.").format(n=zh_int(th["n_units"]), total=zh_int(th["n_fit_units"])))
        else:
            doc.add("para", text=_("None of the {n} units of this model has coded evidence yet.")
                    .format(n=zh_int(th["n_fit_units"])))


def _cases(doc: _Doc, ctx: dict, c: float) -> None:
    dims, wl = ctx["dimensions"], ctx.get("worklist") or {}
    if not dims and not wl.get("rows"):
        return
    doc.add("heading", level=1, text=_(SECTIONS[4]))
    if dims:
        doc.add("para", text=_("Cases are selected from Pearson residuals {ref}: deviant cases have |r| > {c}; "
                               "typical cases lie closest to the model.").format(ref=doc.cite("lieberman2005"),
                                                                                 c=f"{c:g}"))
    for d in dims:
        doc.add("heading", level=2, text=_dim(d["key"]))
        cp = d["comparison"]
        if cp["rows"]:
            doc.table(_("Case comparison: {dimension}").format(dimension=_dim(d["key"])),
                      [_("Case"), "y", _("Fitted"), _("Residual"), _("Key X"), _("Themes"), _("Meta-inference")],
                      [[r["label"], r["y"], r["fitted"], r["residual"], r["key_x"], r["themes"],
                        term(r["meta_inference"])] for r in cp["rows"]],
                      note=_("Note: selected cases with coded passages or a meta-inference ({n} of {total})."
                             ).format(n=len(cp["rows"]), total=cp["n_candidates"]))
        cs = d["cases"]
        if cs["rows"]:
            doc.table(_("Selected cases: {dimension}").format(dimension=_dim(d["key"])),
                      [_("Case"), _("Type"), "y", _("Fitted"), _("Pearson residual"), _("Passages")],
                      [[r["label"], term(r["case_type"]), r["y"], r["fitted"], r["pearson"], r["n_passages"]]
                       for r in cs["rows"]],
                      note=_("Note: showing {shown} of {n} deviant cases.").format(shown=cs["n_deviant_shown"],
                                                                                   n=cs["n_deviant"]))
            for r in cs["rows"]:
                if r["quotes"]:
                    doc.add("para", text=_("{case} ({type}; y = {y}, fitted {fitted}, r = {r}):").format(
                        case=r["label"], type=term(r["case_type"]), y=r["y"], fitted=r["fitted"], r=r["pearson"]))
                    _quotes(doc, r["quotes"])
        else:
            doc.add("para", text=_("No case was selected."))
    if wl.get("rows"):
        doc.add("heading", level=2, text=_("Fieldwork worklist"))
        doc.table(_("Fieldwork worklist"), [_("Case"), _("Type"), _("Observed"), _("Predicted"), _("Residual"),
                                            _("Memo")],
                  [[r["name"], term(r["case_type"]), r["observed"], r["predicted"], r["residual"], r["memo"]]
                   for r in wl["rows"]])
        for r in wl["rows"]:
            _quotes(doc, r["quotes"])


def _conclusion(doc: _Doc, ctx: dict, results: dict) -> None:
    dims = ctx["dimensions"]
    if not dims:
        return
    doc.add("heading", level=1, text=_(SECTIONS[5]))
    level = max(doc.stars)
    items = []
    for d in dims:
        res = results.get(d["key"])
        pos, neg = [], []
        if res is not None:
            tab = res.table(d["se_type"])
            for t, row in tab.iterrows():
                if str(t) in ("Intercept", "const", "alpha") or not row["p"] < level:
                    continue
                (pos if row["estimate"] > 0 else neg).append(str(t))
        sig = _("In the {dimension} model, significant at the {level} level: positive {pos}; negative {neg}.") \
            .format(dimension=_dim(d["key"]), level=f"{100 * level:g}%", pos="、".join(pos) or _("none"),
                    neg="、".join(neg) or _("none"))
        counts = {k: sum(1 for r in d["joint"]["rows"] if r["meta_inference"] == k)
                  for k in ("confirmation", "expansion", "discordance")}
        meta = _("Meta-inferences: {confirmation} confirmation, {expansion} expansion, {discordance} "
                 "discordance; {deviant} deviant cases to study further.").format(
            deviant=d["cases"]["n_deviant"], **counts)
        items.append(sig + meta)
    doc.add("bullets", entries=items)
    doc.add("para", text=_("This summary is generated from the saved runs; the discussion is the researcher's to "
                           "write."))


def zh_blocks(ctx: dict, results: dict, *, stars, c: float) -> list[dict]:
    """The blocks of a Chinese draft of ``ctx`` (``report.draft.build_context`` output).

    Parameters
    ----------
    ctx : dict
        The context, built inside ``i18n.using("zh")``.
    results : dict of str to quant.models.results.FitResult
        The fits by dimension key (for the conclusion's significant terms).
    stars : tuple of float
        The draft's significance levels (strictly decreasing).
    c : float
        The deviant-case cut-off |r| > c.

    Returns
    -------
    list of dict
        Blocks in document order (see the module docstring).
    """
    doc = _Doc(stars)
    _design(doc, ctx)
    _methods(doc, ctx)
    _results(doc, ctx)
    _qualitative(doc, ctx)
    _cases(doc, ctx, c)
    _conclusion(doc, ctx, results)
    doc.add("heading", level=1, text=_("References"))
    doc.add("refs", entries=[f"[{i}] {REFERENCES[k][0]}" for i, k in enumerate(doc.refs, start=1)])
    ev = ctx["evidence"]
    if ev["n_total"]:
        doc.add("heading", level=1, text=_("Appendix: coded evidence linked to cities and dyads"))
        for g in ev["groups"]:
            doc.add("heading", level=2, text=g["code"])
            for p in g["passages"]:
                links = f"（{p['links']}）" if p["links"] else ""
                doc.add("quote", text=p["quote"], cite=zh_cite(p["cite"]) + links)
    return doc.blocks
