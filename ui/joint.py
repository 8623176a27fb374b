"""Joint display page for a saved run: terms beside their passages, the dimension's codes across the
run's case groups, the decoupling table over the three dimensions, statistics by themes and case
comparison, with the researcher's meta-inference (confirmation / expansion / discordance) per row.
Everything is read from saved runs (ui/run_picker); nothing is refitted here."""
import pandas as pd
import streamlit as st

from coding.spreadsheet import to_csv_bytes
from i18n import N_, _
from mixed.cases import case_table
from mixed.comparison import case_comparison
from mixed.decoupling import decoupling_long, decoupling_table
from mixed.evidence import city_names
from mixed.joint import JOINT_COLUMNS, joint_long, unit_evidence
from mixed.meta import LABELS, set_meta_inference
from mixed.run_joint import NOT_LINKED, run_joint
from mixed.themes import GROUPINGS, themes_display, themes_long
from report.displays import format_x
from ui import state
from ui.run_picker import pick_run, pick_runs

OPTIONS = ["", *LABELS]
BADGE = {"confirmation": "green", "expansion": "blue", "discordance": "red"}
GROUPING_NAMES = {"case_type": N_("typical vs deviant (|r| > c)"), "outcome": N_("observed outcome"),
                  "tercile": N_("terciles of the fitted value")}
#: Meta-inference labels (stored values) -> their names on screen.
META_NAMES = {"confirmation": N_("confirmation"), "expansion": N_("expansion"), "discordance": N_("discordance")}
#: The model dimensions (values stored with runs) -> their names on screen.
DIMENSIONS = {"breadth": N_("breadth"), "connection": N_("connection"), "degree": N_("degree")}
#: Column headers of the case comparison (in English the library's column names, as before).
COMPARISON_HEADERS = {
    "label": N_("label"), "selection_rule": N_("selection_rule"), "y": N_("y"), "fitted": N_("fitted"),
    "residual": N_("residual"), "qual_themes": N_("qual_themes"), "meta_inference": N_("meta_inference"),
    "note": N_("note"), "key_x": N_("key_x"), "rule_parameters": N_("rule_parameters"),
    "residual_type": N_("residual_type"), "n_passages": N_("n_passages"), "case_id": N_("case_id")}


def md(text) -> str:
    """User text made literal for st.markdown (Markdown, LaTeX and directive characters escaped)."""
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|~<>$:" else ch for ch in str(text))


def badge(label: str) -> str:
    return (f":{BADGE[label]}-badge[{_(META_NAMES[label])}]" if label in BADGE
            else ":gray-badge[{}]".format(_("not judged")))


def meta_editor(box, display: str, dimension: str, key: str, current: dict, formula: str) -> None:
    """Label + note for one row, saved with a button (errors shown as messages)."""
    wkey = f"mi|{display}|{dimension}|{key}"
    flash = st.session_state.get("joint_flash")
    if flash and flash[0] == wkey:
        box.success(flash[1])
        del st.session_state["joint_flash"]
    label = current.get("label") or ""
    note = current.get("note") or ""
    if not state.can("memo"):  # read-only: the stored judgement, no form (the page caption says why)
        box.markdown(_("Meta-inference: {badge}").format(badge=badge(label)))
        if note:
            box.text(note)  # literal: a note is data, never markup
        _judged_by(box, current, formula)
        return
    choice = box.selectbox(_("Meta-inference"), OPTIONS, index=OPTIONS.index(label) if label in OPTIONS else 0,
                           format_func=lambda x: _(META_NAMES[x]) if x else _("— not judged —"),
                           key=f"{wkey}|label",
                           help=_("Fetters, Curry & Creswell (2013): confirmation (the strands agree), expansion "
                                  "(they differ in scope and complement each other), discordance (they contradict)."))
    text = box.text_area(_("Note"), value=note, key=f"{wkey}|note", height=80,
                         placeholder=_("Why: which passages, which estimate, what the other strand adds…"))
    if box.button(_("Save judgement"), key=f"{wkey}|save"):
        saved = state.write(set_meta_inference, dimension, key, choice, text, display=display,
                            author=state.coder(), formula=formula)
        if saved is not None:  # redraw with the stored value (badges, counts, report)
            message = (_("Judgement removed (no label and no note).") if saved is True
                       else _("Saved: {label}.").format(
                           label=_(META_NAMES.get(saved["label"], saved["label"])) if saved["label"]
                           else _("note only")))
            st.session_state["joint_flash"] = (wkey, message)
            st.rerun()
        return
    _judged_by(box, current, formula)


def _judged_by(box, current: dict, formula: str) -> None:
    """Who judged the row and when, and a warning when the judgement was made against another formula."""
    author, when = current.get("author") or "", current.get("updated")
    if author:
        if when is None or pd.isna(when):
            box.caption(_("Judged by {author}.").format(author=md(author)))
        else:
            box.caption(_("Judged by {author}, {when} UTC.").format(author=md(author),
                                                                    when=f"{pd.Timestamp(when):%Y-%m-%d %H:%M}"))
        if current.get("formula") and current["formula"] != formula:
            box.warning(_("Made against another formula: {formula}").format(formula=current["formula"]),
                        icon=":material/history:")


st.title(_("Joint display"))
st.caption(_("Joint displays of a saved run (Guetterman, Fetters & Creswell 2015): each model term beside the "
             "passages coded with a code mapped to it (Codebook → Code ↔ variable / dimension); the passages of the "
             "dimension's codes (Mark, Hole, …) across the run's typical and deviant cases; which Needs–Supply "
             "factors matter for which dimension; themes counted in groups of units; selected cases side by side. "
             "Record your meta-inference per row."))

dimension = st.segmented_control(_("Dimension"), list(DIMENSIONS), default="connection",
                                 format_func=lambda d: _(DIMENSIONS[d]), key="joint_dimension",
                                 required=True) or "connection"
dim_name = _(DIMENSIONS.get(dimension, dimension))
run = pick_run(dimension, key=f"joint_run_{dimension}")
if run is None:
    st.stop()
result = run.result
state.simulated_banner()
st.caption(_("Run “{name}” · {dimension} · {model} · {formula} · SE: {se}").format(
    name=md(run.info.name), dimension=_(DIMENSIONS.get(result.dimension, result.dimension)), model=result.model,
    formula=md(result.formula), se=md(result.se_labels.get(result.se_type, result.se_type))))

if not state.can("memo"):
    st.caption(_("Your role ({role}) may read and export the joint displays; recording meta-inferences is for "
                 "coders and owners.").format(role=state.role_label()))
side, groups_tab, decoupling_tab, themes_tab, cases_tab = st.tabs(
    [_("Side-by-side"), _("Codes × case groups"), _("Decoupling"), _("Statistics by themes"), _("Case comparison")])

with groups_tab:
    c_groups = st.number_input(_("c (deviant iff |Pearson residual| > c)"), 0.5, 5.0, 2.0, 0.1, key="joint_groups_c")
joint = state.attempt(state.read, run_joint, run, c=float(c_groups), max_quotes=200)

with side:
    if joint is not None:
        display = pd.DataFrame(joint.terms).assign(se_label=joint.se_label, model=result.model,
                                                   dimension=result.dimension)
        display = display.reindex(columns=JOINT_COLUMNS)
        display.attrs.update(formula=result.formula)
        judged = int((display["meta_inference"] != "").sum())
        st.caption(_("{judged} of {n} terms judged.").format(judged=judged, n=len(display)))
        for row in display.itertuples():
            with st.container(border=True):
                left, mid, right = st.columns([2, 4, 3])
                left.markdown(f"**{md(row.term)}** {badge(row.meta_inference)}")
                left.metric(_("estimate"), f"{row.estimate:.3f}", help=_("95% CI and p under the run's SE type"))
                left.caption(_("95% CI [{low}, {high}] · p = {p}").format(low=f"{row.ci_low:.3f}",
                                                                         high=f"{row.ci_high:.3f}", p=f"{row.p:.3g}"))
                codes = ", ".join(row.codes) if len(row.codes) else _("no code mapped")
                mid.markdown(_("Codes: {codes} · {n} passage(s)").format(codes=md(codes), n=row.n_passages))
                for q in row.quotes[:3]:
                    mid.text(q["quote"])
                    mid.caption(f"— {md(q['cite'])} ({md(q['code'])})")
                if len(row.quotes) > 3:
                    with mid.expander(_("All {n} passages").format(n=len(row.quotes))):
                        st.dataframe(pd.DataFrame(row.quotes)[["cite", "code", "quote"]], hide_index=True,
                                     width="stretch",
                                     column_config={"cite": _("cite"), "code": _("code"),
                                                    "quote": st.column_config.TextColumn(_("quote"), width="large")})
                current = {"label": row.meta_inference, "note": row.note, "author": row.meta_author,
                           "updated": row.meta_updated}
                meta_editor(right, "side-by-side", dimension, row.term, current, result.formula)
        long = state.attempt(joint_long, display)
        if long is not None:
            st.download_button(_("Download the tidy long table (CSV)"), to_csv_bytes(long),
                               file_name=f"joint-side-by-side-{dimension}.csv", mime="text/csv")
        if joint.unmapped:
            st.info(_("Not shown beside any term: {codes}. Map each to a term or to this dimension on the Codebook "
                      "page.").format(codes="; ".join(_("{code} ({n} passage(s))").format(
                          code=md(u["code"]), n=u["n_passages"]) for u in joint.unmapped)),
                    icon=":material/link_off:")

with side:
    st.divider()
    st.subheader(_("One unit: observed vs predicted, with its passages"))
    units = result.units
    names = state.read(city_names)
    if "city" in units.columns:
        options = list(units["city"])
        label = lambda u: f"{names.get(u, u)} ({u})"  # noqa: E731
    else:
        options = [f"{a}-{b}" for a, b in zip(units["city_a"], units["city_b"])]
        label = lambda u: f"{names.get(u.split('-')[0], '')} – {names.get(u.split('-')[1], '')} ({u})"  # noqa: E731
    order = units["pearson"].abs().to_numpy().argsort()[::-1]
    options = [options[i] for i in order]
    choice = st.selectbox(_("City or dyad (largest |Pearson residual| first; type a name to search)"), options,
                          format_func=label, key="unit_pick")
    if choice:
        unit = choice if "city" in units.columns else tuple(choice.split("-"))
        ev = state.attempt(state.read, unit_evidence, result, unit)
        if ev:
            c1, c2, c3 = st.columns(3)
            c1.metric(_("observed"), f"{ev['y']:g}")
            c2.metric(_("predicted"), f"{ev['fitted']:.3f}")
            c3.metric(_("Pearson residual"), f"{ev['pearson']:.2f}")
            passages = pd.DataFrame(ev.get("passages", []))
            if passages.empty:
                st.info(_("No coded passages for this unit yet."))
            else:
                st.dataframe(passages, hide_index=True, width="stretch",
                             column_config={"cite": _("cite"), "code": _("code"), "quote": _("quote")})

with groups_tab:
    if joint is not None:
        cities_level = joint.level == "city"
        sizes = joint.group_sizes
        if cities_level:
            st.caption(_("Codes mapped to {dimension} (Codebook → Code ↔ variable / dimension) against the run's "
                         "{n:,} cities: typical iff |Pearson residual| ≤ {c}, deviant otherwise (Lieberman 2005). "
                         "A passage counts for a city when its coding is linked to it or to a pair that contains it; "
                         "it is counted once in every group one of its units falls in.").format(
                dimension=dim_name, n=sum(sizes["fit_group"].values()), c=f"{joint.c:g}"))
        else:
            st.caption(_("Codes mapped to {dimension} (Codebook → Code ↔ variable / dimension) against the run's "
                         "{n:,} pairs: typical iff |Pearson residual| ≤ {c}, deviant otherwise (Lieberman 2005). "
                         "A passage counts for a pair when its coding is linked to it; it is counted once in every "
                         "group one of its units falls in.").format(
                dimension=dim_name, n=sum(sizes["fit_group"].values()), c=f"{joint.c:g}"))
        if not joint.codes:
            st.info(_("No code is mapped to {dimension} yet: map Mark, Hole or your own codes to it on the "
                      "Codebook page.").format(dimension=dim_name))
        for code in joint.codes:
            with st.container(border=True):
                head = (_("**{code}** · {n} passage(s): {linked} linked to the run's cities, {not_linked} not linked "
                          "to any city or pair in this run") if cities_level else
                        _("**{code}** · {n} passage(s): {linked} linked to the run's pairs, {not_linked} not linked "
                          "to any city or pair in this run"))
                st.markdown(head.format(code=md(code["code"]), n=code["n_passages"], linked=code["n_linked"],
                                        not_linked=code["n_not_linked"]))
                rows = []
                titles = {"fit_group": _("fit"), "direction": _("direction"), "tie": _("tie")}
                in_run = _("cities in the run") if cities_level else _("pairs in the run")
                for facet in joint.groupings:  # only groupings and groups that carry information
                    title = titles[facet]
                    for value, n in code["counts"][facet].items():
                        if not sizes[facet][value]:
                            continue
                        rows.append({_("facet"): title, _("group"): value, _("passages"): n,
                                     in_run: sizes[facet][value]})
                st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
                for group, n in code["counts"]["group"].items():
                    if not n:
                        continue
                    title = (_("{group}: {n} passage(s), {size:,} cities") if cities_level
                             else _("{group}: {n} passage(s), {size:,} pairs"))
                    with st.expander(title.format(group=group, n=n, size=sizes["group"][group])):
                        st.caption(_("Units with passages: {units}").format(units=md(", ".join(code["units"][group]))))
                        for q in code["quotes"][group]:
                            st.text(q["quote"])
                            st.caption(f"— {md(q['cite'])} · {md(', '.join(q['link_labels']))}")
                if code["n_not_linked"]:
                    with st.expander(_("not linked to any city or pair in this run: {n} passage(s)").format(
                            n=code["n_not_linked"])):
                        for q in code["quotes"][NOT_LINKED]:
                            st.text(q["quote"])
                            st.caption(f"— {md(q['cite'])}" + (f" · {md(', '.join(q['link_labels']))}"
                                                                if q["link_labels"] else ""))
        if joint.unmapped:
            st.subheader(_("Codes this display cannot place"))
            st.dataframe(pd.DataFrame(joint.unmapped)[["code", "n_passages", "hint"]], hide_index=True,
                         width="stretch",
                         column_config={"code": _("code"), "n_passages": _("n_passages"), "hint": _("hint")})

with decoupling_tab:
    st.caption(_("Which Needs–Supply factors matter for which dimension: one saved run per dimension, each "
                 "cell under that run's own SE type. The dimensions decouple when different factors are "
                 "significant for breadth, connection and degree."))
    chosen = pick_runs("joint_decoupling")
    if chosen:
        long_d = state.attempt(state.read, decoupling_long, chosen)
        if long_d is not None:
            wide = decoupling_table(None, long=long_d)
            dims = [d for d in ("breadth", "connection", "degree") if f"{d} estimate" in wide.columns]
            shown = pd.DataFrame({_("factor"): list(wide.index),
                                  _("passages"): wide["n_passages"].astype(int).tolist()})
            for d in dims:
                cell = []
                for _i, r in wide.iterrows():
                    if r[f"{d} term"] is None:
                        cell.append(_("— not in the model"))
                    else:
                        cell.append(f"{r[f'{d} estimate']:.3f}{r[f'{d} mark']} "
                                    f"[{r[f'{d} ci_low']:.3f}, {r[f'{d} ci_high']:.3f}] ({r[f'{d} term']})")
                shown[f"{_(DIMENSIONS[d])}: {wide.attrs['runs'][d]}"] = cell
                shown[_("{dimension}: significant?").format(dimension=_(DIMENSIONS[d]))] = \
                    wide[f"{d} significant"].tolist()
            if wide.empty:
                st.info(_("No Needs–Supply factor is mapped to a term of these runs: map the codes under Needs and "
                          "Supply to model variables on the Codebook page."))
            st.dataframe(shown, hide_index=True, width="stretch")
            st.caption(md(_("* p < 0.05, ** p < 0.01, *** p < 0.001; 95% CI. SE: {se}").format(se="; ".join(
                f"{_(DIMENSIONS[d])}: {wide.attrs['se_labels'][d]}" for d in dims))))
            for d in dims:
                sig = [str(i) for i, r in wide.iterrows()
                       if r["kind"] == "factor" and str(r[f"{d} significant"]).startswith("significant")]
                st.markdown(_("**{dimension}** ({run}), significant at 5%: {factors}").format(
                    dimension=_(DIMENSIONS[d]), run=md(wide.attrs["runs"][d]),
                    factors=md(", ".join(sig)) if sig else _("no factor")))
            st.download_button(_("Download the decoupling table (CSV)"), to_csv_bytes(long_d),
                               file_name="decoupling.csv", mime="text/csv", key="decoupling_csv")

with themes_tab:
    g1, g2 = st.columns([3, 1])
    grouping = g1.radio(_("Groups"), GROUPINGS, format_func=lambda g: _(GROUPING_NAMES[g]), horizontal=True,
                        key="themes_grouping")
    c_themes = g2.number_input(_("c (deviant iff |r| > c)"), 0.5, 5.0, 2.0, 0.1, key="themes_c",
                               disabled=grouping != "case_type")
    over_all = g1.toggle(_("Cut points (median, terciles) over all units of the fit"), value=False, key="themes_base",
                         disabled=grouping == "case_type",
                         help=_("Off: over the units with coded evidence (the cases you have). On: over every unit "
                                "of the model, so a group is a fixed part of the model's range."))
    table = state.attempt(state.read, themes_display, result, grouping=grouping, c=float(c_themes),
                          base="all" if over_all else "evidence")
    if table is not None:
        a = table.attrs
        city_units = a["level"] == "city"
        st.caption((_("Rows: codes (a subcode's passages count for its parent). Columns: the {n:,} of {total:,} cities "
                      "with coded evidence, grouped by {rule}. Cells: n (%) of the group's units with the theme.")
                    if city_units else
                    _("Rows: codes (a subcode's passages count for its parent). Columns: the {n:,} of {total:,} dyads "
                      "with coded evidence, grouped by {rule}. Cells: n (%) of the group's units with the theme."))
                   .format(n=a["n_units"], total=a["n_fit_units"], rule=a["rule"]))
        if table.empty:
            st.info(_("None of the cities of this model has coded evidence yet: link codings to cities on the Code "
                      "page.") if city_units else
                    _("None of the dyads of this model has coded evidence yet: link codings to dyads on the Code "
                      "page."))
        else:
            shown = table.assign(theme=["\u00a0\u00a0" * d + t for d, t in zip(table["depth"], table["theme"])])
            headers = {g: f"{g} (N = {a['sizes'][g]})" for g in a["groups"]}
            headers["all"] = _("All (N = {n})").format(n=a["sizes"]["all"])
            shown = shown[["theme", *a["groups"], "all"]].rename(columns=headers)
            shown.attrs = {}
            st.dataframe(shown, hide_index=True, width="stretch", height=35 * (len(shown) + 1) + 3,
                         column_config={"theme": _("theme")})
            st.download_button(_("Download the tidy long table (CSV)"),
                               to_csv_bytes(themes_long(table)),
                               file_name=f"joint-themes-{dimension}-{grouping}.csv", mime="text/csv")

with cases_tab:
    k1, k2 = st.columns(2)
    c_cases = k1.number_input(_("c (deviant iff |r| > c)"), 0.5, 5.0, 2.0, 0.1, key="compare_c")
    n_typical = k2.number_input(_("Typical cases to list"), 1, 50, 5, key="compare_typical")
    cases = state.attempt(state.read, case_table, result, c=float(c_cases), n_typical=int(n_typical))
    if cases is not None and len(cases):
        ids = (cases["city"].astype(str) if "city" in cases.columns
               else cases["city_a"].astype(str) + "-" + cases["city_b"].astype(str)).tolist()
        names_of = (cases["name"].tolist() if "name" in cases.columns
                    else [f"{x} – {y}" for x, y in zip(cases["name_a"], cases["name_b"])])
        kinds = cases["cell"].where(cases["cell"].notna(), cases["case_type"]).astype(str).tolist()
        labels = {i: _("{name} ({id}) · {kind} · {n} passage(s)").format(name=n, id=i, kind=k, n=p)
                  for i, n, k, p in zip(ids, names_of, kinds, cases["n_passages"])}
        default = [i for i, p in zip(ids, cases["n_passages"]) if p > 0] or ids[:3]
        picked = st.multiselect(_("Cases to compare (those with coded passages first chosen)"), ids, default=default,
                                format_func=lambda i: labels[i], key=f"compare_pick_{dimension}")
        if picked:
            chosen = cases[[i in set(picked) for i in ids]]
            comp = state.attempt(state.read, case_comparison, result, chosen)
            if comp is not None:
                view = comp.assign(key_x=[format_x(x) for x in comp["key_x"]],
                                   qual_themes=["; ".join(t) for t in comp["qual_themes"]])
                view.attrs = {}
                order = ["label", "selection_rule", "y", "fitted", "residual", "qual_themes", "meta_inference", "note",
                         "key_x", "rule_parameters", "residual_type", "n_passages", "case_id"]
                config = {c: _(COMPARISON_HEADERS[c]) for c in order}
                config.update({"y": st.column_config.NumberColumn(_("y"), format="%g"),
                               "fitted": st.column_config.NumberColumn(_("fitted"), format="%.3f"),
                               "residual": st.column_config.NumberColumn(_("residual"), format="%.2f")})
                st.dataframe(view[order], hide_index=True, width="stretch", column_config=config)
                if comp.attrs.get("x_note"):
                    st.caption(comp.attrs["x_note"])
                st.download_button(_("Download the case comparison (CSV)"), to_csv_bytes(view[order]),
                                   file_name=f"case-comparison-{dimension}.csv", mime="text/csv",
                                   key=f"compare_csv_{dimension}")
                for r in comp.to_dict("records"):
                    with st.container(border=True):
                        left, right = st.columns([3, 2])
                        left.markdown(f"**{md(r['label'])}** ({md(r['case_id'])}) {badge(r['meta_inference'])}")
                        left.text(_("{rule} · {parameters} · y = {y}, fitted {fitted}, {residual_type} = {residual}")
                                  .format(rule=r["selection_rule"], parameters=r["rule_parameters"], y=f"{r['y']:g}",
                                          fitted=f"{r['fitted']:.3f}", residual_type=r["residual_type"],
                                          residual=f"{r['residual']:.2f}"))
                        left.text(_("Themes: {themes} · {n} passage(s)").format(
                            themes="; ".join(r["qual_themes"]) or _("none yet"), n=r["n_passages"]))
                        if r["key_x"]:
                            left.text(_("Key X: {x}").format(x=format_x(r["key_x"])))
                        current = {"label": r["meta_inference"], "note": r["note"], "author": r["meta_author"],
                                   "updated": r["meta_updated"]}
                        meta_editor(right, "case", dimension, r["case_id"], current, result.formula)
    elif cases is not None:
        st.info(_("No case was selected under this rule."))
